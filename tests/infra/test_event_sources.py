"""Stream event sources: which stream feeds which function, and how failures are bounded and kept."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.conftest import Synthesized


def _mappings(synth: Synthesized) -> dict[str, dict[str, Any]]:
    """Event source mappings keyed by the logical id of the function they invoke."""
    return {
        m["Properties"]["FunctionName"]["Ref"]: m["Properties"]
        for m in synth.resources("AWS::Lambda::EventSourceMapping").values()
    }


def test_command_stream_feeds_the_projector_and_data_stream_feeds_data_sync(dev: Synthesized) -> None:
    mappings = _mappings(dev)
    functions, tables = dev.stack.functions, dev.stack.tables
    # The third mapping feeds the live-screen pusher from the data stream (tests/infra/test_live.py).
    assert len(dev.resources("AWS::Lambda::EventSourceMapping")) == 3
    assert mappings[dev.logical_id(functions.projector)]["EventSourceArn"] == {
        "Fn::GetAtt": [dev.logical_id(tables.command), "StreamArn"]
    }
    assert mappings[dev.logical_id(functions.data_sync)]["EventSourceArn"] == {
        "Fn::GetAtt": [dev.logical_id(tables.data), "StreamArn"]
    }
    assert dev.logical_id(functions.api) not in mappings


@pytest.mark.parametrize(("attr", "window"), [("projector", 1), ("data_sync", 0)])
def test_batches_retries_and_partial_failures(dev: Synthesized, attr: str, window: int) -> None:
    props = _mappings(dev)[dev.logical_id(getattr(dev.stack.functions, attr))]
    assert props["StartingPosition"] == "TRIM_HORIZON"
    assert props["BatchSize"] == 25
    # Reservations are waited for: the data-sync takes records without a batching window.
    assert props.get("MaximumBatchingWindowInSeconds", 0) == window
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BisectBatchOnFunctionError"] is True
    # Bounded by age, not by a count Lambda spends in seconds: a fault of a few minutes heals by
    # itself, and a failed record reaches the queue with almost all the stream's 24 h left to replay.
    assert props.get("MaximumRetryAttempts", -1) == -1
    assert props["MaximumRecordAgeInSeconds"] == 15 * 60
    assert props["ParallelizationFactor"] == 1
    assert props.get("Enabled", True) is True


@pytest.mark.parametrize(("attr", "queue_attr"), [("projector", "projector_dlq"), ("data_sync", "data_sync_dlq")])
def test_each_source_has_its_own_encrypted_tls_only_failure_queue(dev: Synthesized, attr: str, queue_attr: str) -> None:
    functions = dev.stack.functions
    queue_id = dev.logical_id(getattr(functions, queue_attr))
    props = _mappings(dev)[dev.logical_id(getattr(functions, attr))]
    assert props["DestinationConfig"] == {"OnFailure": {"Destination": {"Fn::GetAtt": [queue_id, "Arn"]}}}

    queue = dev.json["Resources"][queue_id]
    assert queue["Properties"]["SqsManagedSseEnabled"] is True
    assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    policies = [
        p["Properties"]["PolicyDocument"]
        for p in dev.resources("AWS::SQS::QueuePolicy").values()
        if {"Ref": queue_id} in p["Properties"]["Queues"]
    ]
    assert any(
        s["Effect"] == "Deny"
        and s["Action"] == "sqs:*"
        and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for policy in policies
        for s in policy["Statement"]
    )


def test_failure_queues_are_distinct(dev: Synthesized) -> None:
    destinations = [
        m["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
        for m in _mappings(dev).values()
        if "DestinationConfig" in m
    ]
    assert len(set(destinations)) == 2
