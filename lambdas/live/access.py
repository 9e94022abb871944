"""Which tenant's screen a verified user may watch."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cqrs.errors import CqrsError

TENANT_CLAIM = "custom:tenant"
ROLE_CLAIM = "custom:role"
SYSTEM_ADMIN = "system_admin"


class WatchForbidden(CqrsError):
    """A valid user asked for a tenant that is not theirs (the handshake answers 403)."""


def is_system_admin(claims: Mapping[str, Any]) -> bool:
    """The one place that decides who may watch any tenant."""
    return claims.get(ROLE_CLAIM) == SYSTEM_ADMIN


def watched_tenant(claims: Mapping[str, Any], requested: str | None) -> str:
    """The tenant whose messages this connection gets: the token's own, or for a system admin the
    one asked for with `&tenant=CODE`. Nobody else may name a tenant other than their own."""
    own = str(claims.get(TENANT_CLAIM) or "")
    if requested and requested != own:
        if not is_system_admin(claims):
            raise WatchForbidden(f"you may watch tenant {own!r} only")
        return requested
    if not own:
        raise WatchForbidden("the token carries no tenant: add &tenant=CODE")
    return own
