"""The audit trail: every accepted version of an entity, oldest first.

The versions are read from the command log, which keeps every accepted version (`sk@version`)
for good: the log written on the command path is the history, so no version is written twice.
"""

from __future__ import annotations

from typing import Any

from cqrs.dynamo import deserialize
from cqrs.items import Item
from cqrs.keys import VERSION_SEPARATOR

_MAX_PAGES = 50


class HistoryService:
    """Reads the versions of one entity; `table_name` is the command-log table."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def versions(self, pk: str, sk: str, limit: int = 1000) -> list[Item]:
        """Versions of `sk` in version order (the sort key's text order would put @10 before @2)."""
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":prefix": {"S": f"{sk}{VERSION_SEPARATOR}"}},
            # A version written an instant ago (read-your-writes) must be listed.
            "ConsistentRead": True,
        }
        items: list[Item] = []
        for _ in range(_MAX_PAGES):
            response = self._client.query(**params)
            items += [Item.from_dict(deserialize(raw)) for raw in response.get("Items", [])]
            if len(items) >= limit or "LastEvaluatedKey" not in response:
                break
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return sorted(items, key=lambda item: item.version)[:limit]
