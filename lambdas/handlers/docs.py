"""The API's own description: `GET /openapi.json` and Swagger UI at `GET /swagger`, both without a token.

Both serve one document, generated from the routes' models and enriched with each operation's
roles (`x-allowed-roles`). It is built on the first request that asks for it, not at import:
Powertools' OpenAPI document models cost tens of milliseconds to import, and a cold start that
serves an order should not pay for them (Powertools' `enable_swagger` imports them eagerly).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from handlers.access import document_roles

TITLE = "CQRS Shop API"
VERSION = "1.0.0"
OPENAPI_PATH = "/openapi.json"
SWAGGER_PATH = "/swagger"


def register_docs(app: APIGatewayRestResolver) -> None:
    @lru_cache(maxsize=1)
    def document_json() -> str:
        document = json.loads(app.get_openapi_json_schema(title=TITLE, version=VERSION))
        return json.dumps(document_roles(document))

    @app.get(OPENAPI_PATH, include_in_schema=False)
    def openapi_document() -> Response[str]:
        return Response(status_code=200, content_type="application/json", body=document_json())

    @app.get(SWAGGER_PATH, include_in_schema=False)
    def swagger_ui() -> Response[str]:
        # "Try it out" calls go to the stage the page was served from (`/prod/orders`).
        document = json.loads(document_json())
        document["servers"] = [{"url": stage_prefix(app) or "/"}]
        if app.current_event.get_query_string_value("format") == "json":
            # The page names `/swagger?format=json` as its document's address (the UI's download link).
            return Response(status_code=200, content_type="application/json", body=json.dumps(document))
        return Response(status_code=200, content_type="text/html", body=swagger_page(document))


def stage_prefix(app: APIGatewayRestResolver) -> str:
    """`/prod` when the request came in through the stage's own URL; "" behind a custom domain."""
    context = app.current_event.request_context
    stage = context.stage
    return f"/{stage}" if stage and context.path.startswith(f"/{stage}/") else ""


def swagger_page(document: dict[str, Any]) -> str:
    """Swagger UI with its script and styles inlined (Powertools' page), showing `document`."""
    from importlib.resources import files

    from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html

    assets = files("aws_lambda_powertools.event_handler.openapi.swagger_ui")
    # `</` inside the inlined JSON would close the page's <script> element.
    spec = json.dumps(document).replace("</", "<\\/")
    return generate_swagger_html(
        spec,
        assets.joinpath("swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        assets.joinpath("swagger-ui.min.css").read_text(encoding="utf-8"),
        swagger_base_url="",
        oauth2_config=None,
    )
