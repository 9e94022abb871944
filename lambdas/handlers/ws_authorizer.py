"""The WebSocket API's `$connect` authorizer: `?token=<ID token>[&tenant=CODE]`.

The token is verified as the REST API's Cognito authorizer verifies it (`live.id_tokens`). A bad
token raises `Unauthorized`, which API Gateway answers with 401 at the handshake; a valid user
asking for another tenant's screen gets a Deny policy, answered with 403. The tenant the
connection watches travels to the routes in the authorizer's context.
"""

from __future__ import annotations

from typing import Any

from handlers.observability import logger
from live.access import WatchForbidden, watched_tenant
from live.id_tokens import TokenRefused
from live.wiring import verifier


def _policy(principal: str, effect: str, resource: str, context: dict[str, str] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
    }
    if context is not None:
        answer["context"] = context
    return answer


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    query = event.get("queryStringParameters") or {}
    resource = str(event.get("methodArn") or "*")
    try:
        claims = verifier().verify(str(query.get("token") or ""))
    except TokenRefused as refused:
        logger.info("connection refused", extra={"reason": str(refused)})
        raise Exception("Unauthorized") from None  # noqa: TRY002 - the exact text API Gateway maps to 401
    user = str(claims["sub"])
    try:
        tenant = watched_tenant(claims, query.get("tenant"))
    except WatchForbidden as forbidden:
        logger.info("connection forbidden", extra={"user": user, "reason": str(forbidden)})
        return _policy(user, "Deny", resource)
    return _policy(user, "Allow", resource, {"tenantCode": tenant, "userId": user})
