"""Alarms on what would mean lost or late work, all to an encrypted alarm topic; a dashboard."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.conftest import Synthesized


def _alarms(synth: Synthesized) -> list[dict[str, Any]]:
    return [a["Properties"] for a in synth.resources("AWS::CloudWatch::Alarm").values()]


def _find(synth: Synthesized, metric: str, dimension: dict[str, Any]) -> dict[str, Any]:
    matches = [a for a in _alarms(synth) if a["MetricName"] == metric and dimension in a["Dimensions"]]
    assert len(matches) == 1, (metric, dimension, len(matches))
    return matches[0]


@pytest.mark.parametrize("queue_attr", ["projector_dlq", "data_sync_dlq"])
def test_failure_queue_depth_above_zero_alarms(dev: Synthesized, queue_attr: str) -> None:
    queue_id = dev.logical_id(getattr(dev.stack.functions, queue_attr))
    alarm = _find(
        dev,
        "ApproximateNumberOfMessagesVisible",
        {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}},
    )
    assert alarm["Namespace"] == "AWS/SQS"
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)


@pytest.mark.parametrize("attr", ["projector", "data_sync"])
def test_iterator_age_alarms_on_each_stream_consumer(dev: Synthesized, attr: str) -> None:
    function_id = dev.logical_id(getattr(dev.stack.functions, attr))
    alarm = _find(dev, "IteratorAge", {"Name": "FunctionName", "Value": {"Ref": function_id}})
    assert alarm["Statistic"] == "Maximum"
    assert alarm["Threshold"] == 60_000
    assert alarm["EvaluationPeriods"] == 5 and alarm["Period"] == 60


def test_api_5xx_alarm(dev: Synthesized) -> None:
    (alarm,) = [a for a in _alarms(dev) if a["MetricName"] == "5XXError"]
    assert alarm["Namespace"] == "AWS/ApiGateway"
    assert alarm["Statistic"] == "Sum"
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)


@pytest.mark.parametrize("attr", ["api", "projector", "data_sync"])
@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_lambda_errors_and_throttles_alarm(dev: Synthesized, attr: str, metric: str) -> None:
    function_id = dev.logical_id(getattr(dev.stack.functions, attr))
    alarm = _find(dev, metric, {"Name": "FunctionName", "Value": {"Ref": function_id}})
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("GreaterThanThreshold", 0)


def test_every_alarm_notifies_the_alarm_topic(dev: Synthesized) -> None:
    topic = {"Ref": dev.logical_id(dev.stack.monitoring.topic)}
    alarms = _alarms(dev)
    assert len(alarms) == 2 + 2 + 1 + 3 * 2
    for alarm in alarms:
        assert alarm["AlarmActions"] == [topic]
        assert alarm["OKActions"] == [topic]
        assert alarm["TreatMissingData"] == "notBreaching"


def test_alarm_topic_key_lets_cloudwatch_encrypt(dev: Synthesized) -> None:
    monitoring = dev.stack.monitoring
    topic = dev.json["Resources"][dev.logical_id(monitoring.topic)]["Properties"]
    key_id = dev.logical_id(monitoring.key)
    assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    key = dev.json["Resources"][key_id]["Properties"]
    assert key["EnableKeyRotation"] is True
    assert any(
        s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
        and {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(s["Action"])
        for s in key["KeyPolicy"]["Statement"]
    )


def test_order_flow_dashboard(dev: Synthesized) -> None:
    (dashboard,) = dev.resources("AWS::CloudWatch::Dashboard").values()
    body = str(dashboard["Properties"]["DashboardBody"])
    for metric in ("IteratorAge", "ApproximateNumberOfMessagesVisible", "5XXError", "Invocations"):
        assert metric in body


def test_cloudwatch_may_publish_to_the_alarm_topic_for_this_accounts_alarms_only(dev: Synthesized) -> None:
    topic_ref = {"Ref": dev.logical_id(dev.stack.monitoring.topic)}
    (policy,) = [
        p["Properties"]
        for p in dev.resources("AWS::SNS::TopicPolicy").values()
        if p["Properties"]["Topics"] == [topic_ref]
    ]
    statements = policy["PolicyDocument"]["Statement"]
    allow = [s for s in statements if s["Effect"] == "Allow"]
    assert allow == [
        {
            "Sid": "AllowCloudWatchAlarmsToPublish",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": topic_ref,
            "Condition": {
                "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
                "ArnLike": {
                    "aws:SourceArn": {
                        "Fn::Join": [
                            "",
                            [
                                "arn:",
                                {"Ref": "AWS::Partition"},
                                ":cloudwatch:",
                                {"Ref": "AWS::Region"},
                                ":",
                                {"Ref": "AWS::AccountId"},
                                ":alarm:*",
                            ],
                        ]
                    }
                },
            },
        }
    ]
    # ... and the TLS-only deny is kept beside it
    (deny,) = [s for s in statements if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_dashboard_name_holds_the_stage_and_the_region(dev: Synthesized, prod: Synthesized) -> None:
    for synth, stage in ((dev, "dev"), (prod, "prod")):
        (dashboard,) = synth.resources("AWS::CloudWatch::Dashboard").values()
        name = dashboard["Properties"]["DashboardName"]
        assert name == {"Fn::Join": ["", [f"{synth.stack.stack_name}-", {"Ref": "AWS::Region"}, "-order-flow"]]}
        assert stage in synth.stack.stack_name
