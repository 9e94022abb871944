"""GET /orders/{code}/history, /products/{code}/history, /inventory/{productCode}/history."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from cqrs.context import UserContext
from cqrs.items import Command
from harness.seed import CATALOGUE, SEED_ORDER
from shop.wiring import shop
from tests.integration.conftest import AwsEnv

Api = Callable[..., Any]


@pytest.fixture
def product(api: Api) -> Api:
    """PRD-001 in shop-a, then its price changed 11 times: versions 1..12 (price 30 + v - 1 at v > 1)."""
    assert api("POST", "/products", CATALOGUE[0]).status == 201
    for version in range(1, 12):
        changed = api("PATCH", "/products/PRD-001", {"version": version, "price": 30 + version})
        assert changed.status == 200, changed.body
    return api


def versions_of(page: dict[str, Any]) -> list[int]:
    return [entry["version"] for entry in page["items"]]


def test_history_is_newest_first_over_several_pages(product: Api) -> None:
    pages = []
    cursor = None
    for _ in range(10):
        query = {"limit": "5"} | ({"cursor": cursor} if cursor else {})
        answer = product("GET", "/products/PRD-001/history", query=query)
        assert answer.status == 200, answer.body
        pages.append(versions_of(answer.body))
        cursor = answer.body["nextCursor"]
        if cursor is None:
            break
    assert pages == [[12, 11, 10, 9, 8], [7, 6, 5, 4, 3], [2, 1]]


def test_each_version_says_what_it_changed(product: Api) -> None:
    page = product("GET", "/products/PRD-001/history", query={"limit": "100"}).body
    assert page["nextCursor"] is None
    by_version = {entry["version"]: entry for entry in page["items"]}
    assert by_version[12]["changes"] == {"attributes.price": {"from": Decimal(40), "to": Decimal(41)}}
    assert by_version[2]["changes"] == {"attributes.price": {"from": Decimal("29.99"), "to": Decimal(31)}}
    assert by_version[2]["by"] == "user-1" and by_version[2]["source"] == "PATCH /products"
    assert by_version[2]["at"].endswith("Z")
    created = by_version[1]["changes"]
    assert created["name"] == {"from": None, "to": "Wireless Mouse"}
    assert created["attributes.price"] == {"from": None, "to": Decimal("29.99")}
    assert created["attributes.categoryCode"] == {"from": None, "to": "CAT-PERIPH"}
    assert created["attributes.isActive"] == {"from": None, "to": True}
    assert created["attributes.images"] == {"from": None, "to": []}
    assert by_version[1]["source"] == "POST /products"


def test_a_page_exactly_at_version_one_ends_the_history(product: Api) -> None:
    first = product("GET", "/products/PRD-001/history", query={"limit": "6"}).body
    second = product("GET", "/products/PRD-001/history", query={"limit": "6", "cursor": first["nextCursor"]}).body
    assert versions_of(first) == [12, 11, 10, 9, 8, 7] and versions_of(second) == [6, 5, 4, 3, 2, 1]
    assert second["nextCursor"] is None


def test_order_history_shows_creation_and_each_status_change(api: Api) -> None:
    assert api("POST", "/products", CATALOGUE[0]).status == 201
    assert api("PATCH", "/inventory/PRD-001", {"version": 0, "quantity": 10}).status == 200
    code = api("POST", "/orders", SEED_ORDER).body["code"]
    assert api("PATCH", f"/orders/{code}/status", {"status": "confirmed"}).status == 200
    assert api("PATCH", f"/orders/{code}/status", {"status": "cancelled"}, role="staff", sub="clerk-7").status == 200

    history = api("GET", f"/orders/{code}/history", role="staff").body
    assert versions_of(history) == [3, 2, 1] and history["nextCursor"] is None
    cancelled, confirmed, created = history["items"]
    assert cancelled["by"] == "clerk-7"
    assert set(cancelled["changes"]) == {"attributes.status", "attributes.cancelledAt"}
    assert cancelled["changes"]["attributes.status"] == {"from": "confirmed", "to": "cancelled"}
    assert cancelled["changes"]["attributes.cancelledAt"]["from"] is None
    assert confirmed["changes"] == {"attributes.status": {"from": "pending", "to": "confirmed"}}
    assert created["changes"]["attributes.customerId"] == {"from": None, "to": "CUST-001"}
    assert created["changes"]["attributes.shippingAddress.city"] == {"from": None, "to": "Tokyo"}
    assert created["changes"]["attributes.status"] == {"from": None, "to": "pending"}


def test_inventory_history(api: Api) -> None:
    assert api("POST", "/products", CATALOGUE[0]).status == 201
    assert api("PATCH", "/inventory/PRD-001", {"version": 0, "quantity": 10}).status == 200
    assert api("PATCH", "/inventory/PRD-001", {"version": 1, "restock": 5}).status == 200
    history = api("GET", "/inventory/PRD-001/history").body
    assert versions_of(history) == [2, 1]
    assert history["items"][0]["changes"]["attributes.quantity"] == {"from": 10, "to": 15}
    assert history["items"][1]["changes"]["attributes.quantity"] == {"from": None, "to": 10}


def test_another_tenants_code_and_an_unknown_code_are_404(product: Api) -> None:
    for path in ("/products/PRD-001/history", "/inventory/PRD-001/history", "/orders/ORD-000001/history"):
        foreign = product("GET", path, tenant="shop-b")
        assert foreign.status == 404, (path, foreign.body)
        assert "29.99" not in str(foreign.body)
    assert product("GET", "/products/PRD-404/history").status == 404


def test_history_cursors_belong_to_one_entity(product: Api) -> None:
    assert product("POST", "/products", CATALOGUE[1]).status == 201
    cursor = product("GET", "/products/PRD-001/history", query={"limit": "2"}).body["nextCursor"]
    list_cursor = product("GET", "/products", query={"limit": "1"}).body["nextCursor"]
    for path, query in [
        ("/products/PRD-002/history", {"cursor": cursor}),
        ("/products/PRD-001/history", {"cursor": list_cursor}),
        ("/products/PRD-001/history", {"cursor": "not-a-cursor"}),
        ("/products", {"cursor": cursor}),
    ]:
        refused = product("GET", path, query=query)
        assert refused.status == 400 and refused.body["field"] == "cursor", (path, refused.body)
    for limit in ("0", "101"):
        refused = product("GET", "/products/PRD-001/history", query={"limit": limit})
        assert refused.status == 422 and refused.body["field"] == "limit"


def test_versions_are_read_whole_before_sorting_when_the_query_pages(aws: AwsEnv) -> None:
    # Twelve versions, three per query page: key order is @1, @10, @11, @12, @2, @3, ...
    core = shop().core
    ctx = UserContext(tenant_code="shop-a", user_id="user-1")
    item = core.commands.publish(
        Command(pk=ctx.pk, sk="ITEM#A", code="A", name="A", tenant_code="shop-a", attributes={"n": 1}), ctx
    )
    for n in range(2, 13):
        item = core.commands.publish(Command.updating(item, {"n": n}), ctx, current=item)
    assert [v.version for v in core.history.versions(ctx.pk, "ITEM#A", 5, query_page_size=3)] == [1, 2, 3, 4, 5]
    assert [v.version for v in core.history.versions(ctx.pk, "ITEM#A", query_page_size=3)] == list(range(1, 13))
