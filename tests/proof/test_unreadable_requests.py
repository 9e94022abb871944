"""Client mistakes the fuzzing once turned into 5xx: bodies the JSON parser cannot read, a wrong
Content-Type, a method no route has. Each must be a 4xx with a JSON message, over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from harness.runtime_process import Api
from harness.seed import order_body
from tests.proof.ledger import RecordingApi

pytestmark = pytest.mark.e2e


@pytest.fixture
def raw_client(api_as: Any) -> Any:
    recorded: RecordingApi = api_as("proof-input", "admin")
    api = Api(f"http://{recorded.host}:{recorded.port}/", recorded.token)
    yield api
    api.close()


def _client_error(status: int, answer: Any) -> bool:
    return 400 <= status < 500 and isinstance(answer, dict) and bool(answer.get("message"))


def test_a_body_that_is_not_utf8_gets_a_4xx(raw_client: Api) -> None:
    assert _client_error(*raw_client.request("POST", "/orders", raw=b'{"customerId": "\xff"}'))


def test_an_unsupported_content_type_gets_a_4xx(raw_client: Api) -> None:
    status, answer = raw_client.request(
        "POST", "/orders", order_body(("PRD-001", 1)), headers={"Content-Type": "text/plain"}
    )
    assert _client_error(status, answer)


def test_an_unknown_http_method_gets_a_4xx(raw_client: Api) -> None:
    assert _client_error(*raw_client.request("TRACE", "/orders"))


def test_deeply_nested_json_gets_a_4xx(raw_client: Api) -> None:
    assert _client_error(*raw_client.request("POST", "/orders", raw=b"[" * 5000 + b"]" * 5000))
