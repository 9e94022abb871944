"""The API's own description, served without a token: `GET /openapi.json` and Swagger UI.

`GET /swagger` is a page of about a kilobyte; Swagger UI's script and styles (about 1.7 MB,
shipped inside Powertools) come from `GET /swagger/ui.js` and `GET /swagger/ui.css`, which a
browser or CDN caches for a year (`Cache-Control: immutable`, an `ETag` answered with 304): the
page names them with their content hash, so a new Powertools version gets new URLs. Each asset
and the document are built once per execution environment, on the first request that asks for
them, not at import: a cold start that serves an order should not pay for them.

A stage turns the docs off (`apiDocs` in the CDK context, `API_DOCS=false` for the function):
API Gateway then declares none of these routes, and the function answers 404 to them too.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from handlers.access import document_roles
from handlers.json_body import json_response

TITLE = "CQRS Shop API"
VERSION = "1.0.0"
OPENAPI_PATH = "/openapi.json"
SWAGGER_PATH = "/swagger"
SCRIPT_PATH = "/swagger/ui.js"
STYLE_PATH = "/swagger/ui.css"
ENV_API_DOCS = "API_DOCS"

ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable"
PAGE_CACHE_CONTROL = "public, max-age=300"
_ASSET_FILES = {
    SCRIPT_PATH: ("swagger-ui-bundle.min.js", "application/javascript; charset=utf-8"),
    STYLE_PATH: ("swagger-ui.min.css", "text/css; charset=utf-8"),
}


def docs_enabled() -> bool:
    """False when the stage turned the docs off (`API_DOCS=false`); on by default."""
    return os.environ.get(ENV_API_DOCS, "true").strip().lower() not in ("false", "0", "no", "off")


@dataclass(frozen=True)
class Asset:
    body: str
    content_type: str
    etag: str  # a strong validator: the quoted start of the body's SHA-256


@lru_cache(maxsize=len(_ASSET_FILES))
def asset(path: str) -> Asset:
    """Swagger UI's script or styles, read from the Powertools package once per environment."""
    from importlib.resources import files

    name, content_type = _ASSET_FILES[path]
    body = files("aws_lambda_powertools.event_handler.openapi.swagger_ui").joinpath(name).read_text(encoding="utf-8")
    return Asset(body, content_type, f'"{hashlib.sha256(body.encode()).hexdigest()[:32]}"')


def register_docs(app: APIGatewayRestResolver) -> None:
    @lru_cache(maxsize=1)
    def document_json() -> str:
        document = json.loads(app.get_openapi_json_schema(title=TITLE, version=VERSION))
        return json.dumps(document_roles(document))

    def not_served() -> Response[str]:
        return json_response(404, {"message": f"no route for GET {app.current_event.path}"})

    @app.get(OPENAPI_PATH, include_in_schema=False)
    def openapi_document() -> Response[str]:
        if not docs_enabled():
            return not_served()
        return Response(status_code=200, content_type="application/json", body=document_json())

    @app.get(SWAGGER_PATH, include_in_schema=False)
    def swagger_ui() -> Response[str]:
        if not docs_enabled():
            return not_served()
        prefix = stage_prefix(app)
        if app.current_event.get_query_string_value("format") == "json":
            # The page's document: "Try it out" calls go to the stage it was served from (`/prod/orders`).
            document = json.loads(document_json())
            document["servers"] = [{"url": prefix or "/"}]
            return Response(status_code=200, content_type="application/json", body=json.dumps(document))
        return Response(
            status_code=200,
            content_type="text/html; charset=utf-8",
            body=swagger_page(prefix),
            headers={"Cache-Control": PAGE_CACHE_CONTROL},
        )

    def serve_asset(path: str) -> Response[str]:
        if not docs_enabled():
            return not_served()
        found = asset(path)
        headers = {"Cache-Control": ASSET_CACHE_CONTROL, "ETag": found.etag}
        if found.etag in _etags(app.current_event.headers.get("if-none-match")):
            return Response(status_code=304, body="", headers=headers)
        return Response(status_code=200, content_type=found.content_type, body=found.body, headers=headers)

    @app.get(SCRIPT_PATH, include_in_schema=False)
    def swagger_script() -> Response[str]:
        return serve_asset(SCRIPT_PATH)

    @app.get(STYLE_PATH, include_in_schema=False)
    def swagger_style() -> Response[str]:
        return serve_asset(STYLE_PATH)


def _etags(header: str | None) -> set[str]:
    """The validators of an If-None-Match header (`*` matches any)."""
    if not header:
        return set()
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return {asset(path).etag for path in _ASSET_FILES} if "*" in tags else tags


def stage_prefix(app: APIGatewayRestResolver) -> str:
    """`/prod` when the request came in through the stage's own URL; "" behind a custom domain."""
    context = app.current_event.request_context
    stage = context.stage
    return f"/{stage}" if stage and context.path.startswith(f"/{stage}/") else ""


def swagger_page(prefix: str) -> str:
    """The Swagger UI page: its assets by their cacheable URLs (versioned by hash), the document by URL."""
    version = {path: asset(path).etag.strip('"')[:12] for path in _ASSET_FILES}
    script, style = f"{prefix}{SCRIPT_PATH}?v={version[SCRIPT_PATH]}", f"{prefix}{STYLE_PATH}?v={version[STYLE_PATH]}"
    document = json.dumps(f"{prefix}{SWAGGER_PATH}?format=json")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{TITLE}</title>
<link rel="stylesheet" href="{style}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{script}"></script>
<script>
window.ui = SwaggerUIBundle({{url: {document}, dom_id: "#swagger-ui", deepLinking: true}});
</script>
</body>
</html>
"""
