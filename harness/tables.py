"""Create the stack's tables on any DynamoDB endpoint (moto, DynamoDB Local) for tests."""

from __future__ import annotations

import uuid
from typing import Any

from cqrs.settings import Tables

STREAMED = {"command", "data"}


def create_table(client: Any, name: str, *, stream: bool, keys: tuple[str, ...] = ("pk", "sk")) -> None:
    params: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": k, "AttributeType": "S"} for k in keys],
        "KeySchema": [{"AttributeName": k, "KeyType": t} for k, t in zip(keys, ("HASH", "RANGE"), strict=False)],
    }
    if stream:
        params["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    client.create_table(**params)
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})


def create_tables(client: Any, prefix: str | None = None) -> tuple[Tables, str]:
    """The four core tables plus the idempotency table, under fresh unique names."""
    prefix = prefix or f"t{uuid.uuid4().hex[:8]}"
    names = Tables(
        command=f"{prefix}-command",
        data=f"{prefix}-data",
        history=f"{prefix}-history",
        sequences=f"{prefix}-sequences",
    )
    for role in ("command", "data", "history", "sequences"):
        create_table(client, getattr(names, role), stream=role in STREAMED)
    idempotency = f"{prefix}-idempotency"
    create_table(client, idempotency, stream=False, keys=("id",))
    return names, idempotency
