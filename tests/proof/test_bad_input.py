"""Bad input over HTTP: each request below is a client's mistake, answered 4xx with a JSON message,
never 5xx, and writes nothing (every table's items of the tenant counted before and after)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.runtime_process import order_body
from tests.proof.ledger import RecordingApi, new_product
from tests.proof.settle import settle

pytestmark = pytest.mark.e2e

TENANT = "proof-input"  # its own tenant: nothing else writes there
MAX_PAGES = 100
TABLES = ("CommandTableName", "DataTableName", "HistoryTableName", "SequencesTableName", "IdempotencyTableName")


def cursor(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}


def line(product: str, quantity: Any) -> dict[str, Any]:
    return {**order_body(product, 1), "items": [{"productCode": product, "quantity": quantity}]}


def cases(product: str, order: str) -> list[tuple[Any, ...]]:
    """(name, method, path, body[, headers]): body is bytes (sent as is), None (no body) or JSON-able."""
    good = order_body(product, 1)
    product_body = {"code": "PRF-NEW", "name": "n", "categoryCode": "C", "sku": "S", "price": 1, "currency": "USD"}
    address = good["shippingAddress"]
    return [
        # malformed JSON
        ("truncated JSON", "POST", "/orders", b'{"customerId": "C1", "items": ['),
        ("not JSON", "POST", "/orders", b"customerId=C1"),
        ("empty body", "POST", "/orders", b""),
        ("JSON null", "POST", "/orders", b"null"),
        ("JSON array", "POST", "/orders", b"[]"),
        ("JSON string", "POST", "/products", b'"a product"'),
        ("NaN literal", "POST", "/orders", json.dumps(line(product, 1)).replace("1}]", "NaN}]").encode()),
        ("huge exponent", "POST", "/orders", json.dumps(line(product, 1)).replace("1}]", "1e999999}]").encode()),
        ("nesting", "POST", "/orders", b"[" * 500 + b"]" * 500),
        ("malformed status JSON", "PATCH", f"/orders/{order}/status", b"{status: confirmed}"),
        ("malformed inventory JSON", "PATCH", f"/inventory/{product}", b"{'version': 1}"),
        # wrong types
        ("quantity as string", "POST", "/orders", line(product, "1")),
        ("quantity as float", "POST", "/orders", line(product, 1.5)),
        ("quantity as bool", "POST", "/orders", line(product, True)),
        ("items as object", "POST", "/orders", {**good, "items": {"productCode": product, "quantity": 1}}),
        ("customerId as number", "POST", "/orders", {**good, "customerId": 123}),
        ("address as string", "POST", "/orders", {**good, "shippingAddress": "1 Main St"}),
        ("price as string", "POST", "/products", {**product_body, "price": "cheap"}),
        ("version as string", "PATCH", f"/orders/{order}/status", {"status": "confirmed", "version": "1"}),
        ("inventory version as float", "PATCH", f"/inventory/{product}", {"version": 1.0, "restock": 1}),
        ("stock as string", "PATCH", f"/inventory/{product}", {"version": 1, "quantity": "10"}),
        # missing fields
        *[(f"missing {key}", "POST", "/orders", without(good, key)) for key in good],
        ("missing line quantity", "POST", "/orders", {**good, "items": [{"productCode": product}]}),
        ("missing address city", "POST", "/orders", {**good, "shippingAddress": without(address, "city")}),
        ("missing status", "PATCH", f"/orders/{order}/status", {"version": 1}),
        ("missing product version", "PATCH", f"/products/{product}", {"name": "x"}),
        ("inventory without change", "PATCH", f"/inventory/{product}", {"version": 1}),
        ("inventory with both changes", "PATCH", f"/inventory/{product}", {"version": 1, "quantity": 1, "restock": 1}),
        *[(f"product without {key}", "POST", "/products", without(product_body, key)) for key in product_body],
        # quantities
        ("zero quantity", "POST", "/orders", line(product, 0)),
        ("negative quantity", "POST", "/orders", line(product, -1)),
        ("quantity over the line limit", "POST", "/orders", line(product, 1001)),
        ("huge quantity", "POST", "/orders", line(product, 10**30)),
        ("int64 overflow quantity", "POST", "/orders", line(product, 2**63)),
        ("negative stock", "PATCH", f"/inventory/{product}", {"version": 1, "quantity": -5}),
        ("zero restock", "PATCH", f"/inventory/{product}", {"version": 1, "restock": 0}),
        ("huge restock", "PATCH", f"/inventory/{product}", {"version": 1, "restock": 10**30}),
        ("zero price", "POST", "/products", {**product_body, "price": 0}),
        ("negative price", "POST", "/products", {**product_body, "price": -1}),
        ("huge price", "POST", "/products", {**product_body, "price": 1e30}),
        ("zero version", "PATCH", f"/products/{product}", {"version": 0, "name": "x"}),
        ("negative version", "PATCH", f"/orders/{order}/status", {"status": "confirmed", "version": -1}),
        ("stale version", "PATCH", f"/products/{product}", {"version": 99, "name": "x"}),
        # many lines, big bodies
        (
            "1,000 lines",
            "POST",
            "/orders",
            {**good, "items": [{"productCode": f"P{i}", "quantity": 1} for i in range(1000)]},
        ),
        (
            "26 lines",
            "POST",
            "/orders",
            {**good, "items": [{"productCode": f"P{i}", "quantity": 1} for i in range(26)]},
        ),
        ("repeated product", "POST", "/orders", {**good, "items": [{"productCode": product, "quantity": 1}] * 2}),
        ("1 MB field", "POST", "/orders", {**good, "customerId": "C" * 1_000_000}),
        ("1 MB of lines", "POST", "/orders", {**good, "items": [{"productCode": product, "quantity": 1}] * 35_000}),
        ("1 MB description", "POST", "/products", {**product_body, "description": "d" * 1_000_000}),
        ("11 MB body", "POST", "/orders", b'{"customerId": "' + b"x" * (11 * 1024 * 1024) + b'"}'),
        # unicode
        ("unicode customer id", "POST", "/orders", {**good, "customerId": "顧客-1"}),
        ("emoji product code", "POST", "/orders", line("PRD-🚀", 1)),
        ("NUL in customer id", "POST", "/orders", {**good, "customerId": "C\u00001"}),
        ("RTL override in code", "POST", "/products", {**product_body, "code": "PRF\u202eEVIL"}),
        ("lone surrogate", "POST", "/orders", b'{"customerId": "\\ud800", "items": []}'),
        ("unicode order path", "GET", "/orders/%E9%A1%A7%E5%AE%A2", None),
        ("unicode product path", "PATCH", "/products/%F0%9F%9A%80", {"version": 1, "name": "x"}),
        # codes with '#' or '/'
        ("product code with #", "POST", "/products", {**product_body, "code": "PRF#1"}),
        ("product code with /", "POST", "/products", {**product_body, "code": "PRF/1"}),
        ("order line code with #", "POST", "/orders", line(f"{product}#X", 1)),
        ("customer id with #", "POST", "/orders", {**good, "customerId": "TENANT#shop-b"}),
        ("order path with #", "GET", "/orders/ORD%23000001", None),
        ("order path with /", "GET", "/orders/ORD%2F000001", None),
        ("status path with #", "PATCH", f"/orders/{order}%23x/status", {"status": "confirmed"}),
        ("inventory path with #", "GET", f"/inventory/{product}%23x", None),
        ("inventory path with /", "PATCH", f"/inventory/{product}%2Fx", {"version": 1, "restock": 1}),
        ("product path with # key", "GET", "/products/PRODUCT%23PRD-001", None),
        # cursors
        ("cursor not base64", "GET", "/orders?cursor=%25%25%25", None),
        ("cursor of garbage", "GET", "/orders?cursor=abc", None),
        ("cursor without sk", "GET", f"/orders?cursor={cursor({'pk': 'TENANT#shop-b'})}", None),
        ("cursor of another listing", "GET", f"/orders?cursor={cursor({'sk': 'PRODUCT#PRD-001'})}", None),
        ("cursor of history keys", "GET", f"/products?cursor={cursor({'sk': 'ORDER#ORD-000001@1'})}", None),
        ("cursor with a number", "GET", f"/products?cursor={cursor({'sk': 1})}", None),
        ("cursor too long", "GET", f"/orders?cursor={'A' * 600}", None),
        ("cursor of a JSON list", "GET", f"/orders?cursor={cursor(['ORDER#ORD-000001'])}", None),
        # unknown statuses, bad queries
        ("unknown status filter", "GET", "/orders?status=lost", None),
        ("unknown status", "PATCH", f"/orders/{order}/status", {"status": "teleported"}),
        ("status in capitals", "PATCH", f"/orders/{order}/status", {"status": "CONFIRMED"}),
        ("forbidden transition", "PATCH", f"/orders/{order}/status", {"status": "delivered"}),
        ("status on create", "POST", "/orders", {**good, "status": "delivered"}),
        ("totals on create", "POST", "/orders", {**good, "total": 0}),
        (
            "wrong quoted price",
            "POST",
            "/orders",
            {**good, "items": [{"productCode": product, "quantity": 1, "price": 0.01}]},
        ),
        ("limit zero", "GET", "/orders?limit=0", None),
        ("limit too big", "GET", "/products?limit=101", None),
        ("limit not a number", "GET", "/orders?limit=ten", None),
        ("unknown product", "GET", "/products/PRF-NOPE", None),
        ("unknown order", "PATCH", "/orders/ORD-999999/status", {"status": "cancelled"}),
        ("existing product code", "POST", "/products", {**product_body, "code": product}),
        # unknown routes and methods
        ("unknown route", "GET", "/customers", None),
        ("unknown nested route", "GET", f"/orders/{order}/items", None),
        ("DELETE an order", "DELETE", f"/orders/{order}", None),
        ("PUT an order", "PUT", f"/orders/{order}", good),
        ("POST to an order", "POST", f"/orders/{order}", good),
        ("PATCH the order list", "PATCH", "/orders", {"status": "cancelled"}),
        ("DELETE the products", "DELETE", "/products", None),
        ("POST to inventory", "POST", f"/inventory/{product}", {"version": 1, "restock": 1}),
        ("path traversal", "GET", "/orders/../products", None),
        # text that should never be stored, URLs that would run, limits, codes as whole strings
        ("NUL in product name", "POST", "/products", {**product_body, "name": "a\u0000b"}),
        ("C1 control in description", "POST", "/products", {**product_body, "description": "a\u0085b"}),
        (
            "bidi override in street",
            "POST",
            "/orders",
            {**good, "shippingAddress": {**address, "street": "1\u202eMain"}},
        ),
        ("bidi isolate in city", "POST", "/orders", {**good, "shippingAddress": {**address, "city": "\u2067Tokyo"}}),
        ("escape in customer id", "POST", "/orders", {**good, "customerId": "C\u001b[31m"}),
        ("javascript: image", "POST", "/products", {**product_body, "images": ["javascript:alert(1)"]}),
        ("data: image", "POST", "/products", {**product_body, "images": ["data:text/html,<script>x</script>"]}),
        ("http: image", "PATCH", f"/products/{product}", {"version": 1, "images": ["http://cdn.example.com/a.png"]}),
        ("overlong image URL", "POST", "/products", {**product_body, "images": ["https://a.example/" + "a" * 500]}),
        ("isActive as 0", "POST", "/products", {**product_body, "isActive": 0}),
        ("isActive as string", "PATCH", f"/products/{product}", {"version": 1, "isActive": "false"}),
        ("unknown currency", "POST", "/products", {**product_body, "currency": "ABC"}),
        ("restock past the maximum", "PATCH", f"/inventory/{product}", {"version": 1, "restock": 1_000_000_000}),
        ("null quantity", "PATCH", f"/inventory/{product}", {"version": 1, "quantity": None}),
        ("code with a newline inside", "POST", "/products", {**product_body, "code": "PRF\nNL"}),
        ("path code with a trailing newline", "GET", f"/products/{product}%0A", None),
        ("order path with a trailing newline", "PATCH", f"/orders/{order}%0A/status", {"status": "cancelled"}),
        ("cursor not base64url", "GET", "/products?cursor=a%2Bb%2Fc%3D", None),
        # bodies that are not JSON by their Content-Type
        ("multipart without boundary", "POST", "/orders", good, {"Content-Type": "multipart/form-data"}),
        ("multipart empty boundary", "POST", "/orders", good, {"Content-Type": "multipart/form-data; boundary="}),
        (
            "multipart form",
            "PATCH",
            f"/orders/{order}/status",
            b'--B\r\nContent-Disposition: form-data; name="status"\r\n\r\ncancelled\r\n--B--\r\n',
            {"Content-Type": "multipart/form-data; boundary=B"},
        ),
        (
            "urlencoded form",
            "POST",
            "/products",
            b"code=PRF-F&name=n",
            {"Content-Type": "application/x-www-form-urlencoded"},
        ),
        ("text/plain JSON", "POST", "/orders", good, {"Content-Type": "text/plain"}),
        ("jsonp", "POST", "/orders", good, {"Content-Type": "application/jsonp"}),
        ("latin-1 charset", "POST", "/orders", good, {"Content-Type": "application/json; charset=latin-1"}),
        ("garbage content type", "POST", "/orders", good, {"Content-Type": ";;=/;"}),
        ("long content type", "POST", "/orders", good, {"Content-Type": "application/" + "x" * 4000}),
    ]


def tenant_items(dynamodb: Any, outputs: dict[str, Any]) -> dict[str, list[str]]:
    """Every item of the tenant in each table, as sorted JSON: equal snapshots mean nothing was
    written (not even a sequence counter moved). The partition is queried; the idempotency table
    (keyed by a hash) is scanned and filtered on the tenant's name."""
    snapshot: dict[str, list[str]] = {}
    for table in TABLES:
        request: dict[str, Any] = {"TableName": outputs[table], "ConsistentRead": True}
        if table != "IdempotencyTableName":
            request["KeyConditionExpression"] = "pk = :pk"
            request["ExpressionAttributeValues"] = {":pk": {"S": f"TENANT#{TENANT}"}}
        items: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            page = dynamodb.query(**request) if "KeyConditionExpression" in request else dynamodb.scan(**request)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        else:
            raise AssertionError(f"{table}: more than {MAX_PAGES} pages")
        rows = [json.dumps(item, sort_keys=True) for item in items]
        snapshot[table] = sorted(row for row in rows if TENANT in row)
    return snapshot


