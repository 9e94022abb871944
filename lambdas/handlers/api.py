"""The REST API Lambda: one resolver, a router per domain, errors mapped in `handlers.errors`."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers.access import authorize
from handlers.docs import register_docs
from handlers.errors import register_error_handlers
from handlers.observability import logger, metrics, tracer
from handlers.request_body import install as read_json_bodies
from handlers.request_path import refuse_control_characters
from handlers.routes import inventory, orders, products


def _cors() -> CORSConfig:
    """Browser origins from CORS_ALLOW_ORIGINS (the stack's `corsAllowOrigins`); `*` by default."""
    origins = [o.strip() for o in os.environ.get("CORS_ALLOW_ORIGINS", "*").split(",") if o.strip()] or ["*"]
    return CORSConfig(allow_origin=origins[0], extra_origins=origins[1:], allow_headers=["Idempotency-Key"])


app = APIGatewayRestResolver(enable_validation=True, cors=_cors())
read_json_bodies(app)
app.use([refuse_control_characters, authorize])
app.include_router(orders.router)
app.include_router(products.router)
app.include_router(inventory.router)
register_error_handlers(app)
register_docs(app)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
