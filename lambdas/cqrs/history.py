"""The audit trail: every accepted version of an entity, read by version number.

The versions are read from the command log, which keeps every accepted version (`sk@version`)
for good: the log written on the command path is the history, so no version is written twice.
This module is the only reader of stored versions: the rest of the code asks it for versions and
never names the table or its keys, so moving where versions are kept touches this module alone.

Versions are stored under `<sk>@<version>`. Text order is not version order (`@1, @10, @100,
@2`), so a page is never read as a key range: the entity's current version (which the caller has
just read, proving it exists in the tenant) gives the exact keys of a page, `current` down to
`current - limit + 1`, plus the one before them to show what the oldest changed. One
`BatchGetItem` reads them all, however many versions the entity has.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cqrs.cursor import decode_index_cursor, encode_index_cursor
from cqrs.dynamo import deserialize
from cqrs.errors import InvalidCursorError, ValidationError
from cqrs.items import Item
from cqrs.keys import VERSION_SEPARATOR, split_versioned_sk, versioned_sk

MAX_HISTORY_PAGE = 100
_MAX_QUERY_PAGES = 50
_BATCH_GET_LIMIT = 100
_BATCH_GET_ROUNDS = 5
# Names history cursors apart from every list's, so neither kind is accepted by the other.
_CURSOR_KIND = "history"


@dataclass(frozen=True)
class VersionEntry:
    """One version: when, by whom and through what it was accepted, and what it changed."""

    version: int
    at: str
    by: str
    source: str | None
    changes: dict[str, dict[str, Any]]  # attribute path -> {"from": ..., "to": ...}

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "at": self.at, "by": self.by, "source": self.source, "changes": self.changes}


@dataclass(frozen=True)
class HistoryPage:
    """Versions newest first; `next_cursor` is None when the page reached version 1."""

    items: list[VersionEntry]
    next_cursor: str | None


def flatten(item: Item) -> dict[str, Any]:
    """The entity's state as attribute paths: `name`, `attributes.status`, `attributes.address.city`.

    Maps are walked; lists (an order's lines, a product's images) are one value each.
    """
    paths: dict[str, Any] = {"name": item.name}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping) and value:
            for key, inner in value.items():
                walk(f"{prefix}.{key}", inner)
        else:
            paths[prefix] = value

    for key, value in item.attributes.items():
        walk(f"attributes.{key}", value)
    return paths


def changes_between(before: Item | None, after: Item) -> dict[str, dict[str, Any]]:
    """What `after` changed from `before` (None: everything `after` was created with)."""
    old = flatten(before) if before is not None else {}
    new = flatten(after)
    return {
        path: {"from": old.get(path), "to": new.get(path)}
        for path in sorted(old.keys() | new.keys())
        if old.get(path) != new.get(path)
    }


class HistoryService:
    """Reads the versions of one entity; `table_name` is the command-log table."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def versions(self, pk: str, sk: str, limit: int = 1000, *, query_page_size: int | None = None) -> list[Item]:
        """The first `limit` versions of `sk`, oldest first, in version order.

        Every stored version is read before sorting: the key order would put @10 before @2, so
        stopping after `limit` items in key order would skip versions. `query_page_size` sets the
        query's page size (tests use it to make several pages out of a few versions).
        """
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":prefix": {"S": f"{sk}{VERSION_SEPARATOR}"}},
            # A version written an instant ago (read-your-writes) must be listed.
            "ConsistentRead": True,
        }
        if query_page_size is not None:
            params["Limit"] = query_page_size
        items: list[Item] = []
        for _ in range(_MAX_QUERY_PAGES):
            response = self._client.query(**params)
            items += [Item.from_dict(deserialize(raw)) for raw in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                return sorted(items, key=lambda item: item.version)[:limit]
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        raise RuntimeError(f"{sk} has more versions than {_MAX_QUERY_PAGES} query pages hold")

    def page(self, current: Item, *, limit: int = 20, cursor: str | None = None) -> HistoryPage:
        """Versions of `current`'s entity, newest first, `limit` per page, from the `cursor` on.

        `current` is the entity as just read from the tenant's partition (its version bounds the
        page). A cursor issued for another entity or listing is refused.
        """
        if not 1 <= limit <= MAX_HISTORY_PAGE:
            raise ValidationError("limit", f"must be between 1 and {MAX_HISTORY_PAGE}")
        newest = current.version
        if cursor is not None:
            resumed_after = self._cursor_version(cursor, current)
            newest = resumed_after - 1
        oldest = max(1, newest - limit + 1)
        wanted = range(newest, oldest - 1, -1)
        # One more, older, version shows what the oldest on the page changed.
        stored = self._get(current.pk, current.sk, [*wanted, oldest - 1] if oldest > 1 else list(wanted))
        entries = [
            VersionEntry(
                version=version,
                at=item.updated_at,
                by=item.updated_by,
                source=item.source,
                changes=changes_between(stored.get(version - 1), item),
            )
            for version in wanted
            if (item := stored.get(version)) is not None
        ]
        next_cursor = (
            encode_index_cursor(versioned_sk(current.sk, oldest), str(oldest), _CURSOR_KIND) if oldest > 1 else None
        )
        return HistoryPage(entries, next_cursor)

    @staticmethod
    def _cursor_version(cursor: str, current: Item) -> int:
        sk, _ = decode_index_cursor(cursor, f"{current.sk}{VERSION_SEPARATOR}", _CURSOR_KIND)
        try:
            entity_sk, version = split_versioned_sk(sk)
        except ValidationError:
            raise InvalidCursorError() from None
        if entity_sk != current.sk or not 2 <= version <= current.version:
            raise InvalidCursorError("the cursor does not belong to this history")
        return version

    def _get(self, pk: str, sk: str, versions: Iterable[int]) -> dict[int, Item]:
        """Stored versions by number, read with consistent BatchGetItem (missing ones are absent)."""
        keys = [{"pk": {"S": pk}, "sk": {"S": versioned_sk(sk, version)}} for version in versions]
        found: dict[int, Item] = {}
        for start in range(0, len(keys), _BATCH_GET_LIMIT):
            request: dict[str, Any] = {
                self._table: {"Keys": keys[start : start + _BATCH_GET_LIMIT], "ConsistentRead": True}
            }
            for _ in range(_BATCH_GET_ROUNDS):
                response = self._client.batch_get_item(RequestItems=request)
                for raw in response.get("Responses", {}).get(self._table, []):
                    item = Item.from_dict(deserialize(raw))
                    found[item.version] = item
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
            else:
                raise RuntimeError("BatchGetItem left versions unprocessed after retries (throttled)")
        return found
