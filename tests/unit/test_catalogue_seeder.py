"""The one catalogue seeder (`client.seed`) over the in-process adapter the local demo and the
benches use: what it sends, and how it reads the API's answers."""

from __future__ import annotations

from typing import Any

from client.seed import CallApi, seed_catalogue

MOUSE = {"code": "PRD-001", "name": "Mouse", "price": 29.99, "stock": 100, "warehouseCode": "WH-01"}
CABLE = {"code": "PRD-003", "name": "Cable", "price": 5}


class FakeApiHandler:
    """Answers like the API: products and stock records it already holds are 409."""

    def __init__(self, products: set[str], stock: set[str]) -> None:
        self.products, self.stock = products, stock
        self.sent: list[tuple[str, str, Any]] = []

    def __call__(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        self.sent.append((method, path, body))
        if method == "POST" and body.get("name") == "":
            return 422, {"message": "Validation failed", "errors": [{"field": "name", "message": "too short"}]}
        held, code = (self.products, body["code"]) if method == "POST" else (self.stock, path.rsplit("/", 1)[-1])
        if code in held:
            return 409, {"message": f"{code} exists"}
        held.add(code)
        return (201 if method == "POST" else 200), {"code": code}


def test_missing_products_and_stock_are_created_and_nothing_else_is_sent() -> None:
    handler = FakeApiHandler(products=set(), stock=set())

    results = seed_catalogue(CallApi(handler), [MOUSE, CABLE])

    assert [(r.code, r.ok, r.product, r.stock) for r in results] == [
        ("PRD-001", True, "created", "set"),
        ("PRD-003", True, "created", ""),
    ]
    assert handler.sent == [
        ("POST", "/products", {"code": "PRD-001", "name": "Mouse", "price": 29.99}),
        ("PATCH", "/inventory/PRD-001", {"version": 0, "quantity": 100, "warehouseCode": "WH-01"}),
        ("POST", "/products", {"code": "PRD-003", "name": "Cable", "price": 5}),
    ]


def test_what_exists_is_kept_as_it_is() -> None:
    handler = FakeApiHandler(products={"PRD-001"}, stock={"PRD-001"})

    (result,) = seed_catalogue(CallApi(handler), [MOUSE])

    assert (result.ok, result.product, result.stock) == (True, "exists", "skipped")


def test_a_refused_row_is_reported_with_the_apis_message_and_the_others_still_run() -> None:
    handler = FakeApiHandler(products=set(), stock=set())

    results = seed_catalogue(CallApi(handler), [{**MOUSE, "name": ""}, CABLE])

    assert [(r.code, r.ok, r.product) for r in results] == [("PRD-001", False, "failed"), ("PRD-003", True, "created")]
    assert results[0].error == "422 Validation failed (name: too short)"
