"""The REST API Lambda: one resolver, a router per domain, errors mapped in `handlers.errors`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from handlers.access import TENANT_HEADER, authorize
from handlers.docs import register_docs
from handlers.errors import register_error_handlers
from handlers.observability import logger, metrics, tracer
from handlers.request_body import install as read_json_bodies
from handlers.request_path import refuse_control_characters
from handlers.routes import inventory, orders, products, tenants
from shop.settings import cors_allow_origins


def cors_config(origins: Sequence[str]) -> CORSConfig | None:
    """CORS for `origins`, or None (no CORS headers at all) when there are none: fail closed."""
    if not origins:
        return None
    return CORSConfig(
        allow_origin=origins[0], extra_origins=list(origins[1:]), allow_headers=["Idempotency-Key", TENANT_HEADER]
    )


# The resolver takes its CORS settings when it is built, so the origins are read at import (the
# function's environment is complete by then, on Lambda and in the local runtime).
app = APIGatewayRestResolver(enable_validation=True, cors=cors_config(cors_allow_origins()))
read_json_bodies(app)
app.use([refuse_control_characters, authorize])
app.include_router(orders.router)
app.include_router(products.router)
app.include_router(inventory.router)
app.include_router(tenants.router)
register_error_handlers(app)
register_docs(app)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
