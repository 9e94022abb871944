"""The WebSocket API's routes: `$connect` keeps the connection under its tenant, `$disconnect`
forgets it, `$default` answers any message from a screen (screens only listen)."""

from __future__ import annotations

from typing import Any

from handlers.observability import logger
from live.connections import Connection
from live.wiring import connection_store


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = event.get("requestContext") or {}
    route = request.get("routeKey")
    connection_id = str(request.get("connectionId") or "")
    authorizer = request.get("authorizer") or {}
    tenant = str(authorizer.get("tenantCode") or "")
    logger.append_keys(tenant=tenant, connection=connection_id, route=route)
    if route == "$connect":
        if not tenant:  # only the authorizer lets a connection in, and it always names the tenant
            return {"statusCode": 403, "body": "no tenant"}
        connection_store().add(Connection(tenant, connection_id, str(authorizer.get("userId") or "")))
        return {"statusCode": 200}
    if route == "$disconnect":
        if tenant:
            connection_store().remove(tenant, connection_id)
        return {"statusCode": 200}
    return {"statusCode": 200, "body": "this socket only sends: nothing to receive"}
