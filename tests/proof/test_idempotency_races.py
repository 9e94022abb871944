"""One order per Idempotency-Key over HTTP, when the retries of one request arrive at once."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.proof.ledger import RecordingApi, multi_line_order, new_product

pytestmark = pytest.mark.e2e

RETRIES = 8


def orders_of(dynamodb: Any, outputs: dict[str, Any], tenant: str) -> list[str]:
    """Every order code of `tenant` in the read model (DynamoDB Local, read directly)."""
    query: dict[str, Any] = {
        "TableName": outputs["DataTableName"],
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :sk)",
        "ExpressionAttributeValues": {":pk": {"S": f"TENANT#{tenant}"}, ":sk": {"S": "ORDER#"}},
        "ConsistentRead": True,
    }
    codes: list[str] = []
    for _ in range(20):  # one order expected: one page, bounded anyway
        page = dynamodb.query(**query)
        codes += [item["code"]["S"] for item in page["Items"]]
        if "LastEvaluatedKey" not in page:
            break
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return codes


def test_concurrent_retries_with_one_key_create_one_order(
    api_as: Callable[[str, str], RecordingApi], dynamodb: Any, proof_outputs: dict[str, Any]
) -> None:
    # Given a tenant of its own (so its orders can be counted) and one request body with one key
    admin = api_as("proof-idem-race", "admin")
    body = multi_line_order([new_product(admin, stock=50)], customer="CUST-IDEM-RACE")
    key = str(uuid.uuid4())
    barrier = threading.Barrier(RETRIES, timeout=30)
    environments: set[str] = set()

    def retry(_: int) -> tuple[int, Any]:
        api = admin.clone()
        try:
            api.get("/openapi.json", token="")  # connect before the barrier, so the retries leave together
            barrier.wait()
            api.environments.clear()
            answer = api.post("/orders", body, headers={"Idempotency-Key": key})
            environments.update(api.environments)
            return answer
        finally:
            api.close()

    # When 8 copies of the request arrive at the same moment
    with ThreadPoolExecutor(RETRIES) as pool:
        answers = list(pool.map(retry, range(RETRIES), timeout=120))

    # Then they raced (more than one execution environment of the API ran them)
    assert len(environments) >= 2, f"the API ran the retries one at a time: {environments}"
    # And each got the order (201) or "still in progress, retry" (409); every 201 names one order
    assert {status for status, _ in answers} <= {201, 409}, answers
    created = {answer["code"] for status, answer in answers if status == 201}
    assert len(created) == 1, answers
    # And the tenant has exactly that one order
    assert orders_of(dynamodb, proof_outputs, "proof-idem-race") == list(created)
    # And a retry after the first finished gets the same order back
    status, again = admin.post("/orders", body, headers={"Idempotency-Key": key})
    assert (status, again["code"]) == (201, created.pop())
