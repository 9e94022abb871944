"""Stable outputs (clients and the local runtime read them) and the notification topic."""

from __future__ import annotations

from infra import names
from tests.infra.conftest import Synthesized


def test_outputs_have_the_stable_names(dev: Synthesized) -> None:
    assert set(dev.json["Outputs"]) == {
        names.OUTPUT_API_URL,
        names.OUTPUT_WEBSOCKET_URL,
        names.OUTPUT_USER_POOL_ID,
        names.OUTPUT_USER_POOL_CLIENT_ID,
        names.OUTPUT_REGION,
        names.OUTPUT_NOTIFICATION_TOPIC_ARN,
        names.OUTPUT_COMMAND_TABLE,
        names.OUTPUT_DATA_TABLE,
        names.OUTPUT_SEQUENCES_TABLE,
        names.OUTPUT_IDEMPOTENCY_TABLE,
        names.OUTPUT_PROJECTOR_FAILURES_QUEUE,
        names.OUTPUT_DATA_SYNC_FAILURES_QUEUE,
    }


def test_the_failure_queue_outputs_are_the_stream_consumers_queues(dev: Synthesized) -> None:
    outputs = {key: value["Value"] for key, value in dev.json["Outputs"].items()}
    functions = dev.stack.functions
    assert outputs[names.OUTPUT_PROJECTOR_FAILURES_QUEUE] == {"Ref": dev.logical_id(functions.projector_dlq)}
    assert outputs[names.OUTPUT_DATA_SYNC_FAILURES_QUEUE] == {"Ref": dev.logical_id(functions.data_sync_dlq)}


def test_outputs_point_at_the_real_resources(dev: Synthesized) -> None:
    outputs = {key: value["Value"] for key, value in dev.json["Outputs"].items()}
    stack, lid = dev.stack, dev.logical_id
    assert outputs[names.OUTPUT_USER_POOL_ID] == {"Ref": lid(stack.auth.user_pool)}
    assert outputs[names.OUTPUT_USER_POOL_CLIENT_ID] == {"Ref": lid(stack.auth.client)}
    assert outputs[names.OUTPUT_REGION] == {"Ref": "AWS::Region"}
    assert outputs[names.OUTPUT_NOTIFICATION_TOPIC_ARN] == {"Ref": lid(stack.notifications.topic)}
    assert outputs[names.OUTPUT_COMMAND_TABLE] == {"Ref": lid(stack.tables.command)}
    assert outputs[names.OUTPUT_DATA_TABLE] == {"Ref": lid(stack.tables.data)}
    assert outputs[names.OUTPUT_SEQUENCES_TABLE] == {"Ref": lid(stack.tables.sequences)}
    assert outputs[names.OUTPUT_IDEMPOTENCY_TABLE] == {"Ref": lid(stack.tables.idempotency)}
    api_url = str(outputs[names.OUTPUT_API_URL])
    assert lid(stack.api.rest_api) in api_url and ".execute-api." in api_url


def test_notification_topic_is_encrypted_with_a_rotated_key_and_tls_only(dev: Synthesized) -> None:
    notifications = dev.stack.notifications
    topic_id, key_id = dev.logical_id(notifications.topic), dev.logical_id(notifications.key)
    assert dev.json["Resources"][topic_id]["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert dev.json["Resources"][key_id]["Properties"]["EnableKeyRotation"] is True
    policies = [
        p["Properties"]["PolicyDocument"]
        for p in dev.resources("AWS::SNS::TopicPolicy").values()
        if {"Ref": topic_id} in p["Properties"]["Topics"]
    ]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for policy in policies
        for s in policy["Statement"]
    )


def test_stack_name_carries_the_stage(dev: Synthesized, prod: Synthesized) -> None:
    assert dev.stack.stack_name == names.stack_name("dev") == "CqrsShop-dev"
    assert prod.stack.stack_name == "CqrsShop-prod"
