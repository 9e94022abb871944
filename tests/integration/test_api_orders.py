"""/orders through the API Lambda's handler, with REST events carrying Cognito claims."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from tests.integration.conftest import AwsEnv
from tests.support.seed import SEED_ORDER, order_body


def test_the_seed_example_gives_the_seed_response(catalogue: Any) -> None:
    created = catalogue("POST", "/orders", SEED_ORDER)

    assert created.status == 201
    order = created.body
    assert (order["pk"], order["sk"], order["code"], order["name"]) == (
        "TENANT#shop-a", "ORDER#ORD-000001", "ORD-000001", "Order ORD-000001"
    )  # fmt: skip
    assert order["version"] == 1
    attributes = order["attributes"]
    assert (attributes["subtotal"], attributes["tax"], attributes["total"]) == (
        Decimal("59.98"), Decimal("6.00"), Decimal("65.98")
    )  # fmt: skip
    assert attributes["status"] == "pending"
    assert attributes["items"] == [
        {"productCode": "PRD-001", "name": "Wireless Mouse", "quantity": 2, "price": Decimal("29.99")}
    ]
    assert attributes["placedAt"].endswith("Z")


def test_money_leaves_as_json_numbers_with_two_decimals(catalogue: Any) -> None:
    from handlers.api import handler
    from tests.support.events import FakeLambdaContext, api_event

    raw = handler(api_event("POST", "/orders", SEED_ORDER), FakeLambdaContext())["body"]
    assert '"tax":6.00' in raw and '"subtotal":59.98' in raw and '"total":65.98' in raw


def test_read_your_writes_get_right_after_post(catalogue: Any) -> None:
    created = catalogue("POST", "/orders", order_body(("PRD-001", 1), ("PRD-002", 3)))
    fetched = catalogue("GET", f"/orders/{created.body['code']}")
    assert fetched.status == 200
    assert fetched.body == created.body
    assert fetched.body["attributes"]["subtotal"] == Decimal("178.49")  # 29.99 + 3 x 49.50


def test_each_tenant_numbers_its_orders_from_one(catalogue: Any) -> None:
    codes_a = [catalogue("POST", "/orders", SEED_ORDER).body["code"] for _ in range(2)]
    code_b = catalogue("POST", "/orders", SEED_ORDER, tenant="shop-b").body["code"]
    assert codes_a == ["ORD-000001", "ORD-000002"] and code_b == "ORD-000001"


def test_prices_come_from_the_catalogue(catalogue: Any) -> None:
    quoted = catalogue("POST", "/orders", order_body(("PRD-001", 1)) | {"items": [
        {"productCode": "PRD-001", "quantity": 1, "price": 19.99}]})  # fmt: skip
    assert quoted.status == 409
    assert quoted.body["field"] == "items[0].price"
    assert (quoted.body["yourPrice"], quoted.body["catalogPrice"]) == (Decimal("19.99"), Decimal("29.99"))

    unpriced = catalogue("POST", "/orders", order_body(("PRD-002", 2)))
    assert unpriced.body["attributes"]["items"][0]["price"] == Decimal("49.50")


def test_unknown_inactive_and_duplicate_products_are_refused_without_using_a_number(catalogue: Any) -> None:
    cases = {
        "items[0].productCode": order_body(("NOPE", 1)),
        "items[1].productCode": order_body(("PRD-001", 1), ("PRD-003", 1)),
    }
    for field, body in cases.items():
        refused = catalogue("POST", "/orders", body)
        assert (refused.status, refused.body["field"]) == (422, field), refused.body
    duplicate = catalogue("POST", "/orders", order_body(("PRD-001", 1), ("PRD-001", 2)))
    assert duplicate.status == 422 and duplicate.body["field"] == "items[1].productCode"
    assert "items[0]" in duplicate.body["message"]

    assert catalogue("POST", "/orders", SEED_ORDER).body["code"] == "ORD-000001"  # no gap


def test_quantities_are_bounded_positive_integers(catalogue: Any) -> None:
    for quantity in (0, -1, 1001, 1.5, "2", None):
        refused = catalogue("POST", "/orders", order_body(("PRD-001", 1)) | {"items": [
            {"productCode": "PRD-001", "quantity": quantity}]})  # fmt: skip
        assert refused.status == 422, quantity
        assert refused.body["field"] == "items[0].quantity"


def reserve_stock_of(order: dict[str, Any]) -> None:
    """Record the reservation as the data-sync would (no stream runs in these tests)."""
    from cqrs.context import UserContext
    from shop.wiring import shop

    ctx = UserContext.system("shop-a", "data-sync")
    shop().core.commands.publish_partial_update(order["pk"], order["sk"], 1, {"inventoryStatus": "reserved"}, ctx)


def test_status_lifecycle_stamps_shipped_and_delivered(catalogue: Any) -> None:
    order = catalogue("POST", "/orders", SEED_ORDER).body
    code = order["code"]
    reserve_stock_of(order)
    for status in ("confirmed", "processing", "shipped", "delivered"):
        moved = catalogue("PATCH", f"/orders/{code}/status", {"status": status})
        assert moved.status == 200, moved.body
        assert moved.body["attributes"]["status"] == status
    attributes = moved.body["attributes"]
    assert attributes["shippedAt"] <= attributes["deliveredAt"]
    assert moved.body["version"] == 6


@pytest.mark.parametrize("stock", ["pending", "released", "skipped"])
def test_an_order_is_processed_only_when_its_stock_is_reserved(catalogue: Any, stock: str) -> None:
    from cqrs.context import UserContext
    from shop.wiring import shop

    order = catalogue("POST", "/orders", SEED_ORDER).body
    ctx = UserContext.system("shop-a", "data-sync")
    shop().core.commands.publish_partial_update(order["pk"], order["sk"], 1, {"inventoryStatus": stock}, ctx)
    assert catalogue("PATCH", f"/orders/{order['code']}/status", {"status": "confirmed"}).status == 200

    refused = catalogue("PATCH", f"/orders/{order['code']}/status", {"status": "processing"})

    assert refused.status == 409
    assert refused.body == {
        "message": f"Cannot transition from confirmed to processing: inventoryStatus is '{stock}', "
        "and an order may become processing only when it is 'reserved'",
        "field": "inventoryStatus",
        "inventoryStatus": stock,
    }
    assert catalogue("GET", f"/orders/{order['code']}").body["attributes"]["status"] == "confirmed"


def test_forbidden_transitions_are_400_as_in_the_seed(catalogue: Any) -> None:
    code = catalogue("POST", "/orders", SEED_ORDER).body["code"]
    refused = catalogue("PATCH", f"/orders/{code}/status", {"status": "shipped"})
    assert refused.status == 400
    assert refused.body["message"] == "Cannot transition from pending to shipped"
    unknown = catalogue("PATCH", f"/orders/{code}/status", {"status": "teleported"})
    assert unknown.status == 422 and unknown.body["field"] == "status"


def test_a_stale_version_is_a_conflict_naming_the_current_one(catalogue: Any) -> None:
    code = catalogue("POST", "/orders", SEED_ORDER).body["code"]
    assert catalogue("PATCH", f"/orders/{code}/status", {"status": "confirmed", "version": 1}).status == 200
    stale = catalogue("PATCH", f"/orders/{code}/status", {"status": "cancelled", "version": 1})
    assert stale.status == 409
    assert (stale.body["currentVersion"], stale.body["yourVersion"]) == (2, 1)
    assert catalogue("GET", f"/orders/{code}").body["attributes"]["status"] == "confirmed"


def test_an_order_whose_reservation_failed_may_only_be_cancelled(catalogue: Any, aws: AwsEnv) -> None:
    from cqrs.context import UserContext
    from shop.wiring import shop

    order = catalogue("POST", "/orders", SEED_ORDER).body
    ctx = UserContext.system("shop-a", "test")
    shop().core.commands.publish_partial_update(order["pk"], order["sk"], 1, {"inventoryStatus": "failed"}, ctx)

    refused = catalogue("PATCH", f"/orders/{order['code']}/status", {"status": "confirmed"})
    assert refused.status == 400 and "reservation failed" in refused.body["message"]
    assert catalogue("PATCH", f"/orders/{order['code']}/status", {"status": "cancelled"}).status == 200


def test_pagination_over_45_orders_with_and_without_a_status_filter(catalogue: Any) -> None:
    for _ in range(45):
        catalogue("POST", "/orders", SEED_ORDER)
    for n in range(1, 46, 3):  # 15 confirmed orders: 1, 4, 7, ...
        catalogue("PATCH", f"/orders/ORD-{n:06d}/status", {"status": "confirmed"})

    def all_pages(query: dict[str, str]) -> tuple[list[str], int]:
        codes: list[str] = []
        cursor = None
        for pages in range(1, 20):
            params = query | ({"cursor": cursor} if cursor else {})
            page = catalogue("GET", "/orders", query=params)
            assert page.status == 200, page.body
            codes += [order["code"] for order in page.body["items"]]
            cursor = page.body["nextCursor"]
            if not cursor:
                return codes, pages
        raise AssertionError("pagination did not end")

    codes, pages = all_pages({"limit": "20"})
    assert codes == [f"ORD-{n:06d}" for n in range(1, 46)] and pages == 3
    default_page = catalogue("GET", "/orders")
    assert len(default_page.body["items"]) == 20

    confirmed, pages = all_pages({"limit": "10", "status": "confirmed"})
    assert confirmed == [f"ORD-{n:06d}" for n in range(1, 46, 3)] and pages == 2


def test_list_limits_and_cursors_are_validated(catalogue: Any) -> None:
    for query, field in [({"limit": "0"}, "limit"), ({"limit": "101"}, "limit"), ({"limit": "x"}, "limit"),
                         ({"cursor": "garbage"}, "cursor"), ({"status": "lost"}, "status")]:  # fmt: skip
        refused = catalogue("GET", "/orders", query=query)
        assert refused.status in (400, 422), refused.body
        assert refused.body["field"] == field


def test_unknown_order_is_404(catalogue: Any) -> None:
    missing = catalogue("GET", "/orders/ORD-999999")
    assert missing.status == 404 and "ORD-999999" in missing.body["message"]
    assert catalogue("PATCH", "/orders/ORD-999999/status", {"status": "confirmed"}).status == 404


def test_body_cannot_choose_the_tenant_or_the_totals(catalogue: Any, aws: AwsEnv) -> None:
    smuggled = catalogue("POST", "/orders", SEED_ORDER | {"tenantCode": "shop-b", "total": 1})
    assert smuggled.status == 422
    assert {e["field"] for e in smuggled.body["errors"]} == {"tenantCode", "total"}
    assert json.dumps(aws.client.scan(TableName=aws.tables.data)).count("ORDER#") == 0


def test_a_status_change_without_version_survives_a_concurrent_system_write(catalogue: Any, monkeypatch: Any) -> None:
    from cqrs.context import UserContext
    from shop.wiring import shop

    order = catalogue("POST", "/orders", SEED_ORDER).body
    commands = shop().core.commands
    publish = commands.publish
    interleaved: list[int] = []

    def publish_after_a_system_write(command: Any, ctx: Any, **kwargs: Any) -> Any:
        if ctx.user_id == "user-1" and not interleaved:
            # The data-sync handler records the reservation between the API's read and its write.
            system = UserContext.system("shop-a", "data-sync")
            patch = {"inventoryStatus": "reserved"}
            interleaved.append(commands.publish_partial_update(order["pk"], order["sk"], 1, patch, system).version)
        return publish(command, ctx, **kwargs)

    monkeypatch.setattr(commands, "publish", publish_after_a_system_write)
    moved = catalogue("PATCH", f"/orders/{order['code']}/status", {"status": "confirmed"})

    assert moved.status == 200, moved.body
    assert interleaved == [2] and moved.body["version"] == 3
    assert moved.body["attributes"]["inventoryStatus"] == "reserved"  # the system's write is kept
    stale = catalogue("PATCH", f"/orders/{order['code']}/status", {"status": "processing", "version": 2})
    assert stale.status == 409
