"""`Idempotency-Key` on POST /orders."""

from __future__ import annotations

from typing import Any

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
