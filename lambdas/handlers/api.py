"""The REST API Lambda: one resolver, a router per domain, errors mapped in `handlers.errors`."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers.access import authorize, document_roles
from handlers.errors import register_error_handlers
from handlers.observability import logger, metrics, tracer
from handlers.routes import inventory, orders, products

OPENAPI_TITLE = "CQRS Shop API"
OPENAPI_VERSION = "1.0.0"


def _cors() -> CORSConfig:
    """Browser origins from CORS_ALLOW_ORIGINS (the stack's `corsAllowOrigins`); `*` by default."""
    origins = [o.strip() for o in os.environ.get("CORS_ALLOW_ORIGINS", "*").split(",") if o.strip()] or ["*"]
    return CORSConfig(allow_origin=origins[0], extra_origins=origins[1:], allow_headers=["Idempotency-Key"])


app = APIGatewayRestResolver(enable_validation=True, cors=_cors())
app.use([authorize])
app.include_router(orders.router)
app.include_router(products.router)
app.include_router(inventory.router)
register_error_handlers(app)
app.enable_swagger(path="/swagger", title=OPENAPI_TITLE, version=OPENAPI_VERSION)


@lru_cache(maxsize=1)
def _openapi_json() -> str:
    # Built on first request, not at import: generating the schema costs tens of milliseconds.
    document = json.loads(app.get_openapi_json_schema(title=OPENAPI_TITLE, version=OPENAPI_VERSION))
    return json.dumps(document_roles(document))


@app.get("/openapi.json", include_in_schema=False)
def openapi_document() -> Response[str]:
    return Response(status_code=200, content_type="application/json", body=_openapi_json())


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
