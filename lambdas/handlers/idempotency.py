"""`Idempotency-Key` on POST /orders: the key's record is written in the order's own transaction.

A record on the idempotency table, `id = orders#<tenant>#<key>`, holds a fingerprint of the
request body and the created order. It is written by the same `TransactWriteItems` as the order
(`CommandService.publish(with_put=...)`), on condition that no live record exists. So either both
exist or neither does: there is no moment where the order exists and its key does not, and a
retry after any failure (a timeout, a lost response, a refused write) finds the first order or
creates exactly one. The same key with another body is refused; keys are scoped to the tenant.

Cost: one consistent GetItem before the order (a retry is answered from it: one request), and
one item more in the order's transaction. Two requests racing with one key both take an order
number; the one whose transaction loses reads the winner's record and returns its order, so the
loser's number is a gap in the numbering, never a second order.

Records live `EXPIRES_AFTER_SECONDS` (the table's TTL attribute `expiration`); an expired record
that DynamoDB has not removed yet counts as absent.
"""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal
from typing import Any

from cqrs.commands import ExtraPut, ExtraPutRefusedError
from cqrs.context import UserContext
from cqrs.dynamo import deserialize, dynamodb_client
from cqrs.errors import CqrsError, ValidationError
from cqrs.items import Item
from handlers.json_body import dumps
from shop.models import CreateOrderRequest
from shop.settings import shop_settings
from shop.wiring import shop

HEADER = "Idempotency-Key"
EXPIRES_AFTER_SECONDS = 24 * 3600
# The idempotency table's key and TTL attributes (infra/tables.py).
KEY_ATTRIBUTE = "id"
EXPIRY_ATTRIBUTE = "expiration"
_KEY_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class IdempotencyKeyReusedError(CqrsError):
    """The key was already used with another request body (HTTP 409)."""


class IdempotencyKeyInProgressError(CqrsError):
    """The key's record was refused but cannot be read back (it expired meanwhile): retry (HTTP 409)."""


def validate_key(key: str) -> str:
    if not _KEY_PATTERN.fullmatch(key):  # fullmatch: `$` would allow a final newline
        raise ValidationError(HEADER, "must be 1-128 characters of letters, digits, '.', '_', ':' or '-'")
    return key


def record_id(tenant_code: str, key: str) -> str:
    """`orders#<tenant>#<key>`: '#' appears in neither a tenant code nor a valid key."""
    return f"orders#{tenant_code}#{key}"


def fingerprint(body: CreateOrderRequest) -> str:
    """SHA-256 of the body's canonical JSON: the same order asked twice gives the same text."""
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def create_order_once(key: str, body: CreateOrderRequest, ctx: UserContext) -> Item:
    """Create the order `body` once per (tenant, key); a retry returns the order created first."""
    record = record_id(ctx.tenant_code, validate_key(key))
    body_hash = fingerprint(body)
    now = int(shop().core.clock().timestamp())
    stored = _read(record, now)
    if stored is not None:
        return _replay(stored, body_hash)

    def with_record(order: Item) -> ExtraPut:
        return ExtraPut(
            table=shop_settings().idempotency_table,
            item={
                KEY_ATTRIBUTE: record,
                EXPIRY_ATTRIBUTE: now + EXPIRES_AFTER_SECONDS,
                "validation": body_hash,
                "data": dumps(order.to_dict()),
            },
            condition=f"attribute_not_exists({KEY_ATTRIBUTE}) OR {EXPIRY_ATTRIBUTE} < :now",
            values={":now": now},
        )

    try:
        return shop().orders.create_order(body, ctx, with_put=with_record)
    except ExtraPutRefusedError:
        stored = _read(record, now)  # a request with the same key committed first
        if stored is None:
            raise IdempotencyKeyInProgressError(f"a request with this {HEADER} is being settled; retry") from None
        return _replay(stored, body_hash)


def _read(record: str, now: int) -> dict[str, Any] | None:
    response = dynamodb_client().get_item(
        TableName=shop_settings().idempotency_table,
        Key={KEY_ATTRIBUTE: {"S": record}},
        ConsistentRead=True,
    )
    raw = response.get("Item")
    if not raw:
        return None
    stored = deserialize(raw)
    return stored if int(stored.get(EXPIRY_ATTRIBUTE, 0)) >= now else None


def _replay(stored: dict[str, Any], body_hash: str) -> Item:
    if stored.get("validation") != body_hash:
        raise IdempotencyKeyReusedError(f"{HEADER} was already used with a different request body; use a new key")
    return Item.from_dict(json.loads(stored["data"], parse_float=Decimal))
