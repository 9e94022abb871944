"""Hostile input through the API handler: bodies are JSON only, server bugs are 500s (never a
client's 400), stored text holds no control characters or bidi overrides, images are https
URLs, stock has a ceiling, and codes are matched as whole strings."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.integration.conftest import AwsEnv, call_api
from tests.support.seed import CATALOGUE, SEED_ORDER

PRODUCT = {**CATALOGUE[1], "code": "PRD-NEW"}


def data_items(aws: AwsEnv) -> int:
    return int(aws.client.scan(TableName=aws.tables.data, Select="COUNT")["Count"])


# ---- 2: JSON only ------------------------------------------------------------------------------

JSON_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json;charset=UTF-8",
    'application/json; charset="utf-8"',
    "Application/JSON",
    "application/vnd.shop+json",
    "application/problem+json; charset=utf-8",
]


@pytest.mark.parametrize("content_type", JSON_TYPES)
def test_json_media_types_are_read_as_json(catalogue: Any, content_type: str) -> None:
    created = catalogue("POST", "/orders", SEED_ORDER, headers={"Content-Type": content_type})
    assert created.status == 201, created.body


def test_a_body_without_a_content_type_is_read_as_json(catalogue: Any) -> None:
    from handlers.api import handler
    from tests.support.events import FakeLambdaContext, api_event

    event = api_event("POST", "/orders", SEED_ORDER)
    event["headers"], event["multiValueHeaders"] = {}, {}
    assert handler(event, FakeLambdaContext())["statusCode"] == 201


NOT_JSON_TYPES = [
    "multipart/form-data",  # no boundary: Powertools' parser raised, a 500
    "multipart/form-data; boundary=XyZ",
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-8",
    "text/plain",
    "text/json",
    "application/jsonp",
    "application/json-patch",
    "application/json; charset=latin-1",
    "application/json; boundary=x",
    "application/+json",
    "application/json/x",
    "json",
    "/",
    ";",
    ";;;=;",
    "application/",
    "*/*",
    "application/json;;;",
    "\x00",
    "application/json\x00",
    "a" * 10_000,
    "application/json; charset=" + "u" * 5000,
    "multipart/form-data; boundary=",
    'multipart/form-data; boundary="',
]


@pytest.mark.parametrize("content_type", NOT_JSON_TYPES, ids=lambda t: repr(t[:40]))
def test_any_other_content_type_is_415_naming_the_header(catalogue: Any, aws: AwsEnv, content_type: str) -> None:
    before = data_items(aws)
    refused = catalogue("POST", "/orders", SEED_ORDER, headers={"Content-Type": content_type})
    assert refused.status == 415, refused.body
    assert refused.body["field"] == "Content-Type"
    assert refused.body["message"].startswith("Content-Type must be application/json")
    assert data_items(aws) == before


@pytest.mark.parametrize(
    ("content_type", "raw"),
    [
        ("application/x-www-form-urlencoded", "customerId=C1&paymentMethod=card"),
        (
            "multipart/form-data; boundary=B",
            '--B\r\nContent-Disposition: form-data; name="status"\r\n\r\nshipped\r\n--B--',
        ),
    ],
)
def test_form_bodies_never_reach_the_domain(catalogue: Any, content_type: str, raw: str) -> None:
    order = catalogue("POST", "/orders", SEED_ORDER).body
    for method, path in [("POST", "/orders"), ("PATCH", f"/orders/{order['code']}/status"), ("POST", "/products")]:
        refused = catalogue(method, path, headers={"Content-Type": content_type}, raw_body=raw)
        assert (refused.status, refused.body["field"]) == (415, "Content-Type"), (method, path, refused.body)
    assert catalogue("GET", f"/orders/{order['code']}").body["version"] == order["version"]


def test_routes_without_a_body_ignore_the_content_type(catalogue: Any) -> None:
    assert catalogue("GET", "/products", headers={"Content-Type": "multipart/form-data"}).status == 200


def base64_event(raw: bytes) -> dict[str, Any]:
    from tests.support.events import api_event

    event = api_event("POST", "/orders")
    event["body"], event["isBase64Encoded"] = base64.b64encode(raw).decode(), True
    return event


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"customerId": "\xff"}', "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (json.dumps({**SEED_ORDER, "items": []}).replace("[]", "NaN").encode(), "NaN is not a JSON value"),
        (b'{"customerId": Infinity}', "Infinity is not a JSON value"),
        (b"{'customerId': 1}", "malformed JSON"),
    ],
)
def test_unreadable_bodies_are_400_naming_the_body(aws: AwsEnv, raw: bytes, reason: str) -> None:
    from handlers.api import handler
    from tests.support.events import FakeLambdaContext

    response = handler(base64_event(raw), FakeLambdaContext())
    body = json.loads(response["body"])
    assert (response["statusCode"], body["field"]) == (400, "body")
    assert body["message"].startswith("body: malformed JSON") and reason in body["message"]


def test_a_body_that_is_not_base64_when_it_says_so_is_400(aws: AwsEnv) -> None:
    from handlers.api import handler
    from tests.support.events import FakeLambdaContext

    event = base64_event(b"{}")
    event["body"] = "%%%not-base64%%%"
    response = handler(event, FakeLambdaContext())
    assert (response["statusCode"], json.loads(response["body"])["field"]) == (400, "body")


# ---- 3: a server bug is a 500, logged and counted, whatever it raises ---------------------------


@pytest.mark.parametrize(
    "error",
    [
        UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"),
        RecursionError("maximum recursion depth exceeded"),
        KeyError("attributes"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_an_unexpected_exception_is_a_logged_500(
    catalogue: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, error: Exception
) -> None:
    from handlers.observability import metrics
    from shop.wiring import shop

    def broken(*_: Any, **__: Any) -> Any:
        raise error

    counted: list[str] = []
    monkeypatch.setattr(shop().orders, "get_order", broken)
    monkeypatch.setattr(metrics, "add_metric", lambda name, **_: counted.append(name))
    answer = catalogue("GET", "/orders/ORD-000001")

    assert (answer.status, answer.body) == (500, {"message": "internal error"})
    logged = [r for r in caplog.records if r.getMessage() == "unhandled error"]
    assert len(logged) == 1 and logged[0].levelname == "ERROR"
    assert logged[0].exc_info is not None and logged[0].exc_info[1] is error  # the stack is in the log
    assert counted == ["UnhandledErrors"]


# ---- 4: text that should never be stored ---------------------------------------------------------

BAD_TEXT = {
    "NUL": "a\x00b",
    "C0 escape": "a\x1bb",
    "DEL": "a\x7fb",
    "C1 control": "a\x85b",
    "RLO override": "a\u202eb",
    "LRE embedding": "a\u202ab",
    "RLI isolate": "a\u2067b",
    "PDI": "a\u2069b",
}
ORDER_TEXT_FIELDS = {
    "customerId": lambda t: {**SEED_ORDER, "customerId": t},
    "shippingAddress.street": lambda t: {
        **SEED_ORDER,
        "shippingAddress": {**SEED_ORDER["shippingAddress"], "street": t},
    },
    "shippingAddress.city": lambda t: {**SEED_ORDER, "shippingAddress": {**SEED_ORDER["shippingAddress"], "city": t}},
    "shippingAddress.postalCode": lambda t: {
        **SEED_ORDER,
        "shippingAddress": {**SEED_ORDER["shippingAddress"], "postalCode": t},
    },
    "shippingAddress.state": lambda t: {**SEED_ORDER, "shippingAddress": {**SEED_ORDER["shippingAddress"], "state": t}},
}
PRODUCT_TEXT_FIELDS = ("name", "description")


@pytest.mark.parametrize("kind", list(BAD_TEXT))
@pytest.mark.parametrize("field", list(ORDER_TEXT_FIELDS))
def test_order_text_with_controls_or_bidi_overrides_is_422_naming_the_field(
    catalogue: Any, aws: AwsEnv, field: str, kind: str
) -> None:
    before = data_items(aws)
    refused = catalogue("POST", "/orders", ORDER_TEXT_FIELDS[field](BAD_TEXT[kind]))
    assert refused.status == 422, refused.body
    assert refused.body["field"] == field
    assert data_items(aws) == before


@pytest.mark.parametrize("kind", list(BAD_TEXT))
@pytest.mark.parametrize("field", PRODUCT_TEXT_FIELDS)
def test_product_text_with_controls_or_bidi_overrides_is_422_naming_the_field(
    catalogue: Any, field: str, kind: str
) -> None:
    refused = catalogue("POST", "/products", {**PRODUCT, field: BAD_TEXT[kind]})
    assert (refused.status, refused.body["field"]) == (422, field), refused.body
    assert "must not contain" in refused.body["message"]
    updated = catalogue("PATCH", "/products/PRD-001", {"version": 1, field: BAD_TEXT[kind]})
    assert (updated.status, updated.body["field"]) == (422, field), updated.body


def test_the_refusal_says_which_character_and_where(catalogue: Any) -> None:
    refused = catalogue("POST", "/products", {**PRODUCT, "name": "Mouse\u202etxt.exe"})
    assert refused.body["message"] == "name: must not contain a bidi override (U+202E at position 5)"


def test_a_description_may_span_lines_but_a_name_may_not(catalogue: Any) -> None:
    created = catalogue("POST", "/products", {**PRODUCT, "description": "Line one\nLine two\r\n\tindented"})
    assert created.status == 201, created.body
    refused = catalogue("POST", "/products", {**PRODUCT, "code": "PRD-NL", "name": "two\nlines"})
    assert (refused.status, refused.body["field"]) == (422, "name")


def test_ordinary_unicode_text_is_kept(catalogue: Any) -> None:
    created = catalogue(
        "POST", "/products", {**PRODUCT, "name": "Souris sans fil — 無線マウス", "description": "مرحبا"}
    )
    assert created.status == 201, created.body
    assert created.body["name"] == "Souris sans fil — 無線マウス"


BAD_IMAGES = [
    "javascript:alert(document.cookie)",
    "JAVASCRIPT:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "data:image/svg+xml,<svg onload=alert(1)>",
    "vbscript:msgbox(1)",
    "http://cdn.example.com/a.png",
    "//cdn.example.com/a.png",
    "/images/a.png",
    "https://",
    "https:///a.png",
    "https://user:pass@cdn.example.com/a.png",
    "https://cdn.example.com/a b.png",
    "https://cdn.example.com/\x00.png",
    "https://cdn.example.com/" + "a" * 480,
]


@pytest.mark.parametrize("url", BAD_IMAGES, ids=lambda u: repr(u[:30]))
def test_images_are_https_urls_of_bounded_length(catalogue: Any, url: str) -> None:
    refused = catalogue("POST", "/products", {**PRODUCT, "images": ["https://cdn.example.com/ok.png", url]})
    assert (refused.status, refused.body["field"]) == (422, "images[1]"), refused.body
    updated = catalogue("PATCH", "/products/PRD-001", {"version": 1, "images": [url]})
    assert (updated.status, updated.body["field"]) == (422, "images[0]"), updated.body


def test_an_https_image_is_kept(catalogue: Any) -> None:
    url = "https://cdn.example.com/images/mouse.png?size=2x#front"
    created = catalogue("POST", "/products", {**PRODUCT, "images": [url]})
    assert created.status == 201 and created.body["attributes"]["images"] == [url]


# ---- 5: limits --------------------------------------------------------------------------------


def test_a_restock_cannot_lift_the_stock_past_its_maximum(catalogue: Any) -> None:
    stock = catalogue("PATCH", "/inventory/PRD-001", {"version": 1, "quantity": 999_999_000}).body
    assert stock["attributes"]["quantity"] == 999_999_000

    refused = catalogue("PATCH", "/inventory/PRD-001", {"version": 2, "restock": 1001})
    assert (refused.status, refused.body["field"]) == (422, "restock"), refused.body
    assert refused.body["message"] == ("restock: 999999000 on hand + 1001 would exceed the maximum of 1000000000 units")
    for _ in range(3):  # the 3e9 of the report: repeated maximal restocks
        assert catalogue("PATCH", "/inventory/PRD-001", {"version": 2, "restock": 1_000_000_000}).status == 422
    assert catalogue("GET", "/inventory/PRD-001").body["attributes"]["quantity"] == 999_999_000

    exact = catalogue("PATCH", "/inventory/PRD-001", {"version": 2, "restock": 1000})
    assert (exact.status, exact.body["attributes"]["quantity"]) == (200, 1_000_000_000)


def test_stock_bodies_take_exactly_one_of_quantity_or_restock_and_no_nulls(catalogue: Any) -> None:
    for body in ({"version": 1}, {"version": 1, "quantity": 1, "restock": 1}, {"version": 1, "quantity": None}):
        assert catalogue("PATCH", "/inventory/PRD-001", body).status == 422, body


def test_is_active_is_a_json_boolean(catalogue: Any) -> None:
    for value in (0, 1, "true", "false", None):
        refused = catalogue("POST", "/products", {**PRODUCT, "isActive": value})
        assert (refused.status, refused.body["field"]) == (422, "isActive"), (value, refused.body)


def test_currencies_are_iso_4217(catalogue: Any) -> None:
    refused = catalogue("POST", "/products", {**PRODUCT, "currency": "ABC"})
    assert (refused.status, refused.body["field"]) == (422, "currency")
    assert refused.body["message"] == "currency: 'ABC' is not an ISO 4217 currency in circulation"
    assert catalogue("POST", "/products", {**PRODUCT, "currency": "XOF", "price": 500}).status == 201


@pytest.mark.parametrize("tenant", ["shop-a\n", "shop-a\r\n", "\nshop-a", "shop-a\x00"])
def test_a_tenant_claim_is_matched_as_a_whole_string(catalogue: Any, tenant: str) -> None:
    refused = call_api("GET", "/products", tenant=tenant)
    assert refused.status == 403
    assert "custom:tenant claim is invalid" in refused.body["message"]


@pytest.mark.parametrize("path", ["/products/PRD-001%0A", "/orders/ORD-000001%0A/status", "/inventory/PRD-001%0A"])
def test_a_code_with_a_trailing_newline_is_refused(catalogue: Any, path: str) -> None:
    from urllib.parse import unquote

    method, body = ("PATCH", {"status": "cancelled"}) if path.endswith("/status") else ("GET", None)
    refused = catalogue(method, unquote(path), body)
    assert refused.status in (404, 422), refused.body  # 404: no route has a newline in the middle
    assert refused.status == 404 or refused.body["field"] in ("path", "code", "productCode")
    assert catalogue("GET", "/products/PRD-001").body["version"] == 1


def test_codes_in_keys_are_whole_strings() -> None:
    from cqrs.errors import ValidationError
    from cqrs.keys import generate_pk, generate_sk, validate_code

    for bad in ("shop-a\n", "PRD-1\n", "a\nb"):
        with pytest.raises(ValidationError):
            validate_code(bad)
    with pytest.raises(ValidationError):
        generate_pk("shop-a\n")
    with pytest.raises(ValidationError):
        generate_sk("ORDER\n", "ORD-1")
