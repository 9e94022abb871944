"""Shop settings beyond the core's tables, parsed from the environment on first use."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from cqrs.settings import require_env

IDEMPOTENCY_TABLE_ENV = "IDEMPOTENCY_TABLE_NAME"
NOTIFICATION_TOPIC_ENV = "NOTIFICATION_TOPIC_ARN"
CORS_ALLOW_ORIGINS_ENV = "CORS_ALLOW_ORIGINS"


@dataclass(frozen=True)
class ShopSettings:
    idempotency_table: str
    notification_topic_arn: str

    @classmethod
    def from_env(cls) -> ShopSettings:
        return cls(
            idempotency_table=require_env(IDEMPOTENCY_TABLE_ENV),
            notification_topic_arn=require_env(NOTIFICATION_TOPIC_ENV),
        )


@lru_cache(maxsize=1)
def shop_settings() -> ShopSettings:
    return ShopSettings.from_env()


def cors_allow_origins() -> tuple[str, ...]:
    """The browser origins the API answers: the stack's `corsAllowOrigins`, comma-separated.

    Missing or empty means none: a function deployed without the setting fails closed (no CORS
    headers, so browsers keep other sites' pages from reading its answers) rather than open to
    every origin. The stack always sets it (`*` unless `corsAllowOrigins` says otherwise).
    """
    raw = os.environ.get(CORS_ALLOW_ORIGINS_ENV, "")
    return tuple(origin.strip() for origin in raw.split(",") if origin.strip())
