"""Least privilege: each function's role allows exactly the actions it uses on exactly its resources."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.conftest import Synthesized

Grant = tuple[str, str]  # (action, resource) with resources written "<LogicalId>.<Attr>", "<LogicalId>" or "*"

STREAM_READ = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator")
IDEMPOTENCY = ("dynamodb:GetItem", "dynamodb:PutItem")  # Idempotency-Key records, notification markers
TRANSACT_PUT = ("dynamodb:PutItem", "dynamodb:ConditionCheckItem")
READ = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query")
XRAY = ("xray:PutTraceSegments", "xray:PutTelemetryRecords")
LOGS = ("logs:CreateLogStream", "logs:PutLogEvents")
DLQ_SEND = ("sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl")


def _resource(value: Any) -> str:
    if value == "*":
        return "*"
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        logical_id, attribute = value["Fn::GetAtt"]
        return f"{logical_id}.{attribute}"
    if isinstance(value, dict) and "Fn::Join" in value:  # an ARN CDK formats, e.g. an SES identity's
        separator, parts = value["Fn::Join"]
        return separator.join(part if isinstance(part, str) else "${" + _resource(part) + "}" for part in parts)
    raise AssertionError(f"unexpected resource in a function policy: {value!r}")


def grants_of(synth: Synthesized, function: Any) -> set[Grant]:
    """Every (action, resource) the function's role allows, from all policies attached to it."""
    role_id = synth.logical_id(function.role)
    role = synth.json["Resources"][role_id]
    documents = [p["PolicyDocument"] for p in role["Properties"].get("Policies", [])]
    documents += [
        policy["Properties"]["PolicyDocument"]
        for policy in synth.resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
    ]
    grants: set[Grant] = set()
    for document in documents:
        for statement in document["Statement"]:
            assert statement["Effect"] == "Allow"
            assert "Condition" not in statement
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            grants |= {(action, _resource(resource)) for action in actions for resource in resources}
    return grants


def on(resource: str, *actions: str) -> set[Grant]:
    return {(action, resource) for action in actions}


class Ids:
    def __init__(self, synth: Synthesized) -> None:
        stack = synth.stack
        t = stack.tables
        self.command = f"{synth.logical_id(t.command)}.Arn"
        self.data = f"{synth.logical_id(t.data)}.Arn"
        self.sequences = f"{synth.logical_id(t.sequences)}.Arn"
        self.idempotency = f"{synth.logical_id(t.idempotency)}.Arn"
        self.command_stream = f"{synth.logical_id(t.command)}.StreamArn"
        self.data_stream = f"{synth.logical_id(t.data)}.StreamArn"
        self.topic = synth.logical_id(stack.notifications.topic)
        self.topic_key = f"{synth.logical_id(stack.notifications.key)}.Arn"
        identity = synth.logical_id(stack.mail.identity)
        self.mail_identity = (
            f"arn:${{AWS::Partition}}:ses:${{AWS::Region}}:${{AWS::AccountId}}:identity/${{{identity}}}"
        )
        f = stack.functions
        self.projector_dlq = f"{synth.logical_id(f.projector_dlq)}.Arn"
        self.data_sync_dlq = f"{synth.logical_id(f.data_sync_dlq)}.Arn"

    def logs(self, synth: Synthesized, function: Any) -> str:
        cfn = synth.json["Resources"][synth.logical_id(function)]
        return f"{cfn['Properties']['LoggingConfig']['LogGroup']['Ref']}.Arn"


@pytest.fixture(scope="module")
def ids(dev: Synthesized) -> Ids:
    return Ids(dev)


def test_api_grants_are_exactly_what_the_request_path_uses(dev: Synthesized, ids: Ids) -> None:
    api = dev.stack.functions.api
    expected = (
        on(ids.data, *READ, *TRANSACT_PUT)
        | on(f"${{{ids.data}}}/index/*", "dynamodb:Query")
        | on(ids.command, *TRANSACT_PUT, "dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:BatchGetItem")
        | on(ids.sequences, "dynamodb:UpdateItem")
        | on(ids.idempotency, *IDEMPOTENCY)
        | on("*", *XRAY)
        | on(ids.logs(dev, api), *LOGS)
    )
    assert grants_of(dev, api) == expected


