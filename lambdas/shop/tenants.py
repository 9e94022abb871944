"""The tenant registry: one versioned record per shop, kept in the `common` tenant.

`pk = TENANT#common`, `sk = TENANT#<code>`; `attributes = {status, settings}`. Records are
written through the command service like every entity (optimistic lock, history, projector).

The API reads a tenant's record on every request of its users (is it suspended?), so records are
cached in the process for `REGISTRY_CACHE_TTL_S`: the check costs no DynamoDB request while the
cache is fresh. A suspension therefore bites at once in the function instance that wrote it and
within `REGISTRY_CACHE_TTL_S` seconds everywhere else. Order creation does not use the cache: it
reads the record in the same batch as the order's products, so a new tax rate applies to the next
order with no extra request and no delay.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from cqrs.context import COMMON_TENANT, UserContext
from cqrs.data import Page
from cqrs.errors import AuthorizationError, NotFoundError, ValidationError
from cqrs.history import HistoryPage
from cqrs.items import Command, Item
from cqrs.keys import generate_pk, validate_tenant_code
from cqrs.services import CqrsServices
from shop.entities import TENANT_PREFIX
from shop.mail_senders import SendingIdentities
from shop.tenant_models import CreateTenantRequest, OwnSettingsIn, SettingsIn, UpdateTenantRequest
from shop.tenant_registry import (
    REGISTRY_CACHE_TTL_S,
    Clock,
    RegistryCache,
    TenantStatus,
    is_suspended,
    registry_key,
    settings_of,
)
from shop.tenant_settings import TenantSettings


class TenantSuspendedError(AuthorizationError):
    """The caller's tenant is suspended (HTTP 403); its data and stream processing stay."""

    def __init__(self) -> None:
        super().__init__("tenant suspended")


class TenantService:
    """The registry (operators), a tenant's own view and settings, and the cached hot-path checks."""

    def __init__(
        self,
        core: CqrsServices,
        *,
        senders: SendingIdentities | None = None,
        ttl_s: float = REGISTRY_CACHE_TTL_S,
        clock: Clock = time.monotonic,
    ) -> None:
        self._core = core
        self._senders = senders or SendingIdentities.from_env()
        self._cache = RegistryCache(self._read, ttl_s, clock)

    # -- the hot path (cached) -------------------------------------------------------------------

    def check_active(self, tenant_code: str) -> None:
        """Raise `TenantSuspendedError` when the tenant is suspended (cached record)."""
        if is_suspended(self._cache.get(tenant_code)):
            raise TenantSuspendedError()

    def settings(self, tenant_code: str) -> TenantSettings:
        """The tenant's effective settings, from the cached record (at most `ttl_s` old)."""
        return settings_of(self._cache.get(tenant_code))

    def remember(self, tenant_code: str, record: Item | None) -> None:
        """Refresh the cache with a record read elsewhere (e.g. in an order's batch read)."""
        self._cache.put(tenant_code, record)

    # -- the registry (operators) ----------------------------------------------------------------

    def create(self, request: CreateTenantRequest, ctx: UserContext) -> Item:
        settings = TenantSettings().merged(self._checked(request.settings))
        pk, sk = registry_key(request.code)
        command = Command(
            pk=pk,
            sk=sk,
            code=request.code,
            name=request.name,
            tenant_code=COMMON_TENANT,
            attributes={"status": TenantStatus.ACTIVE.value, "settings": settings.to_stored()},
        )
        return self._publish(command, request.code, ctx, source="POST /tenants")

    def get(self, tenant_code: str) -> Item:
        """The registry record, read now (not cached); `NotFoundError` when not registered."""
        record = self._read(validate_tenant_code(tenant_code))
        self._cache.put(tenant_code, record)
        if record is None:
            raise NotFoundError(f"tenant {tenant_code} is not registered")
        return record

    def list_tenants(self, *, limit: int, cursor: str | None) -> Page:
        return self._core.data.list_items_by_pk(generate_pk(COMMON_TENANT), TENANT_PREFIX, limit=limit, cursor=cursor)

    def update(self, tenant_code: str, request: UpdateTenantRequest, ctx: UserContext) -> Item:
        current = self.get(tenant_code)
        attributes: dict[str, Any] = dict(current.attributes)
        if request.status is not None:
            attributes["status"] = request.status.value
        if request.settings is not None:
            attributes["settings"] = settings_of(current).merged(self._checked(request.settings)).to_stored()
        command = replace(Command.updating(current, attributes, name=request.name), version=request.version)
        return self._publish(command, tenant_code, ctx, current=current, source="PATCH /tenants")

    def history(self, tenant_code: str, *, limit: int, cursor: str | None) -> HistoryPage:
        """The registry record's versions, newest first (404 when the tenant is not registered)."""
        return self._core.history.page(self.get(tenant_code), limit=limit, cursor=cursor)

    # -- a tenant's own record -------------------------------------------------------------------

    def own(self, ctx: UserContext) -> dict[str, Any]:
        """The caller's tenant: its record (if registered) and its effective settings."""
        record = self._read(ctx.tenant_code)
        self._cache.put(ctx.tenant_code, record)
        return {
            "code": ctx.tenant_code,
            "registered": record is not None,
            "name": record.name if record else ctx.tenant_code,
            "status": record.attributes.get("status") if record else TenantStatus.ACTIVE.value,
            "version": record.version if record else 0,
            "settings": settings_of(record).to_stored(),
        }

    def update_own_settings(self, request: OwnSettingsIn, ctx: UserContext) -> Item:
        """The tenant's admin changes its own settings (only those in `TENANT_SETTABLE`)."""
        current = self.get(ctx.tenant_code)
        settings = settings_of(current).merged(request.changes())
        command = replace(
            Command.updating(current, {**current.attributes, "settings": settings.to_stored()}),
            version=request.version,
        )
        return self._publish(command, ctx.tenant_code, ctx, current=current, source="PATCH /tenant/settings")

    # -- internals -------------------------------------------------------------------------------

    def _checked(self, settings: SettingsIn | None) -> dict[str, Any]:
        """An operator's setting changes, once a sender they name is one the stack can send from."""
        changes = settings.changes() if settings else {}
        self._senders.check(changes.get("notificationSender"))
        return changes

    def _read(self, tenant_code: str) -> Item | None:
        return self._core.data.get_item(*registry_key(tenant_code))

    def _publish(
        self, command: Command, tenant_code: str, ctx: UserContext, *, current: Item | None = None, source: str
    ) -> Item:
        if tenant_code == COMMON_TENANT:
            raise ValidationError("code", f"{COMMON_TENANT!r} is the operators' tenant, not a shop")
        # Registry records live in the common tenant; the writer stays the caller (`updatedBy`).
        writer = replace(ctx, tenant_code=COMMON_TENANT, home_tenant_code=ctx.home_tenant_code or ctx.tenant_code)
        stored = self._core.commands.publish(command, writer, current=current, source=source)
        self._cache.put(tenant_code, stored)
        return stored
