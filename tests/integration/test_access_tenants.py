"""Route x caller x tenant for the tenant routes and the operator role, stated literally.

Callers: `operator` (role system_admin, tenant common), shop-a's `admin` and `staff`, and a shop-a
user who claims system_admin (`fake-operator`: the role counts only in the common tenant).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness.seed import CATALOGUE, SEED_ORDER

CALLERS: dict[str, dict[str, str]] = {
    "operator": {"tenant": "common", "role": "system_admin", "sub": "operator-1"},
    "admin": {"tenant": "shop-a", "role": "admin", "sub": "admin-a"},
    "staff": {"tenant": "shop-a", "role": "staff", "sub": "staff-a"},
    "fake-operator": {"tenant": "shop-a", "role": "system_admin", "sub": "fake-a"},
    "admin-b": {"tenant": "shop-b", "role": "admin", "sub": "admin-b"},
    "common-admin": {"tenant": "common", "role": "admin", "sub": "common-admin"},
}
SETTINGS = {"version": 1, "taxRate": 0.08}
# The routes this file covers (each has rows below; test_access.py checks every route is covered).
TENANT_ROUTES = {
    ("GET", "/tenant"),
    ("PATCH", "/tenant/settings"),
    ("POST", "/tenants"),
    ("GET", "/tenants"),
    ("GET", "/tenants/<code>"),
    ("PATCH", "/tenants/<code>"),
    ("GET", "/tenants/<code>/history"),
}

# (caller, method, path, body, X-Tenant-Code or None, expected status)
MATRIX: list[tuple[str, str, str, Any, str | None, int]] = [
    # the registry: operators only, no header
    ("operator", "GET", "/tenants", None, None, 200),
    ("admin", "GET", "/tenants", None, None, 403),
    ("staff", "GET", "/tenants", None, None, 403),
    ("fake-operator", "GET", "/tenants", None, None, 403),
    ("operator", "POST", "/tenants", {"code": "shop-c", "name": "Shop C"}, None, 201),
    ("admin", "POST", "/tenants", {"code": "shop-c", "name": "Shop C"}, None, 403),
    ("fake-operator", "POST", "/tenants", {"code": "shop-c", "name": "Shop C"}, None, 403),
    ("operator", "POST", "/tenants", {"code": "shop-c", "name": "Shop C"}, "shop-a", 400),
    ("operator", "GET", "/tenants/shop-a", None, None, 200),
    ("admin", "GET", "/tenants/shop-a", None, None, 403),
    ("operator", "GET", "/tenants/shop-z", None, None, 404),
    ("operator", "PATCH", "/tenants/shop-a", {"version": 1, "name": "Shop A2"}, None, 200),
    ("admin", "PATCH", "/tenants/shop-a", {"version": 1, "name": "Shop A2"}, None, 403),
    # a tenant changing another tenant's settings: refused, by either route
    ("admin", "PATCH", "/tenants/shop-b", {"version": 1, "settings": {"taxRate": 0.5}}, None, 403),
    ("admin", "PATCH", "/tenant/settings", SETTINGS, "shop-b", 403),
    ("operator", "GET", "/tenants/shop-a/history", None, None, 200),
    ("staff", "GET", "/tenants/shop-a/history", None, None, 403),
    # a tenant's own record and settings
    ("admin", "GET", "/tenant", None, None, 200),
    ("staff", "GET", "/tenant", None, None, 200),
    ("fake-operator", "GET", "/tenant", None, None, 403),
    ("operator", "GET", "/tenant", None, None, 400),
    ("operator", "GET", "/tenant", None, "shop-a", 200),
    ("admin", "PATCH", "/tenant/settings", SETTINGS, None, 200),
    ("admin", "PATCH", "/tenant/settings", SETTINGS, "shop-a", 200),
    ("staff", "PATCH", "/tenant/settings", SETTINGS, None, 403),
    ("operator", "PATCH", "/tenant/settings", SETTINGS, "shop-a", 200),
    # the operator on business routes: only by naming a registered shop
    ("operator", "GET", "/orders", None, None, 400),
    ("operator", "GET", "/orders", None, "shop-a", 200),
    ("operator", "GET", "/orders/ORD-000001", None, "shop-a", 200),
    ("operator", "GET", "/orders/ORD-000001", None, "shop-b", 404),
    ("operator", "GET", "/orders", None, "shop-z", 404),
    ("operator", "GET", "/orders", None, "common", 400),
    ("operator", "GET", "/orders", None, "shop#a", 400),
    ("operator", "POST", "/products", CATALOGUE[1], None, 400),
    ("operator", "POST", "/products", CATALOGUE[1], "shop-a", 201),
    ("operator", "PATCH", "/inventory/PRD-001", {"version": 1, "restock": 1}, "shop-a", 200),
    ("operator", "POST", "/orders", SEED_ORDER, "shop-a", 201),
    # a shop's users: their own code is accepted, any other refused (never ignored)
    ("admin", "GET", "/orders", None, "shop-a", 200),
    ("admin", "GET", "/orders", None, "shop-b", 403),
    ("staff", "GET", "/orders/ORD-000001", None, "shop-b", 403),
    ("admin", "POST", "/products", CATALOGUE[1], "shop-b", 403),
    ("admin", "POST", "/products", CATALOGUE[1], "common", 403),
    ("fake-operator", "GET", "/orders", None, "shop-b", 403),
    # the common tenant holds the registry and is no shop: its other users reach nothing
    ("common-admin", "GET", "/products", None, None, 403),
    ("common-admin", "POST", "/products", CATALOGUE[1], None, 403),
    ("common-admin", "GET", "/tenant", None, None, 403),
    ("common-admin", "GET", "/tenants", None, None, 403),
]


def test_every_tenant_route_has_rows() -> None:
    covered = {(method, path.replace("shop-a", "<code>")) for _, method, path, *_ in MATRIX}
    assert covered >= TENANT_ROUTES


def call_as(api: Callable[..., Any], caller: str, method: str, path: str, body: Any, header: str | None) -> Any:
    headers = {"X-Tenant-Code": header} if header is not None else None
    return api(method, path, body, headers=headers, **CALLERS[caller])


@pytest.fixture
def shops(api: Callable[..., Any]) -> Callable[..., Any]:
    """shop-a and shop-b registered; shop-a holds PRD-001 with stock and order ORD-000001."""
    for code, name in (("shop-a", "Shop A"), ("shop-b", "Shop B")):
        assert call_as(api, "operator", "POST", "/tenants", {"code": code, "name": name}, None).status == 201
    assert call_as(api, "admin", "POST", "/products", CATALOGUE[0], None).status == 201
    assert call_as(api, "admin", "PATCH", "/inventory/PRD-001", {"version": 0, "quantity": 10}, None).status == 200
    assert call_as(api, "admin", "POST", "/orders", SEED_ORDER, None).status == 201
    return api


@pytest.mark.parametrize(
    ("caller", "method", "path", "body", "header", "expected"),
    MATRIX,
    ids=[f"{c} {m} {p} header={h}" for c, m, p, _, h, _ in MATRIX],
)
def test_tenant_routes_and_operator(
    shops: Callable[..., Any], caller: str, method: str, path: str, body: Any, header: str | None, expected: int
) -> None:
    answer = call_as(shops, caller, method, path, body, header)
    assert answer.status == expected, answer.body


def test_the_refusals_name_their_reason(shops: Callable[..., Any]) -> None:
    missing = call_as(shops, "operator", "GET", "/orders", None, None)
    assert missing.body == {
        "message": "X-Tenant-Code: required: an operator names the tenant it acts in",
        "field": "X-Tenant-Code",
    }
    foreign = call_as(shops, "admin", "GET", "/orders", None, "shop-b")
    assert foreign.body == {"message": "X-Tenant-Code: you may not act in tenant 'shop-b'"}
    invalid = call_as(shops, "operator", "GET", "/orders", None, "shop a")
    assert (invalid.body["field"], invalid.body["message"]) == (
        "X-Tenant-Code",
        "X-Tenant-Code: may contain only letters, digits, '.', '_' and '-', and must start with a letter or digit",
    )
    unknown = call_as(shops, "operator", "GET", "/orders", None, "shop-z")
    assert unknown.body == {"message": "X-Tenant-Code: tenant shop-z is not registered"}


def test_the_openapi_document_names_the_operators_header(api: Callable[..., Any]) -> None:
    document = api("GET", "/openapi.json", tenant=None, role=None).body
    headers = [p["name"] for p in document["paths"]["/orders"]["get"]["parameters"] if p["in"] == "header"]
    assert headers == ["X-Tenant-Code"]
    registry = document["paths"]["/tenants"]["get"]
    assert "X-Tenant-Code" not in [p["name"] for p in registry.get("parameters", [])]
    assert registry["x-allowed-roles"] == ["system_admin"]


# Once shop-a is suspended: (caller, method, path, body, header, expected status).
SUSPENDED: list[tuple[str, str, str, Any, str | None, int]] = [
    ("admin", "GET", "/orders", None, None, 403),
    ("staff", "GET", "/orders/ORD-000001", None, None, 403),
    ("admin", "POST", "/orders", SEED_ORDER, None, 403),
    ("admin", "GET", "/tenant", None, None, 403),
    ("admin", "PATCH", "/tenant/settings", {"version": 2, "taxRate": 0.2}, None, 403),
    ("operator", "GET", "/orders/ORD-000001", None, "shop-a", 200),
    ("operator", "GET", "/tenant", None, "shop-a", 200),
    ("operator", "GET", "/tenants/shop-a", None, None, 200),
    ("admin-b", "GET", "/orders", None, None, 200),
]


@pytest.mark.parametrize(
    ("caller", "method", "path", "body", "header", "expected"),
    SUSPENDED,
    ids=[f"{c} {m} {p}" for c, m, p, _, _, _ in SUSPENDED],
)
def test_a_suspended_tenant(
    shops: Callable[..., Any], caller: str, method: str, path: str, body: Any, header: str | None, expected: int
) -> None:
    suspend = call_as(shops, "operator", "PATCH", "/tenants/shop-a", {"version": 1, "status": "suspended"}, None)
    assert suspend.status == 200 and suspend.body["attributes"]["status"] == "suspended"

    answer = call_as(shops, caller, method, path, body, header)

    assert answer.status == expected, answer.body
    if expected == 403:
        assert answer.body == {"message": "tenant suspended"}
