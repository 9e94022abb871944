"""The three functions, their least-privilege roles and the two stream event sources.

| function  | memory  | timeout | triggered by                                   |
|-----------|---------|---------|------------------------------------------------|
| api       | 1024 MB | 10 s    | API Gateway (proxy integration, every route)   |
| projector | 512 MB  | 30 s    | command table stream, batches of 25 / 1 s      |
| data-sync | 512 MB  | 60 s    | data table stream, batches of 25 / no window   |

The API gets 1024 MB because Lambda's CPU share grows with memory and its cold start is dominated by
importing boto3, Powertools and pydantic; the stream functions are I/O bound. Each function has its
own role (no managed policies) that names exactly the DynamoDB actions it uses on exactly the tables
it uses; the event source adds the stream read on the stream it consumes.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra import names
from infra.config import PROJECT_ROOT, StageConfig, powertools_layer_ssm_parameter
from infra.notifications import Notifications
from infra.tables import Tables

# Nothing but the code goes into the asset: no bytecode caches, no tool caches.
ASSET_EXCLUDES = ["**/__pycache__", "**/*.pyc", "**/.pytest_cache", "**/.mypy_cache", "**/.DS_Store"]

# Stream event source settings (stated in docs/design.md and asserted by tests/infra).
STREAM_BATCH_SIZE = 25
# The projector is a catch-up (the API already projected): it may wait to fill its batches. The
# data-sync reserves stock a customer is waiting to see, so it takes records as soon as they come.
PROJECTOR_BATCH_WINDOW = Duration.seconds(1)
DATA_SYNC_BATCH_WINDOW = Duration.seconds(0)
# Retry policy (docs/design.md, "Failed stream records"). Lambda retries a failed stream batch at
# once, without a backoff we can set, and halves it first (bisect, not counted as retries): a
# count of attempts is spent in seconds, so 5 attempts sent records to the queue after a fault of
# a few seconds. The bound is the record's AGE instead: retries go on (no attempt limit) until a
# record is 15 minutes old, so a fault of a few minutes (a throttled table, an SNS outage) heals
# by itself, and a poison record holds its shard (ordered per key) for 15 minutes at most before
# the on-failure queue takes its pointer. Then 23 h 45 min of the stream's 24 h remain to replay it
# from the stream, and after that the command table (every accepted version) serves:
# `python -m client ops replay-failed`.
STREAM_RETRY_ATTEMPTS: int | None = None  # None: no count limit (MaximumRetryAttempts -1)
STREAM_MAX_RECORD_AGE = Duration.minutes(15)

# DynamoDB action sets, named once.
READ = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query")
# Commands are PutItem requests or TransactWriteItems, which IAM authorizes per contained action.
TRANSACT_PUT = ("dynamodb:PutItem", "dynamodb:ConditionCheckItem")
# A single-entity command whose read-model put is refused reads whether the refusing version was
# logged (then its own version is state), else deletes the log version it just wrote.
COMMAND_LOG = (*TRANSACT_PUT, "dynamodb:GetItem", "dynamodb:DeleteItem")
# Idempotency-Key records (written in the order's transaction) and the markers of notifications
# and customer e-mails sent (shop.sent_markers).
IDEMPOTENCY = ("dynamodb:GetItem", "dynamodb:PutItem")


@dataclass(frozen=True)
class FunctionSpec:
    construct_id: str
    handler: str
    description: str
    memory_mb: int
    timeout: Duration


API = FunctionSpec("Api", names.API_HANDLER, "REST API: orders, products, inventory", 1024, Duration.seconds(10))
PROJECTOR = FunctionSpec(
    "Projector", names.PROJECTOR_HANDLER, "Command stream -> data table (catch-up)", 512, Duration.seconds(30)
)
DATA_SYNC = FunctionSpec(
    "DataSync",
    names.DATA_SYNC_HANDLER,
    "Data stream -> inventory commands and notifications",
    512,
    Duration.seconds(60),
)


class Functions(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        tables: Tables,
        notifications: Notifications,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self._code = lambda_.Code.from_asset(str(PROJECT_ROOT / names.LAMBDA_ASSET_DIR), exclude=ASSET_EXCLUDES)
        self.powertools_layer = lambda_.LayerVersion.from_layer_version_arn(
            self, "PowertoolsLayer", self._powertools_layer_arn()
        )
        self._environment = {
            names.ENV_COMMAND_TABLE: tables.command.table_name,
            names.ENV_DATA_TABLE: tables.data.table_name,
            names.ENV_SEQUENCES_TABLE: tables.sequences.table_name,
            names.ENV_IDEMPOTENCY_TABLE: tables.idempotency.table_name,
            names.ENV_NOTIFICATION_TOPIC: notifications.topic.topic_arn,
            names.ENV_MAIL_SENDER: config.mail_sender,
            names.ENV_MAIL_DOMAINS: ",".join(config.mail_domains),
            **observability_environment(config),
            names.ENV_CORS_ALLOW_ORIGINS: ",".join(config.cors_allow_origins),
            names.ENV_API_DOCS: "true" if config.api_docs else "false",
        }

        self.api = self._function(API)
        allow(self.api, tables.data, *READ, *TRANSACT_PUT)
        allow_index_query(self.api, tables.data)
        # BatchGetItem: the history routes read a page of versions from the log by their keys.
        allow(self.api, tables.command, *COMMAND_LOG, "dynamodb:BatchGetItem")
        allow(self.api, tables.sequences, "dynamodb:UpdateItem")
        allow(self.api, tables.idempotency, *IDEMPOTENCY)

        self.projector = self._function(PROJECTOR)
        # GetItem: a command the API already projected costs one small read, not two writes.
        allow(self.projector, tables.data, "dynamodb:GetItem", "dynamodb:PutItem")
        self.projector_dlq = self._dead_letter_queue("ProjectorFailures")
        self._subscribe(self.projector, tables.command, self.projector_dlq, PROJECTOR_BATCH_WINDOW)

        self.data_sync = self._function(DATA_SYNC)
        allow(self.data_sync, tables.data, *READ, *TRANSACT_PUT)
        allow(self.data_sync, tables.command, *COMMAND_LOG)
        allow(self.data_sync, tables.idempotency, *IDEMPOTENCY)
        notifications.topic.grant_publish(self.data_sync)
        self.data_sync_dlq = self._dead_letter_queue("DataSyncFailures")
        self._subscribe(self.data_sync, tables.data, self.data_sync_dlq, DATA_SYNC_BATCH_WINDOW)

    @property
    def all(self) -> tuple[lambda_.Function, ...]:
        return (self.api, self.projector, self.data_sync)

    @property
    def stream_consumers(self) -> tuple[tuple[lambda_.Function, sqs.Queue], ...]:
        return ((self.projector, self.projector_dlq), (self.data_sync, self.data_sync_dlq))

    def _powertools_layer_arn(self) -> str:
        if self._config.powertools_layer_arn:
            return self._config.powertools_layer_arn
        # Resolved by CloudFormation at deploy time in the target region: no account lookup at synth.
        return ssm.StringParameter.value_for_string_parameter(
            self, powertools_layer_ssm_parameter(self._config.powertools_version)
        )

    def add(self, spec: FunctionSpec, environment: dict[str, str]) -> lambda_.Function:
        """Another function built like these (own role and log group, the code, the layer, tracing),
        with its own environment: the live-screen functions need none of the table settings."""
        return self._function(spec, environment)

    def _function(self, spec: FunctionSpec, environment: dict[str, str] | None = None) -> lambda_.Function:
        log_group = logs.LogGroup(
            self,
            f"{spec.construct_id}Logs",
            retention=self._config.log_retention,
            removal_policy=self._config.removal_policy,
        )
        # An own role instead of the AWSLambdaBasicExecutionRole managed policy: logs only to its group.
        role = iam.Role(
            self,
            f"{spec.construct_id}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{spec.construct_id} function: least privilege",
        )
        log_group.grant_write(role)
        return lambda_.Function(
            self,
            spec.construct_id,
            description=spec.description,
            runtime=lambda_.Runtime.PYTHON_3_13,
            architecture=lambda_.Architecture.ARM_64,
            code=self._code,
            handler=spec.handler,
            memory_size=spec.memory_mb,
            timeout=spec.timeout,
            role=role,
            log_group=log_group,
            tracing=lambda_.Tracing.ACTIVE,
            layers=[self.powertools_layer],
            environment=dict(self._environment if environment is None else environment),
        )

    def _dead_letter_queue(self, construct_id: str) -> sqs.Queue:
        return sqs.Queue(
            self,
            construct_id,
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
            removal_policy=self._config.removal_policy,
        )

    @staticmethod
    def _subscribe(function: lambda_.Function, table: dynamodb.Table, dlq: sqs.Queue, window: Duration) -> None:
        function.add_event_source(
            sources.DynamoEventSource(
                table,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=STREAM_BATCH_SIZE,
                max_batching_window=window,
                report_batch_item_failures=True,
                bisect_batch_on_error=True,
                retry_attempts=STREAM_RETRY_ATTEMPTS,
                max_record_age=STREAM_MAX_RECORD_AGE,
                # One batch per shard at a time: records of an entity stay in order.
                parallelization_factor=1,
                on_failure=sources.SqsDlq(dlq),
            )
        )


def observability_environment(config: StageConfig) -> dict[str, str]:
    """What every function's Powertools needs: its service, metric namespace, log level, and stage."""
    return {
        names.ENV_POWERTOOLS_SERVICE_NAME: names.SERVICE_NAME,
        names.ENV_POWERTOOLS_METRICS_NAMESPACE: names.METRICS_NAMESPACE,
        names.ENV_POWERTOOLS_LOG_LEVEL: "INFO",
        # Events and responses carry customers' data: keep them out of logs and traces.
        names.ENV_POWERTOOLS_LOGGER_LOG_EVENT: "false",
        names.ENV_POWERTOOLS_TRACER_CAPTURE_RESPONSE: "false",
        names.ENV_STAGE: config.stage,
    }


def allow(function: lambda_.Function, table: dynamodb.Table, *actions: str) -> None:
    """Grant exactly `actions` on `table`, the table ARN only (its indexes: `allow_index_query`).

    `Table.grant` would add `<table>/index/*` to every grant, writes included.
    """
    function.add_to_role_policy(iam.PolicyStatement(actions=list(actions), resources=[table.table_arn]))


def allow_index_query(function: lambda_.Function, table: dynamodb.Table) -> None:
    """Grant `Query` on `table`'s indexes (the list pages)."""
    function.add_to_role_policy(
        iam.PolicyStatement(actions=["dynamodb:Query"], resources=[f"{table.table_arn}/index/*"])
    )
