"""Tenant isolation and the shape of every error."""

from __future__ import annotations

import json
from typing import Any

from tests.integration.conftest import AwsEnv
from tests.support.seed import SEED_ORDER


def test_another_tenant_sees_404_never_the_item(catalogue: Any, aws: AwsEnv) -> None:
    product = {"code": "ONLY-A", "name": "A's", "categoryCode": "C", "sku": "S", "price": 1, "currency": "USD"}
    assert catalogue("POST", "/products", product).status == 201
    order = catalogue("POST", "/orders", SEED_ORDER).body  # ORD-000001 in shop-a only
    requests = [
        ("GET", "/products/ONLY-A", None),
        ("PATCH", "/products/ONLY-A", {"version": 1, "price": 2}),
        ("GET", "/inventory/ONLY-A", None),
        ("PATCH", "/inventory/ONLY-A", {"version": 0, "quantity": 1}),
    ]
    for method, path, body in requests:
        answer = catalogue(method, path, body, tenant="shop-b")
        assert answer.status == 404, (method, path, answer.body)
        assert "shop-a" not in json.dumps(answer.body)

    # shop-b has no order yet: its ORD-000001 does not exist, shop-a's stays untouched.
    assert catalogue("GET", f"/orders/{order['code']}", tenant="shop-b").status == 404
    assert catalogue("PATCH", f"/orders/{order['code']}/status", {"status": "cancelled"}, tenant="shop-b").status == 404
    assert catalogue("GET", f"/orders/{order['code']}").body["attributes"]["status"] == "pending"
    listed = catalogue("GET", "/orders", tenant="shop-b")
    assert listed.body == {"items": [], "nextCursor": None}


def test_a_cursor_from_another_tenant_only_pages_the_callers_own_partition(catalogue: Any) -> None:
    for _ in range(3):
        catalogue("POST", "/orders", SEED_ORDER)
    cursor = catalogue("GET", "/orders", query={"limit": "1"}).body["nextCursor"]
    foreign = catalogue("GET", "/orders", query={"limit": "5", "cursor": cursor}, tenant="shop-b")
    assert foreign.status == 200 and foreign.body["items"] == []


def test_a_token_without_a_tenant_is_403(catalogue: Any) -> None:
    for tenant in (None, "", "bad#tenant"):
        refused = catalogue("GET", "/orders", tenant=tenant)
        assert refused.status == 403, tenant
        assert "custom:tenant" in refused.body["message"]


def test_errors_share_one_shape(catalogue: Any) -> None:
    answers = [
        catalogue("POST", "/orders", raw_body="{not json"),
        catalogue("POST", "/orders", {"customerId": "C"}),
        catalogue("GET", "/orders/ORD-404"),
        catalogue("GET", "/nowhere"),
        catalogue("DELETE", "/orders"),
        catalogue("GET", "/orders", tenant=None),
    ]
    assert [a.status for a in answers] == [400, 422, 404, 404, 404, 403]
    for answer in answers:
        assert isinstance(answer.body["message"], str) and answer.body["message"]


def test_missing_fields_are_all_named(catalogue: Any) -> None:
    refused = catalogue("POST", "/orders", {"customerId": "C"})
    assert {e["field"] for e in refused.body["errors"]} == {"items", "shippingAddress", "paymentMethod"}
    assert refused.body["message"].endswith("is required")


def test_the_openapi_document_describes_every_route(api: Any) -> None:
    document = api("GET", "/openapi.json", tenant=None)
    assert document.status == 200
    paths = document.body["paths"]
    assert set(paths) >= {"/orders", "/orders/{code}", "/orders/{code}/status", "/products", "/products/{code}",
                          "/inventory/{productCode}"}  # fmt: skip
    assert "Idempotency-Key" in json.dumps(paths["/orders"]["post"]["parameters"], default=str)
    assert "CreateOrderRequest" in json.dumps(document.body["components"], default=str)


def test_swagger_ui_shows_the_same_document_and_calls_the_stage_it_came_from(api: Any) -> None:
    from handlers.api import handler
    from tests.support.events import FakeLambdaContext, api_event

    page = handler(api_event("GET", "/swagger", tenant=None, role=None), FakeLambdaContext())
    assert page["statusCode"] == 200
    assert page["multiValueHeaders"]["Content-Type"] == ["text/html; charset=utf-8"]
    # The page loads its document from the stage it was served from
    assert 'url: "/dev/swagger?format=json"' in page["body"]
    document = api("GET", "/openapi.json", tenant=None).body
    as_json = api("GET", "/swagger", tenant=None, query={"format": "json"})
    assert as_json.body["servers"] == [{"url": "/dev"}]
    assert as_json.body["paths"]["/orders"]["post"]["x-allowed-roles"] == ["admin", "staff"]
    assert as_json.body == document | {"servers": [{"url": "/dev"}]}


def test_browser_clients_get_cors_headers(catalogue: Any) -> None:
    answer = catalogue("GET", "/orders", headers={"Origin": "https://shop.example"})
    assert answer.status == 200
    assert answer.headers.get("Access-Control-Allow-Origin") == "*"
    assert "Idempotency-Key" in answer.headers.get("Access-Control-Allow-Headers", "")


def test_bodies_the_parser_cannot_read_are_client_errors(catalogue: Any, aws: AwsEnv) -> None:
    import base64

    from handlers.api import handler
    from tests.support.events import FakeLambdaContext, api_event
    from tests.support.seed import SEED_ORDER as ORDER

    event = api_event("POST", "/orders", raw_body=base64.b64encode(b'{"customerId": "\xff"}').decode())
    event["isBase64Encoded"] = True
    not_utf8 = handler(event, FakeLambdaContext())
    assert not_utf8["statusCode"] == 400 and "UTF-8" in json.loads(not_utf8["body"])["message"]
    too_deep = catalogue("POST", "/orders", raw_body="[" * 5000 + "]" * 5000)
    assert (too_deep.status, too_deep.body["field"]) == (400, "body")
    wrong_type = catalogue("POST", "/orders", ORDER, headers={"Content-Type": "text/plain"})
    assert (wrong_type.status, wrong_type.body["field"]) == (415, "Content-Type")
    assert json.dumps(aws.client.scan(TableName=aws.tables.data), default=str).count("ORDER#") == 0
