"""The read model: current state of each entity, one tenant partition at a time."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cqrs.cursor import decode_cursor, encode_cursor
from cqrs.dynamo import deserialize, serialize_value
from cqrs.errors import ValidationError
from cqrs.items import Item

MAX_PAGE_SIZE = 100
# With a filter a page may need several queries; this bounds the work (and cost) of one call.
MAX_QUERIES_PER_PAGE = 10
_FILTERED_QUERY_LIMIT = 200
_BATCH_GET_LIMIT = 100
_BATCH_GET_ROUNDS = 5


@dataclass(frozen=True)
class Page:
    """One page of a listing; `next_cursor` is None when nothing follows."""

    items: list[Item]
    next_cursor: str | None


class DataService:
    """Reads of the data table. Reads are strongly consistent: a caller sees its own writes."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get_item(self, pk: str, sk: str) -> Item | None:
        response = self._client.get_item(
            TableName=self._table,
            Key={"pk": {"S": pk}, "sk": {"S": sk}},
            ConsistentRead=True,
        )
        raw = response.get("Item")
        return Item.from_dict(deserialize(raw)) if raw else None

    def get_items(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Item]:
        """Several items in one BatchGetItem (consistent); missing keys are absent from the result."""
        unique = list(dict.fromkeys(keys))
        if len(unique) > _BATCH_GET_LIMIT:
            raise ValidationError("keys", f"at most {_BATCH_GET_LIMIT} items per batch")
        found: dict[tuple[str, str], Item] = {}
        if not unique:
            return found
        request: dict[str, Any] = {
            self._table: {
                "Keys": [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in unique],
                "ConsistentRead": True,
            }
        }
        for _ in range(_BATCH_GET_ROUNDS):
            response = self._client.batch_get_item(RequestItems=request)
            for raw in response.get("Responses", {}).get(self._table, []):
                item = Item.from_dict(deserialize(raw))
                found[(item.pk, item.sk)] = item
            request = response.get("UnprocessedKeys") or {}
            if not request:
                return found
        raise RuntimeError("BatchGetItem left keys unprocessed after retries (throttled)")

    def list_items_by_pk(
        self,
        pk: str,
        sk_prefix: str,
        *,
        limit: int = 20,
        cursor: str | None = None,
        filter: Mapping[str, Any] | None = None,  # noqa: A002 - the reference framework's name
    ) -> Page:
        """Items of partition `pk` whose sort key starts with `sk_prefix`, in sort-key order.

        `filter` maps attribute paths (`attributes.status`) to required values. A filtered page
        still returns up to `limit` matches when more exist, reading at most
        `MAX_QUERIES_PER_PAGE` query pages per call; it may then return fewer with a cursor.
        """
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValidationError("limit", f"must be between 1 and {MAX_PAGE_SIZE}")
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :prefix)",
            "ExpressionAttributeNames": {"#pk": "pk", "#sk": "sk"},
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":prefix": {"S": sk_prefix}},
            "ConsistentRead": True,
            # One more than asked tells whether a next page exists without an empty last page.
            "Limit": limit + 1 if not filter else max(limit + 1, _FILTERED_QUERY_LIMIT),
        }
        if filter:
            _add_filter(params, filter)
        start_key: dict[str, Any] | None = None
        if cursor is not None:
            start_key = {"pk": {"S": pk}, "sk": {"S": decode_cursor(cursor, sk_prefix)}}

        matches: list[Item] = []
        for _ in range(MAX_QUERIES_PER_PAGE):
            if start_key:
                params["ExclusiveStartKey"] = start_key
            response = self._client.query(**params)
            matches.extend(Item.from_dict(deserialize(raw)) for raw in response.get("Items", []))
            if len(matches) > limit:
                return Page(matches[:limit], encode_cursor(matches[limit - 1].sk))
            start_key = response.get("LastEvaluatedKey")
            if not start_key:
                return Page(matches, None)
        assert start_key is not None  # the loop returns when the query reports no further key
        return Page(matches, encode_cursor(start_key["sk"]["S"]))


def _add_filter(params: dict[str, Any], filter: Mapping[str, Any]) -> None:  # noqa: A002
    clauses = []
    for index, (path, value) in enumerate(sorted(filter.items())):
        parts = path.split(".")
        names = []
        for depth, part in enumerate(parts):
            alias = f"#f{index}_{depth}"
            params["ExpressionAttributeNames"][alias] = part
            names.append(alias)
        params["ExpressionAttributeValues"][f":f{index}"] = serialize_value(value)
        clauses.append(f"{'.'.join(names)} = :f{index}")
    params["FilterExpression"] = " AND ".join(clauses)
