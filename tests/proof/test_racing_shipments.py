"""A client faster than the data-sync cannot ship an order without stock.

Over HTTP against the local runtime: orders for a product with no stock are created and at once
moved to confirmed, processing and shipped, before the data-sync has tried to reserve. Every
order must end with its status no further than `confirmed` unless its stock was reserved.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.proof.ledger import RecordingApi, new_product
from tests.proof.settle import settle

pytestmark = pytest.mark.e2e

TENANT = "proof-race"
ATTEMPTS = 12
STEPS = ("confirmed", "processing", "shipped")
WORKED = {"processing", "shipped", "delivered"}
BACKED_BY_STOCK = {"reserved", "deducted"}


def order_body(product: str) -> dict[str, Any]:
    return {
        "customerId": "CUST-RACE",
        "items": [{"productCode": product, "quantity": 1}],
        "shippingAddress": {"street": "1 Main St", "city": "Tokyo", "postalCode": "100-0001", "country": "JP"},
        "paymentMethod": "credit_card",
    }


def race(api: RecordingApi, product: str) -> tuple[str, list[tuple[str, int, Any]]]:
    """Create an order and walk it as far as the API lets it go, at once; (code, answers)."""
    status, created = api.post("/orders", order_body(product))
    assert status == 201, created
    answers = []
    for step in STEPS:
        status, body = api.patch(f"/orders/{created['code']}/status", {"status": step})
        answers.append((step, status, body))
        if status != 200:
            break
    return created["code"], answers


def test_orders_without_stock_never_move_past_confirmed(api_as: Callable[[str, str], RecordingApi]) -> None:
    admin = api_as(TENANT, "admin")
    empty = new_product(admin, stock=0)

    codes, refusals = [], []
    for _ in range(ATTEMPTS):
        code, answers = race(admin, empty)
        codes.append(code)
        assert all(status < 500 for _, status, _ in answers), answers
        refusals += [(step, status, body) for step, status, body in answers if status != 200]

    settled = settle(admin, codes)
    past_confirmed = [
        code
        for code, order in settled.items()
        if order["attributes"]["status"] in WORKED and order["attributes"]["inventoryStatus"] not in BACKED_BY_STOCK
    ]
    print(f"racing shipments: {ATTEMPTS} attempts, {len(past_confirmed)} moved past confirmed without reserved stock")
    assert past_confirmed == []
    assert {order["attributes"]["inventoryStatus"] for order in settled.values()} == {"failed"}
    # Each refusal is the stock rule (409 while pending) or the failed reservation's (400)
    assert len(refusals) == ATTEMPTS
    for step, status, body in refusals:
        assert step in ("confirmed", "processing"), (step, status, body)
        assert (status, body["field"]) in ((409, "inventoryStatus"), (400, "status")), body


def test_orders_with_stock_are_shipped_once_reserved(api_as: Callable[[str, str], RecordingApi]) -> None:
    admin = api_as(TENANT, "admin")
    stocked = new_product(admin, stock=ATTEMPTS)
    codes = [race(admin, stocked)[0] for _ in range(3)]
    settle(admin, codes)
    for code in codes:
        for step in STEPS:
            status, body = admin.patch(f"/orders/{code}/status", {"status": step})
            assert status in (200, 400), body  # 400: already past this step in the race
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        orders = [admin.get(f"/orders/{code}")[1]["attributes"] for code in codes]
        if all(order["inventoryStatus"] == "deducted" for order in orders):
            break
        time.sleep(0.5)
    assert [(o["status"], o["inventoryStatus"]) for o in orders] == [("shipped", "deducted")] * 3
