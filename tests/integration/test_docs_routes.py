"""The API's description: a small Swagger page, its assets on cacheable routes read once per
execution environment, and a stage setting that turns every docs route off."""

from __future__ import annotations

import importlib.resources
from typing import Any

import pytest

from tests.integration.conftest import call_api

DOCS = ("/openapi.json", "/swagger", "/swagger/ui.js", "/swagger/ui.css")
YEAR = "public, max-age=31536000, immutable"


def public(path: str, **kwargs: Any) -> Any:
    return call_api("GET", path, tenant=None, role=None, **kwargs)


@pytest.fixture
def fresh_assets(aws: Any) -> None:
    from handlers.docs import asset

    asset.cache_clear()


def test_the_swagger_page_is_small_and_names_its_assets(fresh_assets: None) -> None:
    page = raw_get("/swagger")
    assert page["statusCode"] == 200
    assert page["multiValueHeaders"]["Content-Type"] == ["text/html; charset=utf-8"]
    html = page["body"]
    assert len(html.encode()) < 2048
    assert '<script src="/dev/swagger/ui.js?v=' in html
    assert '<link rel="stylesheet" href="/dev/swagger/ui.css?v=' in html
    assert 'url: "/dev/swagger?format=json"' in html
    assert "SwaggerUIBundle=" not in html  # the 1.4 MB bundle is not inlined


@pytest.mark.parametrize(
    ("path", "content_type"), [("/swagger/ui.js", "application/javascript"), ("/swagger/ui.css", "text/css")]
)
def test_assets_are_cacheable_with_a_validator(fresh_assets: None, path: str, content_type: str) -> None:
    first = raw_get(path)
    assert first["statusCode"] == 200
    headers = {k: ",".join(v) for k, v in first["multiValueHeaders"].items()}
    assert headers["Content-Type"] == f"{content_type}; charset=utf-8"
    assert headers["Cache-Control"] == YEAR
    etag = headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) == 34
    assert len(first["body"]) > 100_000

    again = raw_get(path, {"If-None-Match": etag})
    assert (again["statusCode"], again["body"]) == (304, "")
    assert raw_get(path, {"If-None-Match": f'W/{etag}, "other"'})["statusCode"] == 304
    assert raw_get(path, {"If-None-Match": '"stale"'})["statusCode"] == 200


def raw_get(path: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    from handlers.api import handler
    from tests.support.events import FakeLambdaContext, api_event

    event = api_event("GET", path, tenant=None, role=None, headers=headers)
    return dict(handler(event, FakeLambdaContext()))


def test_each_asset_is_read_once_per_execution_environment(fresh_assets: None, monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[str] = []
    files = importlib.resources.files

    def counting(package: Any) -> Any:
        reads.append(str(package))
        return files(package)

    monkeypatch.setattr(importlib.resources, "files", counting)
    for _ in range(3):
        for path in ("/swagger", "/swagger/ui.js", "/swagger/ui.css"):
            assert raw_get(path)["statusCode"] == 200
    assert len(reads) == 2  # the script and the styles, once each


def test_a_stage_can_turn_the_docs_off(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_DOCS", "false")
    for path in DOCS:
        answer = public(path)
        assert answer.status == 404, path
        assert answer.body == {"message": f"no route for GET {path}"}
    monkeypatch.setenv("API_DOCS", "true")
    assert [raw_get(path)["statusCode"] for path in DOCS] == [200, 200, 200, 200]
