"""Fuzz: schemathesis against the running local API's own OpenAPI document, with a valid token:
no 5xx, and every response conforms to the documented response models. Bounded: at most
`MAX_EXAMPLES` per operation, and the whole fuzz run stops sending after `TIME_BOX_S`."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.proof.ledger import LEDGER, RecordingApi, multi_line_order, new_product

pytestmark = pytest.mark.e2e

TENANT = "proof-fuzz"  # its own tenant: what the fuzzer creates stays out of the other tests' way
MAX_EXAMPLES = 30
TIME_BOX_S = 75.0
MIN_SENT_PER_OPERATION = 5  # the time box must not silently turn the fuzz into nothing
REQUEST_TIMEOUT_S = 15.0
CHECKS = [not_a_server_error, response_schema_conformance]
# Bodies sent with other Content-Types and headers than the document's (how a 500 once hid there)
MEDIA_EXAMPLES = 150
MEDIA_TIME_BOX_S = 60.0
NOT_JSON = [
    "multipart/form-data",
    "multipart/form-data; boundary=",
    'multipart/form-data; boundary="',
    "multipart/form-data; boundary=B",
    "application/x-www-form-urlencoded",
    "text/plain",
    "application/jsonp",
    "application/json; charset=latin-1",
    "application/xml",
    ";",
    "/",
]
_PRINTABLE = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
CONTENT_TYPES = st.one_of(
    st.sampled_from(NOT_JSON),
    st.text(alphabet=_PRINTABLE, max_size=120),
    st.builds(
        "{}/{}{}".format,
        st.sampled_from(["application", "multipart", "text", "*", "x", ""]),
        st.sampled_from(["json", "form-data", "x-www-form-urlencoded", "plain", "vnd.a+json", "+json", "*", ""]),
        st.sampled_from(["", "; charset=utf-8", "; boundary=", "; boundary=x", ";", ";;=", "; charset=latin-1"]),
    ),
)
EXTRA_HEADERS = st.dictionaries(
    st.sampled_from(["Accept", "Accept-Charset", "Content-Language", "X-Forwarded-For", "Idempotency-Key", "Origin"]),
    st.text(alphabet=_PRINTABLE, max_size=80),
    max_size=3,
)
RAW_BODIES = st.one_of(
    st.none(),  # the operation's own (schema-valid) JSON body
    st.binary(max_size=200),
    st.sampled_from([b"customerId=C1&items=1", b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--B--']),
)


@pytest.fixture(scope="module")
def fuzz_api(api_as: Callable[[str, str], RecordingApi]) -> RecordingApi:
    return api_as(TENANT, "admin")


@pytest.fixture(scope="module")
def fuzz_schema(fuzz_api: RecordingApi) -> Any:
    status, document = fuzz_api.get("/openapi.json", token="")
    assert status == 200, document
    schema = schemathesis.openapi.from_dict(document)
    schema.config.update(base_url=f"http://{fuzz_api.host}:{fuzz_api.port}", request_timeout=REQUEST_TIMEOUT_S)
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=MAX_EXAMPLES, allow_x00=False
    )
    return schema


def send(case: Any, api: RecordingApi, session: requests.Session) -> Any:
    response = case.call(session=session, headers={"Authorization": f"Bearer {api.token}"}, timeout=REQUEST_TIMEOUT_S)
    LEDGER.record(case.method.upper(), case.formatted_path, response.status_code, TENANT, _json(response))
    return response


def _json(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


@pytest.fixture(scope="module")
def session() -> Any:
    with requests.Session() as http:
        yield http


def test_the_api_never_answers_5xx_and_conforms_to_its_schema(
    fuzz_schema: Any, fuzz_api: RecordingApi, session: requests.Session
) -> None:
    # (schemathesis' pytest integration, `from_fixture`, breaks on pytest 9: each operation and
    # generation mode is run here through its Hypothesis strategy instead)
    deadline = time.monotonic() + TIME_BOX_S
    sent: Counter[str] = Counter()
    failures: dict[str, str] = {}
    operations = [result.ok() for result in fuzz_schema.get_all_operations()]
    assert len(operations) >= 10, [op.label for op in operations]

    def fuzzer(operation: Any, mode: GenerationMode, label: str) -> Callable[[], None]:
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,  # the same examples every run: a failure reproduces
            database=None,
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def fuzz(case: Any) -> None:
            if time.monotonic() > deadline:
                return  # the time box is spent: the remaining examples are not sent (counted)
            sent[label] += 1
            case.validate_response(send(case, fuzz_api, session), checks=CHECKS)

        return fuzz

    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        for operation in operations:
            label = f"{operation.method.upper()} {operation.path}"
            try:
                fuzzer(operation, mode, label)()
            except Exception as error:  # noqa: BLE001 - collected, reported together below
                failures[f"{mode.value} {label}"] = str(error)[:2000]

    print(f"fuzz: {sum(sent.values())} requests, per operation: {dict(sent)}")
    assert not failures, "\n\n".join(f"{name}:\n{text}" for name, text in failures.items())
    # The time box must not silently turn the fuzz into nothing
    assert {
        op for op in (f"{o.method.upper()} {o.path}" for o in operations) if sent[op] < MIN_SENT_PER_OPERATION
    } == set(), sent


def test_real_responses_conform_to_the_documented_models(
    fuzz_schema: Any, fuzz_api: RecordingApi, session: requests.Session
) -> None:
    # The fuzzer mostly gets 404/422 for made-up codes: make sure every success model is checked
    # against real entities too (an order with money, a product, a stock record, pages)
    product = new_product(fuzz_api, stock=3, price="29.99")
    status, order = fuzz_api.post("/orders", multi_line_order([product], quantity=2))
    assert status == 201, order
    calls: list[tuple[str, str, dict[str, Any], Any]] = [
        ("/orders/{code}", "GET", {"code": order["code"]}, None),
        ("/orders", "GET", {}, None),
        ("/products/{code}", "GET", {"code": product}, None),
        ("/products", "GET", {}, None),
        ("/inventory/{productCode}", "GET", {"productCode": product}, None),
        ("/orders/{code}/status", "PATCH", {"code": order["code"]}, {"status": "cancelled"}),
        ("/orders", "POST", {}, multi_line_order([product], quantity=1)),
    ]
    for path, method, parameters, body in calls:
        operation = fuzz_schema[path][method]
        case = (
            operation.Case(path_parameters=parameters, body=body, media_type="application/json")
            if body
            else (operation.Case(path_parameters=parameters))
        )
        response = send(case, fuzz_api, session)
        assert response.status_code < 300, (method, path, response.text)
        case.validate_response(response, checks=CHECKS)


def test_bodies_with_other_content_types_and_headers_never_get_a_5xx(
    fuzz_schema: Any, fuzz_api: RecordingApi, session: requests.Session
) -> None:
    deadline = time.monotonic() + MEDIA_TIME_BOX_S
    operations = [
        op for op in (r.ok() for r in fuzz_schema.get_all_operations()) if op.method.upper() in ("POST", "PATCH")
    ]
    assert len(operations) == 5, [op.label for op in operations]
    cases = st.one_of(*(op.as_strategy(generation_mode=GenerationMode.POSITIVE) for op in operations))
    sent: list[tuple[str, int]] = []
    wrong: list[str] = []

    @settings(
        max_examples=MEDIA_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases, content_type=CONTENT_TYPES, headers=EXTRA_HEADERS, raw=RAW_BODIES)
    def fuzz(case: Any, content_type: str, headers: dict[str, str], raw: bytes | None) -> None:
        if time.monotonic() > deadline:
            return
        url = f"http://{fuzz_api.host}:{fuzz_api.port}{case.formatted_path}"
        body = raw if raw is not None else json.dumps(case.body).encode()
        all_headers = {**headers, "Content-Type": content_type, "Authorization": f"Bearer {fuzz_api.token}"}
        response = session.request(case.method, url, data=body, headers=all_headers, timeout=REQUEST_TIMEOUT_S)
        LEDGER.record(case.method.upper(), case.formatted_path, response.status_code, TENANT, _json(response))
        sent.append((content_type, response.status_code))
        answer = _json(response)
        if response.status_code >= 500 or not (isinstance(answer, dict) and answer.get("message")):
            wrong.append(
                f"{case.method} {case.formatted_path} {content_type!r} {headers}: {response.status_code} {answer}"
            )
        elif content_type in NOT_JSON and response.status_code != 415:
            wrong.append(f"{case.method} {case.formatted_path} {content_type!r}: {response.status_code}, not 415")

    fuzz()
    print(f"fuzz (content types and headers): {len(sent)} requests, {sum(1 for _, s in sent if s == 415)} answered 415")
    assert not wrong, "\n".join(wrong[:20])
    assert len(sent) >= 50, len(sent)  # the time box must not silently turn the fuzz into nothing
