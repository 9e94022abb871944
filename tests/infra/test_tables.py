"""Tables: keys, streams, billing, recovery, encryption, TTL and what happens to them on delete."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.conftest import Synthesized

PK_SK = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]


def _table(synth: Synthesized, name: str) -> dict[str, Any]:
    table = getattr(synth.stack.tables, name)
    return synth.json["Resources"][synth.logical_id(table)]


def test_exactly_five_tables(dev: Synthesized) -> None:
    # The four of infra/tables.py and the live screens' connections table (tests/infra/test_live.py).
    assert len(dev.resources("AWS::DynamoDB::Table")) == 5


@pytest.mark.parametrize("name", ["command", "sequences"])
def test_pk_sk_tables_have_string_keys(dev: Synthesized, name: str) -> None:
    props = _table(dev, name)["Properties"]
    assert props["KeySchema"] == PK_SK
    assert sorted(props["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "S"},
    ]
    assert "GlobalSecondaryIndexes" not in props


def test_data_table_has_three_keys_only_global_list_indexes_and_no_local_one(dev: Synthesized) -> None:
    props = _table(dev, "data")["Properties"]
    assert props["KeySchema"] == PK_SK
    assert sorted(a["AttributeName"] for a in props["AttributeDefinitions"]) == [
        "gsi1pk", "gsi2pk", "gsi3pk", "gsisk", "pk", "sk",
    ]  # fmt: skip
    assert all(a["AttributeType"] == "S" for a in props["AttributeDefinitions"])
    assert props["GlobalSecondaryIndexes"] == [
        {
            "IndexName": f"gsi{n}",
            "KeySchema": [
                {"AttributeName": f"gsi{n}pk", "KeyType": "HASH"},
                {"AttributeName": "gsisk", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        }
        for n in (1, 2, 3)
    ]
    # A local index would cap each tenant's partition at 10 GB and stop splits for heat.
    assert "LocalSecondaryIndexes" not in props


def test_lambda_code_names_the_indexes_the_stack_declares() -> None:
    from cqrs.indexes import LIST_INDEXES, SORT_ATTRIBUTE
    from infra.names import DATA_LIST_INDEX_SORT_KEY, DATA_LIST_INDEXES

    assert [(index.name, index.partition_attribute) for index in LIST_INDEXES] == list(DATA_LIST_INDEXES)
    assert {index.sort_attribute for index in LIST_INDEXES} == {SORT_ATTRIBUTE} == {DATA_LIST_INDEX_SORT_KEY}


def test_idempotency_table_uses_powertools_defaults(dev: Synthesized) -> None:
    props = _table(dev, "idempotency")["Properties"]
    assert props["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert props["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}


@pytest.mark.parametrize(
    ("name", "stream"),
    [
        ("command", "NEW_AND_OLD_IMAGES"),
        ("data", "NEW_AND_OLD_IMAGES"),
        ("sequences", None),
        ("idempotency", None),
    ],
)
def test_streams_only_on_command_and_data(dev: Synthesized, name: str, stream: str | None) -> None:
    spec = _table(dev, name)["Properties"].get("StreamSpecification")
    assert (spec["StreamViewType"] if spec else None) == stream


@pytest.mark.parametrize("name", ["command", "data", "sequences", "idempotency"])
def test_on_demand_recoverable_and_encrypted(dev: Synthesized, name: str) -> None:
    props = _table(dev, name)["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert "ProvisionedThroughput" not in props
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert props["SSESpecification"]["SSEEnabled"] is True


def test_dev_tables_are_destroyed_with_the_stack(dev: Synthesized) -> None:
    for table in dev.resources("AWS::DynamoDB::Table").values():
        assert table["DeletionPolicy"] == "Delete"
        assert table["UpdateReplacePolicy"] == "Delete"
        assert not table["Properties"].get("DeletionProtectionEnabled", False)


def test_prod_tables_are_retained_and_protected(prod: Synthesized) -> None:
    tables = prod.resources("AWS::DynamoDB::Table")
    assert len(tables) == 5
    for table in tables.values():
        assert table["DeletionPolicy"] == "Retain"
        assert table["UpdateReplacePolicy"] == "Retain"
        assert table["Properties"]["DeletionProtectionEnabled"] is True
