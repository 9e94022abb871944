"""Who may call which route: one table, enforced by one middleware for every route.

Within a tenant, `admin` may do everything; `staff` works orders (create, list, read, change
status) and reads products and stock. Reading an entity's history needs the roles that read the
entity. Any other or missing role gets 403 everywhere. A test
fails when a registered route is missing from the table, so none can be forgotten open.

Operators (`system_admin`, users of the `common` tenant) alone use the registry routes
(`/tenants...`). On every other route they act in a shop only by naming it in the
`X-Tenant-Code` header (400 without it); a shop's own users may send their own tenant's code and
get 403 for any other. A suspended tenant's users get 403 `tenant suspended` (a cached check, see
`shop.tenants`); operators keep their access to it.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from cqrs.context import COMMON_TENANT, SYSTEM_ADMIN, UserContext
from cqrs.errors import AuthorizationError, NotFoundError, ValidationError
from handlers.observability import logger
from shop.wiring import shop

ADMIN = "admin"
STAFF = "staff"
ROLES = (ADMIN, STAFF)
TENANT_HEADER = "X-Tenant-Code"
# An operator may use every route of a shop (naming it), like the shop's admin.
_EVERYONE = frozenset({ADMIN, STAFF, SYSTEM_ADMIN})
_ADMIN_ONLY = frozenset({ADMIN, SYSTEM_ADMIN})
_OPERATOR_ONLY = frozenset({SYSTEM_ADMIN})

# (method, route as registered) -> roles allowed.
POLICY: dict[tuple[str, str], frozenset[str]] = {
    ("POST", "/orders"): _EVERYONE,
    ("GET", "/orders"): _EVERYONE,
    ("GET", "/orders/<code>"): _EVERYONE,
    ("PATCH", "/orders/<code>/status"): _EVERYONE,
    ("GET", "/orders/<code>/history"): _EVERYONE,
    ("POST", "/products"): _ADMIN_ONLY,
    ("GET", "/products"): _EVERYONE,
    ("GET", "/products/<code>"): _EVERYONE,
    ("PATCH", "/products/<code>"): _ADMIN_ONLY,
    ("GET", "/products/<code>/history"): _EVERYONE,
    ("GET", "/inventory"): _EVERYONE,
    ("GET", "/inventory/<productCode>"): _EVERYONE,
    ("PATCH", "/inventory/<productCode>"): _ADMIN_ONLY,
    ("GET", "/inventory/<productCode>/history"): _EVERYONE,
    ("GET", "/tenant"): _EVERYONE,
    ("PATCH", "/tenant/settings"): _ADMIN_ONLY,
    ("POST", "/tenants"): _OPERATOR_ONLY,
    ("GET", "/tenants"): _OPERATOR_ONLY,
    ("GET", "/tenants/<code>"): _OPERATOR_ONLY,
    ("PATCH", "/tenants/<code>"): _OPERATOR_ONLY,
    ("GET", "/tenants/<code>/history"): _OPERATOR_ONLY,
}
# The registry's routes: operators in their own tenant, which the path names; no header.
REGISTRY = frozenset(key for key, roles in POLICY.items() if roles == _OPERATOR_ONLY)
# Served without a token, as API Gateway serves them without the authorizer.
PUBLIC = frozenset(
    {("GET", "/openapi.json"), ("GET", "/swagger"), ("GET", "/swagger/ui.js"), ("GET", "/swagger/ui.css")}
)
_USER = "user"


class TenantHeaderError(ValidationError):
    """An operator called a shop's route without naming the shop (HTTP 400)."""


def roles_of(ctx: UserContext) -> set[str]:
    """The caller's roles; `system_admin` counts only for users of the `common` tenant."""
    return set(ctx.roles) if ctx.is_system_admin else set(ctx.roles - {SYSTEM_ADMIN})


def tenant_context(ctx: UserContext, header: str | None, *, registry: bool) -> UserContext:
    """The context a request runs in, given the `X-Tenant-Code` header (None when absent).

    Raises `TenantHeaderError` (400), `AuthorizationError` (403, suspended tenants included) or
    `NotFoundError` (404: an operator naming an unregistered tenant).
    """
    if registry:
        if header is not None:
            raise TenantHeaderError(TENANT_HEADER, "not used on /tenants routes: the path names the tenant")
        return ctx
    if ctx.is_system_admin:
        if not header:
            raise TenantHeaderError(TENANT_HEADER, "required: an operator names the tenant it acts in")
        if header == COMMON_TENANT:
            raise TenantHeaderError(TENANT_HEADER, f"{COMMON_TENANT!r} is the operators' tenant, not a shop")
        try:
            acting = ctx.acting_in(header)
        except ValidationError as error:
            raise TenantHeaderError(TENANT_HEADER, error.message) from None
        try:
            shop().tenants.get(acting.tenant_code)  # read now: an operator is not on the hot path
        except NotFoundError:
            raise NotFoundError(f"{TENANT_HEADER}: tenant {header} is not registered") from None
        return acting
    if header is not None and header != ctx.tenant_code:
        raise AuthorizationError(f"{TENANT_HEADER}: you may not act in tenant {header!r}")
    if ctx.tenant_code == COMMON_TENANT:
        # It holds the registry; a shop's routes there would only mix shop data into it.
        raise AuthorizationError(f"the {COMMON_TENANT!r} tenant is not a shop")
    shop().tenants.check_active(ctx.tenant_code)
    return ctx


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
    header = app.current_event.headers.get(TENANT_HEADER)  # case-insensitive
    ctx = tenant_context(ctx, header, registry=key in REGISTRY)
    if ctx.home_tenant_code:
        logger.append_keys(tenant=ctx.tenant_code, operator=True)
    app.append_context(**{_USER: ctx})
    return next_middleware(app)


def caller(router: Any) -> UserContext:
    """The `UserContext` the middleware resolved for this request (tenant from the token only)."""
    ctx: UserContext = router.context[_USER]
    return ctx


_HEADER_PARAMETER = {
    "name": TENANT_HEADER,
    "in": "header",
    "required": False,
    "schema": {"type": "string", "maxLength": 64, "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]*$"},
    "description": "Operators (system_admin): the tenant to act in, required. Others: their own tenant or absent.",
}


def document_roles(document: dict[str, Any]) -> dict[str, Any]:
    """Add each operation's allowed roles (`x-allowed-roles`) and, on a shop's routes, the
    operator's `X-Tenant-Code` header to the OpenAPI document."""
    for (method, path), roles in POLICY.items():
        operation = document.get("paths", {}).get(path.replace("<", "{").replace(">", "}"), {}).get(method.lower())
        if operation is not None:
            operation["x-allowed-roles"] = sorted(roles)
            operation["description"] = (
                operation.get("description", "") + f"\n\nRoles: {', '.join(sorted(roles))}."
            ).strip()
            if (method, path) not in REGISTRY:
                operation.setdefault("parameters", []).append(dict(_HEADER_PARAMETER))
    return document
