"""The API's CORS origins come from the settings module and fail closed when the setting is missing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from shop.settings import cors_allow_origins

ROOT = Path(__file__).resolve().parents[2]

# A fresh interpreter (the resolver reads the origins when handlers.api is imported) answers one
# public request from a browser page on https://shop.example and prints the CORS headers it got.
_REQUEST = """
import json
from handlers.api import handler
from harness.events import FakeLambdaContext, api_event
event = api_event("GET", "/openapi.json", tenant=None, role=None, headers={"Origin": "https://shop.example"})
answer = handler(event, FakeLambdaContext())
headers = answer.get("multiValueHeaders") or {}
cors = {key: value for key, value in headers.items() if key.startswith("Access-Control")}
print(json.dumps({"status": answer["statusCode"], "cors": cors}))
"""


def answer_with(origins: str | None) -> Any:
    env = {
        "PYTHONPATH": f"{ROOT / 'lambdas'}:{ROOT}",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
        "PATH": "/usr/bin:/bin",
    }
    if origins is not None:
        env["CORS_ALLOW_ORIGINS"] = origins
    done = subprocess.run(
        [sys.executable, "-c", _REQUEST], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("raw", "origins"),
    [
        ("*", ("*",)),
        ("https://a.example, https://b.example", ("https://a.example", "https://b.example")),
        (" , ", ()),
        ("", ()),
    ],
)
def test_origins_are_read_from_the_environment(
    raw: str, origins: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CORS_ALLOW_ORIGINS", raw)

    assert cors_allow_origins() == origins


def test_no_setting_means_no_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CORS_ALLOW_ORIGINS", raising=False)

    assert cors_allow_origins() == ()


def test_an_allowed_origin_gets_the_cors_headers() -> None:
    answer = answer_with("https://shop.example")

    assert answer["status"] == 200
    assert answer["cors"]["Access-Control-Allow-Origin"] == ["https://shop.example"]


def test_without_the_setting_the_api_sends_no_cors_headers() -> None:
    answer = answer_with(None)

    assert answer == {"status": 200, "cors": {}}
