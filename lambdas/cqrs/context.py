"""Who is calling: the user context, built only from the verified token's claims.

The tenant comes from the token. One exception, and only by name: an operator (role
`system_admin`, a user of the shared `common` tenant) acts in a shop it names explicitly
(`acting_in`); the context then keeps the operator's own identity, so what it writes records the
operator as `updatedBy`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from cqrs.errors import AuthorizationError, ValidationError
from cqrs.keys import generate_pk, validate_tenant_code

TENANT_CLAIM = "custom:tenant"
ROLE_CLAIM = "custom:role"
GROUPS_CLAIM = "cognito:groups"
# The tenant that holds what belongs to no shop (the tenant registry) and the operators' accounts.
COMMON_TENANT = "common"
SYSTEM_ADMIN = "system_admin"


@dataclass(frozen=True)
class UserContext:
    """The caller of a command. `tenant_code` comes from the token, never from the request."""

    tenant_code: str
    user_id: str
    username: str = ""
    role: str | None = None
    groups: tuple[str, ...] = field(default_factory=tuple)
    # The tenant of the caller's token when it differs from `tenant_code` (an operator acting in a shop).
    home_tenant_code: str | None = None

    @property
    def pk(self) -> str:
        return generate_pk(self.tenant_code)

    @property
    def roles(self) -> frozenset[str]:
        """The role claim and the Cognito groups together (the API accepts either)."""
        return frozenset(({self.role} if self.role else set()) | set(self.groups))

    @property
    def is_system_admin(self) -> bool:
        """An operator: the `system_admin` role counts only for users of the `common` tenant."""
        return SYSTEM_ADMIN in self.roles and (self.home_tenant_code or self.tenant_code) == COMMON_TENANT

    def acting_in(self, tenant_code: str) -> UserContext:
        """This operator's context inside shop `tenant_code` (its identity stays the operator's)."""
        if not self.is_system_admin:
            raise AuthorizationError("only a system_admin may act in another tenant")
        return replace(self, tenant_code=validate_tenant_code(tenant_code), home_tenant_code=COMMON_TENANT)

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any] | None) -> UserContext:
        """Build the context from Cognito ID-token claims.

        A missing or invalid tenant claim is an authorization error: without a tenant there is no
        partition the caller may touch.
        """
        claims = claims or {}
        tenant = claims.get(TENANT_CLAIM)
        if not tenant:
            raise AuthorizationError(f"the token carries no {TENANT_CLAIM} claim")
        try:
            tenant = validate_tenant_code(tenant)
        except ValidationError as error:
            raise AuthorizationError(f"the token's {TENANT_CLAIM} claim is invalid: {error.message}") from None
        user_id = str(claims.get("sub") or "")
        if not user_id:
            raise AuthorizationError("the token carries no sub claim")
        groups = parse_groups(claims.get(GROUPS_CLAIM))
        role = claims.get(ROLE_CLAIM) or (groups[0] if groups else None)
        username = str(claims.get("cognito:username") or claims.get("username") or claims.get("email") or "")
        return cls(tenant_code=tenant, user_id=user_id, username=username, role=role, groups=groups)

    @classmethod
    def system(cls, tenant_code: str, actor: str) -> UserContext:
        """A context for work the system does on a tenant's behalf (stream handlers, tools)."""
        return cls(tenant_code=validate_tenant_code(tenant_code), user_id=actor, username=actor, role="system")


def parse_groups(raw: object) -> tuple[str, ...]:
    """Cognito groups arrive as a list (JWT) or a string (API Gateway's flattened claims:
    `admin`, `[admin staff]`, `["admin","staff"]` or `admin,staff`)."""
    if raw is None or raw == "":
        return ()
    if isinstance(raw, list | tuple):
        return tuple(str(g) for g in raw if g)
    text = str(raw).strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = json.loads(text)
            if isinstance(parsed, list):
                return tuple(str(g) for g in parsed if g)
        except ValueError:
            text = text[1:-1]
    return tuple(part for part in text.replace(",", " ").split() if part)
