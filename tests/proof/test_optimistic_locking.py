"""Optimistic locking over HTTP: of 10 concurrent status changes naming the same version exactly
one wins; the order and its history move by exactly one version."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.proof.ledger import RecordingApi, multi_line_order, new_product
from tests.proof.settle import settle

pytestmark = pytest.mark.e2e

RACERS = 10


def history_versions(dynamodb: Any, outputs: dict[str, Any], tenant: str, code: str) -> dict[int, dict[str, Any]]:
    """The history table's versions of one order (DynamoDB Local, read directly: no API shows it)."""
    items: list[dict[str, Any]] = []
    query: dict[str, Any] = {
        "TableName": outputs["HistoryTableName"],
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :sk)",
        "ExpressionAttributeValues": {":pk": {"S": f"TENANT#{tenant}"}, ":sk": {"S": f"ORDER#{code}@"}},
        "ConsistentRead": True,
    }
    for _ in range(20):  # a handful of versions: one page, bounded anyway
        page = dynamodb.query(**query)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            break
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return {int(item["version"]["N"]): item for item in items}


def test_ten_concurrent_status_changes_with_one_version_let_exactly_one_through(
    api_as: Callable[[str, str], RecordingApi], dynamodb: Any, proof_outputs: dict[str, Any]
) -> None:
    # Given a settled order (the reservation is itself a new version of the order) and its version
    admin = api_as("shop-a", "admin")
    product = new_product(admin, stock=5)
    status, created = admin.post("/orders", multi_line_order([product], customer="CUST-LOCK"))
    assert status == 201, created
    code = created["code"]
    order = settle(admin, [code])[code]
    assert order["attributes"]["inventoryStatus"] == "reserved"
    version = order["version"]
    before = history_versions(dynamodb, proof_outputs, "shop-a", code)
    assert max(before) == version

    # When 10 clients confirm it at the same moment, each naming the version it read
    barrier = threading.Barrier(RACERS, timeout=30)
    environments: set[str] = set()

    def confirm(_: int) -> tuple[int, Any]:
        api = admin.clone()
        try:
            api.get("/openapi.json", token="")  # connect before the barrier, so the requests leave together
            barrier.wait()
            api.environments.clear()
            answer = api.patch(f"/orders/{code}/status", {"status": "confirmed", "version": version})
            environments.update(api.environments)
            return answer
        finally:
            api.close()

    with ThreadPoolExecutor(RACERS) as pool:
        answers = list(pool.map(confirm, range(RACERS), timeout=120))

    # (and they raced: more than one execution environment of the API ran them)
    assert len(environments) >= 2, f"the API ran the racers one at a time: {environments}"

    # Then exactly one is accepted and the other nine get 409 naming the version that won
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] + [409] * (RACERS - 1), answers
    for status, body in answers:
        if status == 409:
            assert body["currentVersion"] == version + 1 and body["yourVersion"] == version, body
            assert body["message"]

    # And the order moved by exactly one version, to confirmed
    status, after = admin.get(f"/orders/{code}")
    assert status == 200
    assert (after["version"], after["attributes"]["status"]) == (version + 1, "confirmed")

    # And the history holds exactly one new version, the confirmed one
    history = history_versions(dynamodb, proof_outputs, "shop-a", code)
    assert sorted(set(history) - set(before)) == [version + 1]
    assert history[version + 1]["attributes"]["M"]["status"]["S"] == "confirmed"
    assert sorted(history) == list(range(1, version + 2))
