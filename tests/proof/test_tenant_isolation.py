"""Tenant isolation over HTTP: every route, called by another tenant with this tenant's codes,
cursors and bodies, answers 404/403/4xx or the caller's own data, and no response carries any of
this tenant's data; this tenant's entities stay as they were."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest

from tests.proof.ledger import RecordingApi, all_pages, multi_line_order, new_product, unique
from tests.proof.settle import settle

pytestmark = pytest.mark.e2e

OWNER, INTRUDER = "shop-a", "shop-b"


def secrets_in(body: Any, secrets: list[str]) -> list[str]:
    text = json.dumps(body) if not isinstance(body, str) else body
    return [secret for secret in secrets if secret in text]


@pytest.fixture(scope="module")
def owners_data(api_as: Callable[[str, str], RecordingApi]) -> dict[str, Any]:
    """shop-a's product, stock and order, with values nobody else uses, and its cursors."""
    owner = api_as(OWNER, "admin")
    product = new_product(owner, stock=7)
    customer = unique("CUST-SECRET")
    status, order = owner.post("/orders", multi_line_order([product], customer=customer))
    assert status == 201, order
    # Cursors of shop-a's listings (a second order makes the first page end with a cursor)
    status, second = owner.post("/orders", multi_line_order([product], customer=customer))
    assert status == 201, second
    settle(owner, [order["code"], second["code"]])  # the reservation writes a version: let it land first
    orders_cursor = owner.get("/orders?limit=1")[1]["nextCursor"]
    products_cursor = owner.get("/products?limit=1")[1]["nextCursor"]
    assert orders_cursor and products_cursor
    return {
        "product": product,
        "order": order["code"],
        "orders_cursor": orders_cursor,
        "products_cursor": products_cursor,
        # What must never show up in a response to the other tenant
        "secrets": [f"TENANT#{OWNER}", f'"{OWNER}"', customer, product, f"SKU-{product}", order["id"]],
    }


def snapshot(api: RecordingApi, data: dict[str, Any]) -> list[Any]:
    paths = [f"/orders/{data['order']}", f"/products/{data['product']}", f"/inventory/{data['product']}"]
    answers = [api.get(path) for path in paths]
    assert all(status == 200 for status, _ in answers), answers
    return [(body["version"], body["attributes"]) for _, body in answers]


@pytest.mark.parametrize("role", ["admin", "staff"])
def test_another_tenant_reaches_nothing_through_any_route(
    api_as: Callable[[str, str], RecordingApi], owners_data: dict[str, Any], role: str
) -> None:
    owner, intruder = api_as(OWNER, "admin"), api_as(INTRUDER, role)
    order, product, secrets = owners_data["order"], owners_data["product"], owners_data["secrets"]
    before = snapshot(owner, owners_data)
    foreign_body = {"tenantCode": OWNER, "pk": f"TENANT#{OWNER}"}

    # Every route, with shop-a's codes, cursors and bodies naming shop-a
    probes: list[tuple[str, str, Any, set[int]]] = [
        ("GET", f"/orders/{order}", None, {404, 200}),  # 200 only if shop-b has an order of that number
        ("PATCH", f"/orders/{order}/status", {"status": "cancelled"}, {404, 200, 400, 403}),
        ("PATCH", f"/orders/{order}/status", {"status": "cancelled", **foreign_body}, {422, 403}),
        ("GET", f"/products/{product}", None, {404}),
        ("PATCH", f"/products/{product}", {"version": 1, "name": "Taken"}, {404, 403}),
        ("PATCH", f"/products/{product}", {"version": 1, "name": "Taken", **foreign_body}, {422, 403}),
        ("GET", f"/inventory/{product}", None, {404}),
        ("PATCH", f"/inventory/{product}", {"version": 1, "restock": 5}, {404, 403}),
        ("PATCH", f"/inventory/{product}", {"version": 1, "quantity": 0, **foreign_body}, {422, 403}),
        ("POST", "/orders", multi_line_order([product], customer="CUST-INTRUDER"), {422, 404}),
        ("POST", "/orders", {**multi_line_order([product]), **foreign_body}, {422}),
        (
            "POST",
            "/products",
            {
                "code": unique("PRF"),
                "name": "x",
                "categoryCode": "C",
                "sku": "S",
                "price": 1,
                "currency": "USD",
                **foreign_body,
            },
            {422, 403},
        ),
        # An order cursor names its tenant's list: another tenant's is refused (400), never followed.
        ("GET", f"/orders?cursor={quote(owners_data['orders_cursor'])}&limit=100", None, {400}),
        ("GET", f"/products?cursor={quote(owners_data['products_cursor'])}&limit=100", None, {200, 422}),
        ("GET", f"/orders?tenantCode={OWNER}&limit=100", None, {200, 422}),
        ("GET", f"/products?tenantCode={OWNER}", None, {200, 422}),
    ]
    for method, path, body, allowed in probes:
        # A made-up tenant header is ignored; the operators' X-Tenant-Code naming another tenant
        # is refused outright (403), never ignored and never trusted.
        sent = path + json.dumps(body)
        status, answer = intruder.request(method, path, body, headers={"X-Tenant": OWNER})
        assert status in allowed, (method, path, status, answer)
        # (a body refused as such, 422, may be refused before the caller is looked at, as for roles)
        named, refusal = intruder.request(method, path, body, headers={"X-Tenant-Code": OWNER})
        assert named == 403 or named == status == 422, (method, path, named, refusal)
        assert not secrets_in(refusal, [secret for secret in secrets if secret not in sent]), (method, path)
        # (a code the caller sent may be echoed back, "Product X not found": that is not a leak)
        assert not secrets_in(answer, [secret for secret in secrets if secret not in sent]), (method, path, answer)
        if status == 200 and isinstance(answer, dict) and "pk" in answer:
            assert answer["pk"] == f"TENANT#{INTRUDER}", (method, path, answer)
        if status >= 400:
            assert isinstance(answer, dict) and answer.get("message"), (method, path, answer)

    # And every page of shop-b's own listings holds only shop-b's items
    for path in ("/orders", "/products"):
        for _, page in all_pages(intruder, path):
            assert not secrets_in(page, secrets), path
            assert all(item["pk"] == f"TENANT#{INTRUDER}" for item in page["items"])

    # And shop-a's order, product and stock are as they were
    assert snapshot(owner, owners_data) == before


def test_the_owner_still_sees_its_own_data(
    api_as: Callable[[str, str], RecordingApi], owners_data: dict[str, Any]
) -> None:
    # The sweep above is meaningful only if the secrets are visible to their own tenant
    owner = api_as(OWNER, "staff")
    status, order = owner.get(f"/orders/{owners_data['order']}")
    assert status == 200 and order["pk"] == f"TENANT#{OWNER}"
    assert secrets_in(order, owners_data["secrets"])
