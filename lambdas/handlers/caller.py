"""The caller's identity, from the claims API Gateway's Cognito authorizer verified."""

from __future__ import annotations

from typing import Any

from cqrs.context import UserContext
from handlers.observability import logger


def caller(router: Any) -> UserContext:
    """The `UserContext` of the current request; the tenant comes from the token only."""
    claims = router.current_event.request_context.authorizer.claims
    ctx = UserContext.from_claims(claims)
    logger.append_keys(tenant=ctx.tenant_code, user=ctx.user_id)
    return ctx
