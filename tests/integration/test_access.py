"""Route x role x tenant: every route allows exactly its roles, and never reaches another tenant."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support.seed import CATALOGUE, SEED_ORDER

OWN, FOREIGN = "shop-a", "shop-b"
ROLES = ["admin", "staff", None, "guest"]
BOTH, ADMIN = frozenset({"admin", "staff"}), frozenset({"admin"})

# The intended policy, written out (and in the README's API table): who may call each route, and
# a valid request against the fixture's state with its own-tenant status. Never read from
# `handlers.access.POLICY`, which is what this checks: changing who may do what fails here until
# this table is changed on purpose.
ROUTES: dict[tuple[str, str], tuple[frozenset[str], str, str, Any, int]] = {
    ("POST", "/orders"): (BOTH, "POST", "/orders", SEED_ORDER, 201),
    ("GET", "/orders"): (BOTH, "GET", "/orders", None, 200),
    ("GET", "/orders/<code>"): (BOTH, "GET", "/orders/ORD-000001", None, 200),
    ("PATCH", "/orders/<code>/status"): (BOTH, "PATCH", "/orders/ORD-000001/status", {"status": "confirmed"}, 200),
    ("POST", "/products"): (ADMIN, "POST", "/products", CATALOGUE[1], 201),
    ("GET", "/products"): (BOTH, "GET", "/products", None, 200),
    ("GET", "/products/<code>"): (BOTH, "GET", "/products/PRD-001", None, 200),
    ("PATCH", "/products/<code>"): (ADMIN, "PATCH", "/products/PRD-001", {"version": 1, "price": 31}, 200),
    ("GET", "/inventory/<productCode>"): (BOTH, "GET", "/inventory/PRD-001", None, 200),
    ("PATCH", "/inventory/<productCode>"): (ADMIN, "PATCH", "/inventory/PRD-001", {"version": 1, "restock": 1}, 200),
}
# Served without a token (the API's own description).
PUBLIC_ROUTES = {("GET", "/openapi.json"), ("GET", "/swagger"), ("GET", "/swagger/ui.js"), ("GET", "/swagger/ui.css")}
# Routes that name one entity: another tenant gets 404 for them (existence does not leak).
ENTITY_ROUTES = {key for key in ROUTES if "<" in key[1]}
# shop-b's catalogue is its own: ordering shop-a's product from shop-b names an unknown product.
FOREIGN_STATUS = {("POST", "/orders"): 422}
CASES = [(route, role, tenant) for route in ROUTES for role in ROLES for tenant in (OWN, FOREIGN)]


def test_every_registered_route_has_a_policy_and_a_case() -> None:
    from handlers.access import POLICY, PUBLIC
    from handlers.api import app

    registered = {(r.method, r.path) for r in app._static_routes + app._dynamic_routes}
    assert registered - PUBLIC_ROUTES == set(POLICY) == set(ROUTES)
    assert set(PUBLIC) == PUBLIC_ROUTES


def test_api_gateway_declares_exactly_the_handlers_routes_with_the_same_public_ones() -> None:
    from handlers.api import app
    from infra.names import API_ROUTES

    def gateway_style(path: str) -> str:
        return path.replace("<", "{").replace(">", "}")

    registered = {(r.method, gateway_style(r.path)) for r in app._static_routes + app._dynamic_routes}
    assert {(method, path) for method, path, _ in API_ROUTES} == registered
    public = {(method, gateway_style(path)) for method, path in PUBLIC_ROUTES}
    assert {(method, path) for method, path, needs_token in API_ROUTES if not needs_token} == public


@pytest.fixture
def shop_a(api: Callable[..., Any]) -> Callable[..., Any]:
    """shop-a holds PRD-001 with stock and order ORD-000001; shop-b holds nothing."""
    assert api("POST", "/products", CATALOGUE[0], tenant=OWN).status == 201
    assert api("PATCH", "/inventory/PRD-001", {"version": 0, "quantity": 10}, tenant=OWN).status == 200
    assert api("POST", "/orders", SEED_ORDER, tenant=OWN).status == 201
    return api


@pytest.mark.parametrize(("route", "role", "tenant"), CASES, ids=[f"{m} {p} {r} {t}" for (m, p), r, t in CASES])
def test_route_role_tenant(shop_a: Callable[..., Any], route: tuple[str, str], role: str | None, tenant: str) -> None:
    allowed, method, path, body, success = ROUTES[route]
    answer = shop_a(method, path, body, tenant=tenant, role=role)

    if role not in allowed:
        expected = 403
    elif tenant == FOREIGN and route in ENTITY_ROUTES:
        expected = 404
    elif tenant == FOREIGN:
        expected = FOREIGN_STATUS.get(route, success)
    else:
        expected = success
    assert answer.status == expected, answer.body
    assert OWN not in str(answer.body) or tenant == OWN  # nothing of shop-a ever reaches shop-b


def test_roles_are_listed_in_the_openapi_document(api: Callable[..., Any]) -> None:
    document = api("GET", "/openapi.json", tenant=None, role=None).body
    assert document["paths"]["/products"]["post"]["x-allowed-roles"] == ["admin"]
    assert document["paths"]["/orders"]["post"]["x-allowed-roles"] == ["admin", "staff"]


def test_cognito_groups_grant_a_role_too(shop_a: Callable[..., Any]) -> None:
    from handlers.api import handler
    from tests.support.events import FakeLambdaContext, api_event

    event = api_event("POST", "/products", CATALOGUE[1], role=None)
    event["requestContext"]["authorizer"]["claims"]["cognito:groups"] = "admin"
    assert handler(event, FakeLambdaContext())["statusCode"] == 201
