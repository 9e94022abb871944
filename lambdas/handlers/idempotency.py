"""`Idempotency-Key` on POST /orders, with Powertools idempotency and its own table.

The key is scoped to the tenant; the body is part of the record, so the same key with another
body is refused. A retry returns the first response and consumes no new order number.

Powertools' idempotency package is imported on first use, not with the API handler: it costs a
noticeable part of a cold start, and most requests never send the header.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Any

from cqrs.context import UserContext
from cqrs.errors import CqrsError, ValidationError
from cqrs.items import Item
from handlers.json_body import dumps
from shop.models import CreateOrderRequest
from shop.settings import shop_settings
from shop.wiring import shop

HEADER = "Idempotency-Key"
EXPIRES_AFTER_SECONDS = 24 * 3600
_KEY_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class IdempotencyKeyReusedError(CqrsError):
    """The key was already used with another request body (HTTP 409)."""


class IdempotencyKeyInProgressError(CqrsError):
    """The first request with this key has not finished yet (HTTP 409)."""


def validate_key(key: str) -> str:
    if not _KEY_PATTERN.fullmatch(key):  # fullmatch: `$` would allow a final newline
        raise ValidationError(HEADER, "must be 1-128 characters of letters, digits, '.', '_', ':' or '-'")
    return key


@lru_cache(maxsize=1)
def _idempotent_create() -> tuple[Callable[..., Item], Any]:
    """The idempotent creation and its config, built on first use (the table name comes from the
    environment, and the import is deferred, see the module docstring)."""
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )
    from aws_lambda_powertools.utilities.idempotency.serialization.custom_dict import CustomDictSerializer

    # The stored response must round-trip Decimals exactly, so it is kept as our own JSON text.
    serializer = CustomDictSerializer(
        to_dict=lambda item: {"item": dumps(item.to_dict())},
        from_dict=lambda data: Item.from_dict(json.loads(data["item"], parse_float=Decimal)),
    )
    config = IdempotencyConfig(
        event_key_jmespath="[tenant, key]",
        payload_validation_jmespath="body",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=EXPIRES_AFTER_SECONDS,
    )
    store = DynamoDBPersistenceLayer(table_name=shop_settings().idempotency_table)

    @idempotent_function(
        data_keyword_argument="request", persistence_store=store, config=config, output_serializer=serializer
    )
    def create(request: dict[str, Any], body: CreateOrderRequest, ctx: UserContext) -> Item:
        return shop().orders.create_order(body, ctx)

    return create, config


def create_order_once(key: str, body: CreateOrderRequest, ctx: UserContext, lambda_context: Any = None) -> Item:
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    request = {"tenant": ctx.tenant_code, "key": validate_key(key), "body": body.model_dump(mode="json")}
    create, config = _idempotent_create()
    if lambda_context is not None:
        # Lets Powertools expire an in-progress record when this invocation times out.
        config.register_lambda_context(lambda_context)
    try:
        return create(request=request, body=body, ctx=ctx)
    except IdempotencyValidationError:
        raise IdempotencyKeyReusedError(
            f"{HEADER} was already used with a different request body; use a new key"
        ) from None
    except IdempotencyAlreadyInProgressError:
        raise IdempotencyKeyInProgressError(f"a request with this {HEADER} is still in progress; retry later") from None


def reset() -> None:
    _idempotent_create.cache_clear()
