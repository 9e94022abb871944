"""/products and /inventory."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from harness.seed import CATALOGUE

MOUSE = CATALOGUE[0]


def test_create_get_and_list_products(api: Any) -> None:
    created = api("POST", "/products", MOUSE)
    assert created.status == 201
    assert (created.body["sk"], created.body["version"]) == ("PRODUCT#PRD-001", 1)
    assert created.body["attributes"]["price"] == Decimal("29.99")
    assert api("GET", "/products/PRD-001").body == created.body
    api("POST", "/products", CATALOGUE[1])
    listed = api("GET", "/products", query={"limit": "1"})
    assert [p["code"] for p in listed.body["items"]] == ["PRD-001"] and listed.body["nextCursor"]
    rest = api("GET", "/products", query={"limit": "1", "cursor": listed.body["nextCursor"]})
    assert [p["code"] for p in rest.body["items"]] == ["PRD-002"] and rest.body["nextCursor"] is None


def test_a_product_code_is_taken_once(api: Any) -> None:
    api("POST", "/products", MOUSE)
    again = api("POST", "/products", MOUSE | {"name": "Other"})
    assert again.status == 409 and "already exists" in again.body["message"]


def test_update_a_product_with_its_version(api: Any) -> None:
    api("POST", "/products", MOUSE)
    updated = api("PATCH", "/products/PRD-001", {"version": 1, "price": 24.5, "name": "Mouse v2"})
    assert updated.status == 200
    assert (updated.body["version"], updated.body["name"]) == (2, "Mouse v2")
    assert updated.body["attributes"]["price"] == Decimal("24.50")
    assert updated.body["attributes"]["sku"] == "WM-001"
    stale = api("PATCH", "/products/PRD-001", {"version": 1, "price": 20})
    assert stale.status == 409 and stale.body["currentVersion"] == 2
    unchanged = api("PATCH", "/products/PRD-001", {"version": 2, "price": 24.50})
    assert unchanged.body["version"] == 2  # changes nothing: no new version


def test_product_validation_names_the_field(api: Any) -> None:
    for body, field in [
        (MOUSE | {"price": -1}, "price"),
        (MOUSE | {"price": 1.999}, "price"),
        (MOUSE | {"currency": "usd"}, "currency"),
        (MOUSE | {"code": "A#B"}, "code"),
        ({k: v for k, v in MOUSE.items() if k != "sku"}, "sku"),
        (MOUSE | {"currency": "JPY", "price": 10.5}, "price"),
    ]:
        refused = api("POST", "/products", body)
        assert refused.status == 422, (body, refused.body)
        assert refused.body["field"] == field
    assert api("PATCH", "/products/PRD-404", {"version": 1, "price": 2}).status == 404


def test_inventory_is_created_set_and_restocked_with_versions(api: Any) -> None:
    api("POST", "/products", MOUSE)
    assert api("GET", "/inventory/PRD-001").status == 404

    created = api("PATCH", "/inventory/PRD-001", {"version": 0, "quantity": 10, "warehouseCode": "TOKYO-1"})
    assert created.status == 200
    stock = created.body["attributes"]
    assert (stock["quantity"], stock["reservedQuantity"], stock["available"], stock["warehouseCode"]) == (
        10, 0, 10, "TOKYO-1"
    )  # fmt: skip
    assert stock["lastRestockedAt"]

    restocked = api("PATCH", "/inventory/PRD-001", {"version": 1, "restock": 5})
    assert restocked.body["attributes"]["quantity"] == 15 and restocked.body["version"] == 2
    assert api("GET", "/inventory/PRD-001").body == restocked.body

    stale = api("PATCH", "/inventory/PRD-001", {"version": 1, "quantity": 3})
    assert stale.status == 409 and stale.body["currentVersion"] == 2
    both = api("PATCH", "/inventory/PRD-001", {"version": 2, "quantity": 3, "restock": 1})
    assert both.status == 422
    created_twice = api("PATCH", "/inventory/PRD-001", {"version": 0, "quantity": 1})
    assert created_twice.status == 409


def test_stock_is_only_for_catalogue_products(api: Any) -> None:
    assert api("PATCH", "/inventory/PRD-404", {"version": 0, "quantity": 1}).status == 404


def test_stock_cannot_be_set_below_what_is_reserved(api: Any) -> None:
    from cqrs.context import UserContext
    from shop.wiring import shop

    api("POST", "/products", MOUSE)
    api("PATCH", "/inventory/PRD-001", {"version": 0, "quantity": 10})
    ctx = UserContext.system("shop-a", "test")
    shop().core.commands.publish_partial_update("TENANT#shop-a", "INVENTORY#PRD-001", 1, {"reservedQuantity": 4}, ctx)

    refused = api("PATCH", "/inventory/PRD-001", {"version": 2, "quantity": 3})
    assert refused.status == 409 and refused.body["field"] == "quantity"
    assert api("PATCH", "/inventory/PRD-001", {"version": 2, "quantity": 4}).status == 200
