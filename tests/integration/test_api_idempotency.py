"""`Idempotency-Key` on POST /orders."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.exceptions import ClientError

from harness.seed import SEED_ORDER, order_body
from tests.integration.conftest import AwsEnv


def test_a_retry_returns_the_first_order_and_uses_no_new_number(catalogue: Any, aws: AwsEnv) -> None:
    first = catalogue("POST", "/orders", SEED_ORDER, headers={"Idempotency-Key": "k-1"})
    retry = catalogue("POST", "/orders", SEED_ORDER, headers={"idempotency-key": "k-1"})

    assert (first.status, retry.status) == (201, 201)
    assert retry.body == first.body
    assert catalogue("POST", "/orders", SEED_ORDER).body["code"] == "ORD-000002"


def test_the_same_key_with_another_body_is_refused(catalogue: Any) -> None:
    assert catalogue("POST", "/orders", SEED_ORDER, headers={"Idempotency-Key": "k-2"}).status == 201
    reused = catalogue("POST", "/orders", order_body(("PRD-002", 1)), headers={"Idempotency-Key": "k-2"})
    assert reused.status == 409
    assert reused.body["field"] == "Idempotency-Key" and "different request body" in reused.body["message"]


def test_keys_are_scoped_to_the_tenant(catalogue: Any) -> None:
    a = catalogue("POST", "/orders", SEED_ORDER, headers={"Idempotency-Key": "shared"})
    b = catalogue("POST", "/orders", SEED_ORDER, headers={"Idempotency-Key": "shared"}, tenant="shop-b")
    assert (a.body["pk"], b.body["pk"]) == ("TENANT#shop-a", "TENANT#shop-b")


def test_a_refused_order_is_not_remembered_under_its_key(catalogue: Any) -> None:
    refused = catalogue("POST", "/orders", order_body(("NOPE", 1)), headers={"Idempotency-Key": "k-3"})
    assert refused.status == 422
    fixed = catalogue("POST", "/orders", order_body(("NOPE", 1)), headers={"Idempotency-Key": "k-3"})
    assert fixed.status == 422  # re-evaluated, not replayed from a stored failure


def test_malformed_keys_are_refused(catalogue: Any) -> None:
    refused = catalogue("POST", "/orders", SEED_ORDER, headers={"Idempotency-Key": "x" * 200})
    assert refused.status == 422 and refused.body["field"] == "Idempotency-Key"


# ---- the crash window: the key's record and the order are written together, or not at all -------

WRITES = {"PutItem", "UpdateItem", "TransactWriteItems", "BatchWriteItem"}


@pytest.fixture
def faults(aws: AwsEnv, monkeypatch: pytest.MonkeyPatch) -> Faults:
    """Injects one failure into the DynamoDB requests of every client in the process."""
    from botocore.client import BaseClient

    state = Faults(aws.idempotency_table)
    original = BaseClient._make_api_call

    def call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        return state.around(operation, params, lambda: original(client, operation, params))

    monkeypatch.setattr(BaseClient, "_make_api_call", call)
    return state


@dataclass
class Faults:
    idempotency_table: str
    fail_record_write: bool = False  # the first write of the key's record fails before it is applied
    lose_order_response: bool = False  # the order's write is applied, then its response is lost
    injected: list[str] = field(default_factory=list)

    def around(self, operation: str, params: dict[str, Any], send: Callable[[], Any]) -> Any:
        text = json.dumps(params, default=str)
        if self.fail_record_write and operation in WRITES and self.idempotency_table in text:
            self.fail_record_write = False
            self.injected.append(f"{operation} refused")
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, operation)
        answer = send()
        if self.lose_order_response and operation in WRITES and "ORDER#" in text:
            self.lose_order_response = False
            self.injected.append(f"{operation} applied, answer lost")
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, operation)
        return answer


def orders_in(aws: AwsEnv) -> list[str]:
    items = aws.client.scan(TableName=aws.tables.data, ConsistentRead=True)["Items"]
    return sorted(i["sk"]["S"] for i in items if i["sk"]["S"].startswith("ORDER#"))


def test_a_failed_key_record_write_leaves_no_order_and_the_retry_makes_exactly_one(
    catalogue: Any, aws: AwsEnv, faults: Faults
) -> None:
    # Given the key's record write fails the first time (a throttle, a timeout, a crash)
    faults.fail_record_write = True

    # When the client sends the order, then retries it with the same key
    first = catalogue("POST", "/orders", SEED_ORDER, headers={"Idempotency-Key": "crash-1"})
    retry = catalogue("POST", "/orders", SEED_ORDER, headers={"Idempotency-Key": "crash-1"})
    again = catalogue("POST", "/orders", SEED_ORDER, headers={"Idempotency-Key": "crash-1"})

    # Then the failed attempt wrote no order, and the retries answer with one and the same order
    assert (first.status, retry.status, again.status) == (500, 201, 201)
    assert orders_in(aws) == [f"ORDER#{retry.body['code']}"]
    assert again.body == retry.body
    # (the record travelled in the order's own request)
    assert faults.injected == ["TransactWriteItems refused"]


def test_an_order_whose_answer_was_lost_is_returned_to_the_retry_not_created_again(
    catalogue: Any, aws: AwsEnv, faults: Faults
) -> None:
    # Given the order's write is applied but its answer never reaches the function
    faults.lose_order_response = True

    first = catalogue("POST", "/orders", SEED_ORDER, headers={"Idempotency-Key": "crash-2"})
    retry = catalogue("POST", "/orders", SEED_ORDER, headers={"Idempotency-Key": "crash-2"})

    # Then the retry returns the order the first attempt wrote: one order, number 1
    assert (first.status, retry.status) == (500, 201)
    assert orders_in(aws) == ["ORDER#ORD-000001"]
    assert retry.body["code"] == "ORD-000001"
    assert faults.injected == ["TransactWriteItems applied, answer lost"]