def test_projector_grants_are_exactly_its_stream_a_read_and_a_put(dev: Synthesized, ids: Ids) -> None:
    projector = dev.stack.functions.projector
    expected = (
        on(ids.command_stream, *STREAM_READ)
        | on("*", "dynamodb:ListStreams", *XRAY)
        | on(ids.data, "dynamodb:GetItem", "dynamodb:PutItem")
        | on(ids.projector_dlq, *DLQ_SEND)
        | on(ids.logs(dev, projector), *LOGS)
    )
    assert grants_of(dev, projector) == expected


def test_data_sync_grants_are_exactly_what_the_reactions_use(dev: Synthesized, ids: Ids) -> None:
    data_sync = dev.stack.functions.data_sync
    expected = (
        on(ids.data_stream, *STREAM_READ)
        | on("*", "dynamodb:ListStreams", *XRAY)
        | on(ids.data, *READ, *TRANSACT_PUT)
        | on(ids.command, *TRANSACT_PUT, "dynamodb:GetItem", "dynamodb:DeleteItem")
        | on(ids.idempotency, *IDEMPOTENCY)
        | on(ids.topic, "sns:Publish")
        | on(ids.topic_key, "kms:Decrypt", "kms:GenerateDataKey*")
        | on(ids.mail_identity, "ses:SendEmail", "ses:SendRawEmail")
        | on(ids.data_sync_dlq, *DLQ_SEND)
        | on(ids.logs(dev, data_sync), *LOGS)
    )
    assert grants_of(dev, data_sync) == expected


def test_api_cannot_touch_any_stream(dev: Synthesized, ids: Ids) -> None:
    grants = grants_of(dev, dev.stack.functions.api)
    assert not {action for action, _ in grants if action in {*STREAM_READ, "dynamodb:ListStreams"}}
    assert not {resource for _, resource in grants if resource.endswith(".StreamArn")}


def test_projector_cannot_touch_sequences_idempotency_or_the_topic(dev: Synthesized, ids: Ids) -> None:
    resources = {resource for _, resource in grants_of(dev, dev.stack.functions.projector)}
    assert not resources & {ids.sequences, ids.idempotency, ids.topic, ids.topic_key, ids.command}


def test_only_data_sync_may_publish_notifications(dev: Synthesized, ids: Ids) -> None:
    functions = dev.stack.functions
    publishers = [f for f in functions.all if ("sns:Publish", ids.topic) in grants_of(dev, f)]
    assert publishers == [functions.data_sync]


def test_only_data_sync_may_send_email_and_only_from_the_sender_identity(dev: Synthesized, ids: Ids) -> None:
    functions = dev.stack.functions
    senders = {f: {(a, r) for a, r in grants_of(dev, f) if a.startswith("ses:")} for f in functions.all}
    assert senders == {
        functions.api: set(),
        functions.projector: set(),
        functions.data_sync: on(ids.mail_identity, "ses:SendEmail", "ses:SendRawEmail"),
    }
    identity = dev.json["Resources"][dev.logical_id(dev.stack.mail.identity)]
    assert identity["Type"] == "AWS::SES::EmailIdentity"
    assert identity["Properties"]["EmailIdentity"] == "orders@example.com"


@pytest.mark.parametrize("attr", ["api", "projector", "data_sync"])
def test_no_scan_no_wildcard_actions_no_table_wide_write_verbs(dev: Synthesized, attr: str) -> None:
    grants = grants_of(dev, getattr(dev.stack.functions, attr))
    actions = {action for action, _ in grants}
    assert "dynamodb:Scan" not in actions
    assert not [a for a in actions if a.endswith(":*") or a == "*"]
    assert not actions & {"dynamodb:DeleteTable", "dynamodb:UpdateTable", "dynamodb:BatchWriteItem"}
    # Only the actions that have no resource-level permissions are granted on "*".
    assert {a for a, r in grants if r == "*"} <= {"dynamodb:ListStreams", *XRAY}
