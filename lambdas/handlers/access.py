"""Who may call which route: one table, enforced by one middleware for every route.

Within a tenant, `admin` may do everything; `staff` works orders (create, list, read, change
status) and reads products and stock. Any other or missing role gets 403 everywhere. A test
fails when a registered route is missing from the table, so none can be forgotten open.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from cqrs.context import UserContext
from cqrs.errors import AuthorizationError
from handlers.observability import logger

ADMIN = "admin"
STAFF = "staff"
ROLES = (ADMIN, STAFF)
_EVERYONE = frozenset(ROLES)
_ADMIN_ONLY = frozenset({ADMIN})

# (method, route as registered) -> roles allowed.
POLICY: dict[tuple[str, str], frozenset[str]] = {
    ("POST", "/orders"): _EVERYONE,
    ("GET", "/orders"): _EVERYONE,
    ("GET", "/orders/<code>"): _EVERYONE,
    ("PATCH", "/orders/<code>/status"): _EVERYONE,
    ("POST", "/products"): _ADMIN_ONLY,
    ("GET", "/products"): _EVERYONE,
    ("GET", "/products/<code>"): _EVERYONE,
    ("PATCH", "/products/<code>"): _ADMIN_ONLY,
    ("GET", "/inventory/<productCode>"): _EVERYONE,
    ("PATCH", "/inventory/<productCode>"): _ADMIN_ONLY,
}
# Served without a token, as API Gateway serves them without the authorizer.
PUBLIC = frozenset(
    {("GET", "/openapi.json"), ("GET", "/swagger"), ("GET", "/swagger/ui.js"), ("GET", "/swagger/ui.css")}
)
_USER = "user"


def roles_of(ctx: UserContext) -> set[str]:
    return ({ctx.role} if ctx.role else set()) | set(ctx.groups)


def authorize(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response:
    """Middleware: resolve the caller from the verified claims and check the route's policy."""
    route = app.context["_route"]
    key = (route.method, route.path)
    if key in PUBLIC or key not in POLICY:
        # Not in the table: the resolver's not-found route (every registered route is, by test).
        return next_middleware(app)
    ctx = UserContext.from_claims(app.current_event.request_context.authorizer.claims)
    logger.append_keys(tenant=ctx.tenant_code, user=ctx.user_id)
    if not roles_of(ctx) & POLICY[key]:
        role = ctx.role or "no role"
        raise AuthorizationError(
            f"role {role!r} may not {route.method} {route.path.replace('<', '{').replace('>', '}')}"
        )
    app.append_context(**{_USER: ctx})
    return next_middleware(app)


def caller(router: Any) -> UserContext:
    """The `UserContext` the middleware resolved for this request (tenant from the token only)."""
    ctx: UserContext = router.context[_USER]
    return ctx


def document_roles(document: dict[str, Any]) -> dict[str, Any]:
    """Add each operation's allowed roles to the OpenAPI document (`x-allowed-roles`)."""
    for (method, path), roles in POLICY.items():
        operation = document.get("paths", {}).get(path.replace("<", "{").replace(">", "}"), {}).get(method.lower())
        if operation is not None:
            operation["x-allowed-roles"] = sorted(roles)
            operation["description"] = (
                operation.get("description", "") + f"\n\nRoles: {', '.join(sorted(roles))}."
            ).strip()
    return document
