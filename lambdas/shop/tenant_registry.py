"""Where the tenant registry lives and how its records are read: keys, a TTL cache, effective settings.

Kept apart from `shop.tenants` (the registry's commands and routes' service) so the functions that
only read a tenant's settings (the data-sync's mail sender, the live pusher's low-stock threshold)
do not import the request models.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum

from cqrs.context import COMMON_TENANT
from cqrs.items import Item
from cqrs.keys import generate_pk
from shop.entities import tenant_sk
from shop.tenant_settings import TenantSettings

REGISTRY_CACHE_TTL_S = 30.0
# A bound on the cache, far above the tenants one function instance serves.
_MAX_CACHED = 10_000
Clock = Callable[[], float]  # monotonic seconds


class TenantStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


def registry_key(tenant_code: str) -> tuple[str, str]:
    """The (pk, sk) of `tenant_code`'s registry record."""
    return generate_pk(COMMON_TENANT), tenant_sk(tenant_code)


def is_suspended(record: Item | None) -> bool:
    return record is not None and record.attributes.get("status") == TenantStatus.SUSPENDED.value


def settings_of(record: Item | None) -> TenantSettings:
    """The effective settings in a registry record (the defaults without one)."""
    return TenantSettings.from_stored(record.attributes.get("settings") if record else None)


class RegistryCache:
    """Registry records (or their absence) by tenant code, each kept for `ttl_s` seconds."""

    def __init__(self, load: Callable[[str], Item | None], ttl_s: float, clock: Clock = time.monotonic) -> None:
        self._load = load
        self._ttl_s = ttl_s
        self._clock = clock
        self._entries: dict[str, tuple[float, Item | None]] = {}

    def get(self, tenant_code: str) -> Item | None:
        entry = self._entries.get(tenant_code)
        if entry is not None and entry[0] > self._clock():
            return entry[1]
        return self.put(tenant_code, self._load(tenant_code))

    def put(self, tenant_code: str, record: Item | None) -> Item | None:
        if len(self._entries) >= _MAX_CACHED:
            self._entries.clear()
        self._entries[tenant_code] = (self._clock() + self._ttl_s, record)
        return record
