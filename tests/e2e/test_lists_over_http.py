"""Lists and history over HTTP against the local runtime, with real tokens from the local Cognito.

The runtime is shared with other e2e tests, which place orders of their own: these tests use a
customer of their own and assert on its orders only.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from harness.runtime_process import Api, wait_for
from harness.seed import order_body

pytestmark = pytest.mark.e2e


def reserved(api: Api, code: str) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        status, body = api.get(f"/orders/{code}")
        assert status == 200, body
        return body if body["attributes"]["inventoryStatus"] == "reserved" else None

    found: dict[str, Any] = wait_for(check, timeout=20.0, message=f"{code} reserved")
    return found


def test_a_customers_orders_newest_first_page_by_page_and_filtered_by_status(admin_a: Api, staff_a: Api) -> None:
    customer = f"CUST-E2E-{uuid.uuid4().hex[:8]}"
    codes = []
    for _ in range(3):
        status, created = admin_a.post("/orders", order_body(("PRD-001", 1), customerId=customer))
        assert status == 201, created
        codes.append(created["code"])
    first, second, third = codes

    status, page = staff_a.get(f"/orders?customerId={customer}&limit=2")
    assert status == 200, page
    assert [o["code"] for o in page["items"]] == [third, second] and page["nextCursor"]
    status, rest = staff_a.get(f"/orders?customerId={customer}&limit=2&cursor={page['nextCursor']}")
    assert status == 200, rest
    assert [o["code"] for o in rest["items"]] == [first] and rest["nextCursor"] is None

    reserved(admin_a, second)
    assert admin_a.patch(f"/orders/{second}/status", {"status": "confirmed"})[0] == 200
    status, confirmed = staff_a.get(f"/orders?customerId={customer}&status=confirmed")
    assert status == 200 and [o["code"] for o in confirmed["items"]] == [second], confirmed
    status, oldest_first = staff_a.get(f"/orders?customerId={customer}&order=asc")
    assert [o["code"] for o in oldest_first["items"]] == [first, second, third], oldest_first

    status, refused = staff_a.get(f"/orders?customerId={customer}&status=pending&cursor={page['nextCursor']}")
    assert status == 400 and refused["field"] == "cursor", refused


def test_an_orders_history_over_http(admin_a: Api, staff_a: Api, admin_b: Api) -> None:
    customer = f"CUST-E2E-{uuid.uuid4().hex[:8]}"
    status, created = admin_a.post("/orders", order_body(("PRD-001", 1), customerId=customer))
    assert status == 201, created
    code = created["code"]
    reserved(admin_a, code)  # version 2: the data-sync handler recorded the reservation
    assert admin_a.patch(f"/orders/{code}/status", {"status": "confirmed"})[0] == 200

    status, history = staff_a.get(f"/orders/{code}/history?limit=2")
    assert status == 200, history
    assert [v["version"] for v in history["items"]] == [3, 2]
    assert history["items"][0]["changes"] == {"attributes.status": {"from": "pending", "to": "confirmed"}}
    assert history["items"][1]["changes"] == {"attributes.inventoryStatus": {"from": "pending", "to": "reserved"}}
    status, rest = staff_a.get(f"/orders/{code}/history?limit=2&cursor={history['nextCursor']}")
    assert status == 200 and [v["version"] for v in rest["items"]] == [1] and rest["nextCursor"] is None
    assert rest["items"][0]["changes"]["attributes.customerId"] == {"from": None, "to": customer}

    status, foreign = admin_b.get(f"/orders/{code}/history")
    assert status == 404, foreign


def test_the_low_stock_list_is_fewest_available_first(staff_a: Api) -> None:
    status, page = staff_a.get("/inventory?availableBelow=100&limit=100")
    assert status == 200, page
    available = [record["attributes"]["available"] for record in page["items"]]
    assert available == sorted(available) and all(units < 100 for units in available)
    # The demo stocks PRD-003 with 10 units and PRD-002 with 50: both are low, whatever others ordered.
    assert {"PRD-002", "PRD-003"} <= {record["code"] for record in page["items"]}
