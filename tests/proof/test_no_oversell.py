"""No oversell over HTTP: concurrent orders never reserve more than the stock, and a multi-line
order reserves all of its lines or none (docs/design.md, "Invariants")."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.proof.ledger import RecordingApi, multi_line_order, new_product
from tests.proof.settle import settle, stock

pytestmark = pytest.mark.e2e

CLIENT_THREADS = 8
REQUEST_TIMEOUT_S = 30.0


def post_concurrently(api: RecordingApi, bodies: list[dict[str, Any]]) -> list[tuple[int, Any]]:
    """POST /orders for each body from `CLIENT_THREADS` threads (a connection per thread)."""
    local = threading.local()
    clients: list[RecordingApi] = []
    lock = threading.Lock()

    def post(body: dict[str, Any]) -> tuple[int, Any]:
        if not hasattr(local, "api"):
            local.api = RecordingApi(f"http://{api.host}:{api.port}/", api.token, api.tenant, REQUEST_TIMEOUT_S)
            with lock:
                clients.append(local.api)
        return local.api.post("/orders", body)

    try:
        with ThreadPoolExecutor(CLIENT_THREADS) as pool:
            return list(pool.map(post, bodies, timeout=len(bodies) * REQUEST_TIMEOUT_S))
    finally:
        for client in clients:
            client.close()


def test_fifty_concurrent_orders_on_a_stock_of_ten_reserve_exactly_ten(
    api_as: Callable[[str, str], RecordingApi],
) -> None:
    # Given a product with 10 units that no other test touches
    admin = api_as("shop-a", "admin")
    product = new_product(admin, stock=10)

    # When 50 orders of one unit each arrive from 8 client threads at once
    answers = post_concurrently(admin, [multi_line_order([product], customer=f"CUST-OS-{i}") for i in range(50)])

    # Then every order is accepted (the reservation is asynchronous) and gets its own number
    assert [status for status, _ in answers] == [201] * 50, [a for a in answers if a[0] != 201][:3]
    codes = [body["code"] for _, body in answers]
    assert len(set(codes)) == 50

    # And once the reservations settle, exactly 10 are reserved and 40 failed
    orders = settle(admin, codes)
    outcome = Counter(order["attributes"]["inventoryStatus"] for order in orders.values())
    assert outcome == Counter(reserved=10, failed=40)

    # And the stock shows exactly those 10 units reserved: never more than on hand
    after = stock(admin, product)
    assert (after["quantity"], after["reservedQuantity"], after["available"]) == (10, 10, 0)


def test_two_line_orders_reserve_both_lines_or_neither(api_as: Callable[[str, str], RecordingApi]) -> None:
    # Given two products with unequal stock (6 and 4): a line-by-line reservation would leave
    # the first product with more units reserved than there are fully reserved orders
    admin = api_as("shop-a", "admin")
    first, second = new_product(admin, stock=6), new_product(admin, stock=4)

    # When 20 orders of 1 + 1 arrive concurrently
    answers = post_concurrently(admin, [multi_line_order([first, second], customer=f"CUST-2L-{i}") for i in range(20)])
    assert [status for status, _ in answers] == [201] * 20, [a for a in answers if a[0] != 201][:3]

    # Then exactly 4 orders (the scarcer product's stock) are reserved, the rest failed whole
    orders = settle(admin, [body["code"] for _, body in answers])
    outcome = Counter(order["attributes"]["inventoryStatus"] for order in orders.values())
    assert outcome == Counter(reserved=4, failed=16)

    # And each product has exactly one unit reserved per reserved order: no order is half reserved
    reserved_orders = outcome["reserved"]
    assert stock(admin, first)["reservedQuantity"] == reserved_orders
    assert stock(admin, second)["reservedQuantity"] == reserved_orders
    assert stock(admin, second)["available"] == 0 and stock(admin, first)["available"] == 2
