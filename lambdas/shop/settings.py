"""Shop settings beyond the core's tables, parsed from the environment on first use."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from cqrs.settings import require_env

IDEMPOTENCY_TABLE_ENV = "IDEMPOTENCY_TABLE_NAME"
NOTIFICATION_TOPIC_ENV = "NOTIFICATION_TOPIC_ARN"


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
