"""The two stream Lambdas on their own, fed records read from moto's streams: partial batch
failures, the poison record, the projector's catch-up, what a failure logs."""

from __future__ import annotations

import copy
from typing import Any

import boto3
import pytest
from botocore.config import Config

from handlers import data_sync, projector
from harness.events import FakeLambdaContext
from harness.streams import StreamReader, failures, lambda_event, stream_arn
from shop.wiring import shop
from tests.integration.conftest import REGION, AwsEnv
from tests.integration.test_stream_lifecycle import add_product, order, place_order, stock


@pytest.fixture
def streams(aws: AwsEnv) -> Any:
    return boto3.client("dynamodbstreams", region_name=REGION, config=Config(account_id_endpoint_mode="disabled"))


@pytest.fixture
def data_reader(aws: AwsEnv, streams: Any) -> StreamReader:
    return StreamReader(streams, stream_arn(aws.client, aws.tables.data))


@pytest.fixture
def command_reader(aws: AwsEnv, streams: Any) -> StreamReader:
    return StreamReader(streams, stream_arn(aws.client, aws.tables.command))


def order_inserts(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if r["eventName"] == "INSERT" and r["dynamodb"]["Keys"]["sk"]["S"].startswith("ORDER#")]


def test_poison_record_fails_only_its_own_item(
    api: Any, data_reader: StreamReader, caplog: pytest.LogCaptureFixture
) -> None:
    # Given two new orders, and the creation record of the first one corrupted
    add_product(api, "PRD-001", 10)
    first = place_order(api, {"PRD-001": 1})
    second = place_order(api, {"PRD-001": 2})
    records = data_reader.read_new()
    inserts = order_inserts(records)
    assert len(inserts) == 2
    poison = copy.deepcopy(inserts[0])
    poison["dynamodb"]["NewImage"]["version"] = {"N": "not-a-number"}
    del poison["dynamodb"]["NewImage"]["tenantCode"]
    batch = [poison if r is inserts[0] else r for r in records]
    caplog.clear()

    # When the batch holds the poison record among good ones
    response = data_sync.handler(lambda_event(batch, data_reader.arn), FakeLambdaContext())

    # Then only the poison record is reported, and the good records were handled
    assert failures(response) == [poison["dynamodb"]["SequenceNumber"]]
    assert order(api, second)["attributes"]["inventoryStatus"] == "reserved"
    assert order(api, first)["attributes"]["inventoryStatus"] == "pending"
    assert stock(api, "PRD-001") == (10, 2)

    # And the failure is logged with tenant, keys and error, so it can be found and replayed
    failure = next(r for r in caplog.records if r.getMessage() == "data change failed")
    assert failure.levelname == "ERROR"
    assert (failure.tenant, failure.pk, failure.sk) == ("shop-a", "TENANT#shop-a", f"ORDER#{first}")  # type: ignore[attr-defined]
    assert failure.sequenceNumber == poison["dynamodb"]["SequenceNumber"]  # type: ignore[attr-defined]
    assert failure.exc_info is not None and "tenantCode" in repr(failure.exc_info[1])

    # And once the good record of the first order arrives (the retry), it is reserved too
    response = data_sync.handler(lambda_event([inserts[0]], data_reader.arn), FakeLambdaContext())
    assert failures(response) == []
    assert stock(api, "PRD-001") == (10, 3)


def test_data_sync_ignores_changes_that_do_not_move_an_order(api: Any, data_reader: StreamReader) -> None:
    # Given the records of a product, a stock record and an order already handled once
    add_product(api, "PRD-001", 10)
    code = place_order(api, {"PRD-001": 1})
    records = data_reader.read_new()
    assert failures(data_sync.handler(lambda_event(records, data_reader.arn), FakeLambdaContext())) == []
    # The handling wrote the order's inventoryStatus and the stock: more records, no status change
    followups = data_reader.read_new()
    assert {r["dynamodb"]["Keys"]["sk"]["S"] for r in followups} == {f"ORDER#{code}", "INVENTORY#PRD-001"}
    version = order(api, code)["version"]

    # When they are handled, and a REMOVE arrives
    removal = copy.deepcopy(followups[0])
    removal["eventName"] = "REMOVE"
    removal["dynamodb"]["OldImage"] = removal["dynamodb"].pop("NewImage")
    response = data_sync.handler(lambda_event([*followups, removal], data_reader.arn), FakeLambdaContext())

    # Then nothing changes
    assert failures(response) == []
    assert order(api, code)["version"] == version
    assert stock(api, "PRD-001") == (10, 1)


def test_projector_restores_a_lost_projection_and_never_moves_back(
    api: Any, aws: AwsEnv, command_reader: StreamReader
) -> None:
    add_product(api, "PRD-001", 10)
    code = place_order(api, {"PRD-001": 1})
    assert api("PATCH", f"/orders/{code}/status", {"status": "confirmed"}).status == 200
    records = [r for r in command_reader.read_new() if r["dynamodb"]["Keys"]["sk"]["S"].startswith(f"ORDER#{code}@")]
    assert [r["dynamodb"]["Keys"]["sk"]["S"] for r in records] == [f"ORDER#{code}@1", f"ORDER#{code}@2"]

    # Given the read model lost the order (as if the synchronous write had not reached it)
    aws.client.delete_item(TableName=aws.tables.data, Key={"pk": {"S": "TENANT#shop-a"}, "sk": {"S": f"ORDER#{code}"}})
    assert api("GET", f"/orders/{code}").status == 404

    # When the projector gets version 2, then (replayed, out of order) version 1
    assert failures(projector.handler(lambda_event(records[1:], command_reader.arn), FakeLambdaContext())) == []
    assert failures(projector.handler(lambda_event(records[:1], command_reader.arn), FakeLambdaContext())) == []

    # Then the order is back at version 2, not moved back to version 1
    restored = order(api, code)
    assert (restored["version"], restored["attributes"]["status"]) == (2, "confirmed")
    assert [v.version for v in shop().core.history.versions("TENANT#shop-a", f"ORDER#{code}")] == [1, 2]


def test_projector_poison_record_fails_only_its_own_item(api: Any, command_reader: StreamReader) -> None:
    add_product(api, "PRD-001", 10)
    place_order(api, {"PRD-001": 1})
    records = command_reader.read_new()
    poison = copy.deepcopy(records[-1])
    poison["dynamodb"]["NewImage"]["sk"] = {"S": "ORDER#no-version-here"}
    modify = copy.deepcopy(records[0])
    modify["eventName"] = "MODIFY"  # commands are inserted only: anything else is not projected

    batch = [records[0], modify, *records[1:-1], poison]
    response = projector.handler(lambda_event(batch, command_reader.arn), FakeLambdaContext())

    assert failures(response) == [poison["dynamodb"]["SequenceNumber"]]
