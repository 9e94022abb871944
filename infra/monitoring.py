"""Alarms to an alarm topic, and a dashboard of the order flow (API -> projector -> data-sync).

| alarm                        | metric                               | fires when                 |
|------------------------------|--------------------------------------|----------------------------|
| <queue> not empty            | SQS ApproximateNumberOfMessagesVisible | > 0 (max over 5 min)     |
| <function> iterator age      | Lambda IteratorAge                   | > 60 s (max) for 5 x 1 min  |
| API 5xx                      | API Gateway 5XXError                 | > 0 (sum over 5 min)        |
| <function> errors            | Lambda Errors                        | > 0 (sum over 5 min)        |
| <function> throttles         | Lambda Throttles                     | > 0 (sum over 5 min)        |

Every alarm treats missing data as not breaching: a quiet system is a healthy one.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra import names
from infra.config import StageConfig
from infra.encryption import topic_key

FIVE_MINUTES = Duration.minutes(5)
ONE_MINUTE = Duration.minutes(1)
ITERATOR_AGE_THRESHOLD_MS = 60_000
ITERATOR_AGE_PERIODS = 5


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        rest_api: apigw.RestApi,
        api_function: lambda_.Function,
        stream_consumers: tuple[tuple[lambda_.Function, sqs.Queue], ...],
        tables: dict[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        # CloudWatch publishes to an encrypted topic only with a customer-managed key it may use.
        self.key = topic_key(self, "AlarmKey", description="Encrypts the alarm topic", config=config)
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarms",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            )
        )
        self.topic = sns.Topic(self, "AlarmTopic", display_name="Shop alarms", master_key=self.key, enforce_ssl=True)
        # A topic policy REPLACES SNS's default one: with only the TLS deny that `enforce_ssl` writes,
        # CloudWatch may not publish and every alarm is silent. Allow it, for this account's alarms only.
        stack = Stack.of(self)
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": f"arn:{stack.partition}:cloudwatch:{stack.region}:{stack.account}:alarm:*"
                    },
                },
            )
        )
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        self._action = actions.SnsAction(self.topic)
        self.alarms: list[cloudwatch.Alarm] = []

        functions = [api_function, *(function for function, _ in stream_consumers)]
        for function, queue in stream_consumers:
            label = _label(function)
            self._alarm(
                f"{label}FailuresQueueNotEmpty",
                queue.metric_approximate_number_of_messages_visible(period=FIVE_MINUTES, statistic="Maximum"),
                threshold=0,
                description=f"Stream records of {label} gave up after retries: see the queue, replay them",
            )
            self._alarm(
                f"{label}IteratorAge",
                function.metric(
                    "IteratorAge", period=ONE_MINUTE, statistic="Maximum", unit=cloudwatch.Unit.MILLISECONDS
                ),
                threshold=ITERATOR_AGE_THRESHOLD_MS,
                evaluation_periods=ITERATOR_AGE_PERIODS,
                description=f"{label} is falling behind its stream (records older than 60 s)",
            )
        self._alarm(
            "Api5xx",
            rest_api.metric_server_error(period=FIVE_MINUTES, statistic="Sum"),
            threshold=0,
            description="The API answered 5xx: a server fault (client mistakes are 4xx)",
        )
        for function in functions:
            label = _label(function)
            self._alarm(
                f"{label}Errors",
                function.metric_errors(period=FIVE_MINUTES, statistic="Sum"),
                threshold=0,
                description=f"{label} raised errors",
            )
            self._alarm(
                f"{label}Throttles",
                function.metric_throttles(period=FIVE_MINUTES, statistic="Sum"),
                threshold=0,
                description=f"{label} was throttled",
            )

        self.dashboard = self._dashboard(config, rest_api, functions, stream_consumers, tables)

    def _alarm(
        self,
        construct_id: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        description: str,
        evaluation_periods: int = 1,
    ) -> None:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=threshold,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=evaluation_periods,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        self.alarms.append(alarm)

    def _dashboard(
        self,
        config: StageConfig,
        rest_api: apigw.RestApi,
        functions: list[lambda_.Function],
        stream_consumers: tuple[tuple[lambda_.Function, sqs.Queue], ...],
        tables: dict[str, str],
    ) -> cloudwatch.Dashboard:
        dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            # Dashboards are global to an account: the region keeps a second region's stack apart.
            dashboard_name=f"{names.stack_name(config.stage)}-{Stack.of(self).region}-order-flow",
            default_interval=Duration.hours(3),
        )
        dashboard.add_widgets(
            cloudwatch.TextWidget(
                markdown="## Order flow\nAPI -> command table -> projector -> data table -> data-sync "
                "-> inventory / notifications",
                width=24,
                height=2,
            )
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="API requests and errors",
                left=[
                    rest_api.metric_count(statistic="Sum"),
                    rest_api.metric_client_error(statistic="Sum"),
                    rest_api.metric_server_error(statistic="Sum"),
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="API latency (p50, p99)",
                left=[rest_api.metric_latency(statistic="p50"), rest_api.metric_latency(statistic="p99")],
                width=12,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Invocations",
                left=[f.metric_invocations(statistic="Sum", label=_label(f)) for f in functions],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Errors and throttles",
                left=[f.metric_errors(statistic="Sum", label=f"{_label(f)} errors") for f in functions]
                + [f.metric_throttles(statistic="Sum", label=f"{_label(f)} throttles") for f in functions],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Duration p99",
                left=[f.metric_duration(statistic="p99", label=_label(f)) for f in functions],
                width=8,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Stream iterator age (max)",
                left=[f.metric("IteratorAge", statistic="Maximum", label=_label(f)) for f, _ in stream_consumers],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Failed stream records (on-failure queues)",
                left=[
                    q.metric_approximate_number_of_messages_visible(statistic="Maximum", label=_label(f))
                    for f, q in stream_consumers
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="DynamoDB write units",
                left=[
                    cloudwatch.Metric(
                        namespace="AWS/DynamoDB",
                        metric_name="ConsumedWriteCapacityUnits",
                        dimensions_map={"TableName": table_name},
                        statistic="Sum",
                        label=label,
                    )
                    for label, table_name in tables.items()
                ],
                width=8,
            ),
        )
        return dashboard


def _label(function: lambda_.IFunction) -> str:
    return function.node.id
