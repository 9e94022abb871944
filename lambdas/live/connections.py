"""The WebSocket connections of each tenant, in their own table.

`pk = TENANT#<tenant>`, `sk = CONN#<connectionId>`: the pusher reads one tenant's connections with
one Query. Each item carries `expiresAt` (epoch seconds) for DynamoDB's TTL: API Gateway closes a
WebSocket after two hours at the most, and a connection whose `$disconnect` never ran (a crash)
is deleted by TTL, or at once by the pusher when API Gateway answers `GoneException`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cqrs.keys import generate_pk

CONNECTION_PREFIX = "CONN#"
CONNECTION_TTL_S = 2 * 3600 + 300  # API Gateway's maximum connection duration, plus a margin
MAX_PAGES = 100


@dataclass(frozen=True)
class Connection:
    tenant_code: str
    connection_id: str
    user_id: str


class ConnectionStore:
    def __init__(self, client: Any, table: str, clock: Callable[[], float] = time.time) -> None:
        self._client = client
        self._table = table
        self._clock = clock

    def _key(self, tenant_code: str, connection_id: str) -> dict[str, Any]:
        return {"pk": {"S": generate_pk(tenant_code)}, "sk": {"S": f"{CONNECTION_PREFIX}{connection_id}"}}

    def add(self, connection: Connection) -> None:
        expires_at = int(self._clock()) + CONNECTION_TTL_S
        self._client.put_item(
            TableName=self._table,
            Item={
                **self._key(connection.tenant_code, connection.connection_id),
                "connectionId": {"S": connection.connection_id},
                "tenantCode": {"S": connection.tenant_code},
                "userId": {"S": connection.user_id},
                "expiresAt": {"N": str(expires_at)},
            },
        )

    def remove(self, tenant_code: str, connection_id: str) -> None:
        self._client.delete_item(TableName=self._table, Key=self._key(tenant_code, connection_id))

    def of_tenant(self, tenant_code: str) -> list[Connection]:
        """The tenant's live connections (TTL deletes lazily, so expired ones are skipped here)."""
        now = int(self._clock())
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": generate_pk(tenant_code)}, ":prefix": {"S": CONNECTION_PREFIX}},
        }
        out: list[Connection] = []
        for _ in range(MAX_PAGES):
            page = self._client.query(**params)
            for item in page.get("Items", []):
                if int(item.get("expiresAt", {}).get("N", "0")) > now:
                    out.append(Connection(tenant_code, item["connectionId"]["S"], item.get("userId", {}).get("S", "")))
            if "LastEvaluatedKey" not in page:
                break
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return out
