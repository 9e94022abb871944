"""The benches' request meter (`bench.meter`): what it counts, on moto in-process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from bench.meter import RequestMeter, item_size, value_size, write_units

REGION = "us-east-1"


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        boto3.client("dynamodb", region_name=REGION).create_table(
            TableName="metered",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        )
        yield "metered"


def client() -> Any:
    return boto3.client("dynamodb", region_name=REGION)


def test_item_sizes_follow_dynamodbs_rules() -> None:
    assert value_size({"S": "abc"}) == 3
    assert value_size({"N": "123.45"}) == 4  # 5 significant digits: 3 bytes + 1
    assert value_size({"M": {"a": {"BOOL": True}}}) == 3 + 1 + 1 + 1
    assert item_size({"pk": {"S": "x" * 1000}}) == 1002
    assert (write_units({"pk": {"S": "x" * 1022}}), write_units({"pk": {"S": "x" * 1023}})) == (1, 2)
    assert write_units({"pk": {"S": "x"}}, transactional=True) == 2


def test_requests_of_the_metered_client_and_of_every_other_client(table: str) -> None:
    metered, other = client(), client()
    meter = RequestMeter(metered, capacity=True)
    metered.put_item(TableName=table, Item={"pk": {"S": "before"}})  # not measured

    with meter.every_client(), meter.measure() as usage:
        metered.put_item(TableName=table, Item={"pk": {"S": "a"}})
        other.get_item(TableName=table, Key={"pk": {"S": "a"}})
        metered.get_item(TableName=table, Key={"pk": {"S": "a"}})

    assert usage.requests == ["PutItem", "GetItem"]
    assert usage.dynamodb == ["PutItem", "GetItem (other client)", "GetItem"]
    assert usage.calls == ["dynamodb.PutItem", "dynamodb.GetItem", "dynamodb.GetItem"]
    assert (usage.total, usage.other_clients, usage.wcu) == (2, 1, 1)


def test_blocks_measured_into_one_usage_add_up(table: str) -> None:
    metered = client()
    meter = RequestMeter(metered)

    with meter.measure() as usage:
        metered.put_item(TableName=table, Item={"pk": {"S": "a"}})
    with meter.measure(usage):
        metered.delete_item(TableName=table, Key={"pk": {"S": "a"}})

    assert usage.counts() == {"PutItem": 1, "DeleteItem": 1}