@pytest.fixture(scope="module")
def tenant(api_as: Callable[[str, str], RecordingApi]) -> dict[str, str]:
    admin = api_as(TENANT, "admin")
    product = new_product(admin, stock=20)
    status, created = admin.post("/orders", order_body(product, 1))
    assert status == 201, created
    settle(admin, [created["code"]])  # the reservation writes: let it land before counting
    return {"product": product, "order": created["code"]}


def test_every_bad_request_gets_a_4xx_with_a_message_and_writes_nothing(
    api_as: Callable[[str, str], RecordingApi],
    tenant: dict[str, str],
    dynamodb: Any,
    proof_outputs: dict[str, Any],
) -> None:
    admin = api_as(TENANT, "admin")
    before = tenant_items(dynamodb, proof_outputs)
    status, order_before = admin.get(f"/orders/{tenant['order']}")
    assert status == 200

    wrong = []
    corpus = cases(tenant["product"], tenant["order"])
    for name, method, path, body, *headers in corpus:
        extra = headers[0] if headers else None
        if isinstance(body, bytes):
            status, answer = admin.request(method, path, raw=body, headers=extra)
        else:
            status, answer = admin.request(method, path, body, headers=extra)
        has_message = isinstance(answer, dict) and isinstance(answer.get("message"), str) and answer["message"]
        if not (400 <= status < 500 and has_message):
            wrong.append((name, method, path, status, str(answer)[:200]))
    print(f"bad input: {len(corpus)} requests, {len(wrong)} answered other than 4xx with a message")
    assert not wrong, "\n".join(map(str, wrong))

    # Nothing written: no new item in any table (no order, no sequence number, no version)
    assert tenant_items(dynamodb, proof_outputs) == before
    status, order_after = admin.get(f"/orders/{tenant['order']}")
    assert (status, order_after["version"]) == (200, order_before["version"])


def test_the_11_mb_body_is_refused_by_the_front_as_api_gateway_does(api_as: Callable[[str, str], RecordingApi]) -> None:
    admin = api_as(TENANT, "admin")
    status, answer = admin.request("POST", "/orders", raw=b"[" + b" " * (11 * 1024 * 1024) + b"]")
    assert (status, answer) == (413, {"message": "Request Too Long"})
    assert admin.get("/orders?limit=1")[0] == 200  # and the service answers the next request
