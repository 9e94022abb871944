"""The OpenAPI document states what validation enforces, so generated clients and fuzzers see the
real contract: code and cursor patterns, `oneOf` for stock changes, strict booleans, ISO 4217
currencies, text without control characters, and the business-rule refusals per status."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import call_api

CODE = "^[A-Za-z0-9][A-Za-z0-9._-]*$"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    import json

    from handlers.api import app
    from handlers.docs import TITLE, VERSION

    return dict(json.loads(app.get_openapi_json_schema(title=TITLE, version=VERSION)))


def parameter(document: dict[str, Any], path: str, method: str, name: str) -> dict[str, Any]:
    (found,) = [p for p in document["paths"][path][method]["parameters"] if p["name"] == name]
    return dict(found["schema"])


def schema(document: dict[str, Any], name: str) -> dict[str, Any]:
    return dict(document["components"]["schemas"][name])


@pytest.mark.parametrize(
    ("path", "method", "name"),
    [
        ("/orders/{code}", "get", "code"),
        ("/orders/{code}/status", "patch", "code"),
        ("/products/{code}", "get", "code"),
        ("/products/{code}", "patch", "code"),
        ("/inventory/{productCode}", "get", "productCode"),
        ("/inventory/{productCode}", "patch", "productCode"),
    ],
)
def test_path_codes_state_their_pattern(document: dict[str, Any], path: str, method: str, name: str) -> None:
    code = parameter(document, path, method, name)
    assert (code["pattern"], code["maxLength"]) == (CODE, 64)


@pytest.mark.parametrize("path", ["/orders", "/products"])
def test_cursors_state_their_format(document: dict[str, Any], path: str) -> None:
    cursor = parameter(document, path, "get", "cursor")
    (string,) = [s for s in cursor.get("anyOf", [cursor]) if s.get("type") == "string"]
    assert (string["pattern"], string["maxLength"]) == ("^[A-Za-z0-9_-]+$", 512)


def test_a_stock_change_is_one_of_quantity_or_restock_never_null(document: dict[str, Any]) -> None:
    body = schema(document, "UpdateInventoryRequest")
    assert body["oneOf"] == [{"required": ["quantity"]}, {"required": ["restock"]}]
    assert body["properties"]["quantity"]["type"] == "integer"
    assert body["properties"]["restock"]["type"] == "integer"
    assert body["properties"]["restock"]["maximum"] == 1_000_000_000


def test_products_state_booleans_currencies_text_and_images(document: dict[str, Any]) -> None:
    properties = schema(document, "CreateProductRequest")["properties"]
    assert properties["isActive"]["type"] == "boolean"
    currencies = properties["currency"]["enum"]
    assert {"USD", "EUR", "JPY", "BHD", "XOF"} <= set(currencies) and "ABC" not in currencies
    assert len(currencies) == 157
    assert properties["name"]["pattern"] == "^[^\\x00-\\x1f\\x7f-\\x9f\\u202a-\\u202e\\u2066-\\u2069]*$"
    assert properties["images"]["items"]["pattern"] == "^https://[^\\s/?#@]+[^\\s]*$"
    assert properties["images"]["items"]["maxLength"] == 500


def test_business_rule_refusals_are_documented_per_status(document: dict[str, Any]) -> None:
    responses = document["paths"]["/orders/{code}/status"]["patch"]["responses"]
    assert "refuses the status transition" in responses["400"]["description"]
    assert "inventoryStatus" in responses["409"]["description"]
    assert "Content-Type" in responses["415"]["description"]


def test_the_served_document_is_the_same(aws: Any, document: dict[str, Any]) -> None:
    served = call_api("GET", "/openapi.json", tenant=None, role=None).body
    assert served["components"]["schemas"]["UpdateInventoryRequest"]["oneOf"] == [
        {"required": ["quantity"]},
        {"required": ["restock"]},
    ]
