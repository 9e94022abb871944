"""The read model: current state of each entity, one tenant partition at a time."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from cqrs.cursor import decode_cursor, decode_index_cursor, encode_cursor, encode_index_cursor
from cqrs.dynamo import deserialize, serialize_value
from cqrs.errors import InvalidCursorError, ValidationError
from cqrs.indexes import INDEX_ATTRIBUTES, ListIndex
from cqrs.items import Item

MAX_PAGE_SIZE = 100
# With a filter a page may need several queries; this bounds the work (and cost) of one call.
MAX_QUERIES_PER_PAGE = 10
_FILTERED_QUERY_LIMIT = 200
_BATCH_GET_LIMIT = 100
_BATCH_GET_ROUNDS = 5
# An index page that also filters (a combination of filters) reads at most this many index pages
# of `_COMBINATION_CHUNK` entries: each costs one Query and one BatchGetItem.
MAX_INDEX_ROUNDS = 5
_COMBINATION_CHUNK = _BATCH_GET_LIMIT


def _item(raw: Mapping[str, Any]) -> Item:
    """A stored item without the index attributes, which are the table's business, not the entity's."""
    return Item.from_dict({k: v for k, v in deserialize(raw).items() if k not in INDEX_ATTRIBUTES})


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

    @property
    def client(self) -> Any:
        return self._client

    @property
    def table(self) -> str:
        return self._table

    def list_by_index(self, pk: str, query: IndexQuery, *, limit: int = 20, cursor: str | None = None) -> Page:
        """See `list_by_index`: one page of a listing served by a list index."""
        return list_by_index(self, pk, query, limit=limit, cursor=cursor)

    def get_item(self, pk: str, sk: str) -> Item | None:
        response = self._client.get_item(
            TableName=self._table,
            Key={"pk": {"S": pk}, "sk": {"S": sk}},
            ConsistentRead=True,
        )
        raw = response.get("Item")
        return _item(raw) if raw else None

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
                item = _item(raw)
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
            matches.extend(_item(raw) for raw in response.get("Items", []))
            if len(matches) > limit:
                return Page(matches[:limit], encode_cursor(matches[limit - 1].sk))
            start_key = response.get("LastEvaluatedKey")
            if not start_key:
                return Page(matches, None)
        assert start_key is not None  # the loop returns when the query reports no further key
        return Page(matches, encode_cursor(start_key["sk"]["S"]))


@dataclass(frozen=True)
class IndexQuery:
    """One listing served by a list index: the entries under `partition`, in index sort-key order.

    `lower` (inclusive) and `upper` (exclusive) bound the index sort key. They must be prefixes
    that no full sort key equals (e.g. a timestamp, where keys are `<timestamp>#<code>`), so the
    inclusive `BETWEEN` of DynamoDB is exclusive at `upper`. `keep` is a check on the full item:
    it drops index entries the eventually consistent index still shows after the item moved on,
    and filters combinations of filters the key serves only in part. `filter_id` names what `keep`
    checks, so that a cursor from another filter is refused.
    """

    index: ListIndex
    partition: str
    sk_prefix: str  # the table sort-key prefix of the listed type, e.g. `ORDER#`
    lower: str | None = None
    upper: str | None = None
    descending: bool = False
    keep: Callable[[Item], bool] | None = None
    filter_id: str = ""
    combined: bool = False  # `keep` filters beyond the key: read up to MAX_INDEX_ROUNDS index pages

    @property
    def query_id(self) -> str:
        """A short fingerprint of everything that decides the list's content and order."""
        spec = [self.index.name, self.partition, self.lower, self.upper, self.descending, self.filter_id]
        return hashlib.sha256(json.dumps(spec).encode()).hexdigest()[:16]


def list_by_index(service: DataService, pk: str, query: IndexQuery, *, limit: int, cursor: str | None) -> Page:
    """One page of `query`: at most `limit` items, each read consistently from the table.

    A page whose key serves the whole filter costs one `Query` (keys only, `limit + 1` entries to
    know whether more follow) and one `BatchGetItem` of `limit` items, whatever fraction of the
    tenant matches. A combination reads up to `MAX_INDEX_ROUNDS` chunks. The cursor names the last
    index entry the page examined, so the next page continues exactly after it.
    """
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationError("limit", f"must be between 1 and {MAX_PAGE_SIZE}")
    index = query.index
    names = {"#ipk": index.partition_attribute}
    values: dict[str, Any] = {":ipk": {"S": query.partition}}
    condition = "#ipk = :ipk"
    if query.lower is not None or query.upper is not None:
        names["#isk"] = index.sort_attribute
    if query.lower is not None and query.upper is not None:
        condition += " AND #isk BETWEEN :lower AND :upper"
        values.update({":lower": {"S": query.lower}, ":upper": {"S": query.upper}})
    elif query.lower is not None:
        condition += " AND #isk >= :lower"
        values[":lower"] = {"S": query.lower}
    elif query.upper is not None:
        condition += " AND #isk < :upper"
        values[":upper"] = {"S": query.upper}
    params: dict[str, Any] = {
        "TableName": service.table,
        "IndexName": index.name,
        "KeyConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": not query.descending,
    }
    if cursor is not None:
        sk, index_sk = decode_index_cursor(cursor, query.sk_prefix, query.query_id)
        if (query.lower is not None and index_sk < query.lower) or (
            query.upper is not None and index_sk >= query.upper
        ):
            raise InvalidCursorError("the cursor lies outside this listing's range")
        params["ExclusiveStartKey"] = {
            "pk": {"S": pk},
            "sk": {"S": sk},
            index.partition_attribute: {"S": query.partition},
            index.sort_attribute: {"S": index_sk},
        }

    matches: list[Item] = []
    rounds = MAX_INDEX_ROUNDS if query.combined else 1
    for _ in range(rounds):
        needed = limit - len(matches)
        params["Limit"] = _COMBINATION_CHUNK if query.combined else needed + 1
        response = service.client.query(**params)
        entries = response.get("Items", [])
        more_after = "LastEvaluatedKey" in response
        # Only the entries that can still join this page are read; the one beyond tells that more follow.
        to_read = entries if query.combined else entries[:needed]
        found = service.get_items((pk, entry["sk"]["S"]) for entry in to_read)
        for position, entry in enumerate(to_read):
            item = found.get((pk, entry["sk"]["S"]))
            if item is not None and (query.keep is None or query.keep(item)):
                matches.append(item)
            if len(matches) == limit:
                follows = position + 1 < len(entries) or more_after
                return Page(matches, _index_cursor(entry, index, query) if follows else None)
        if len(entries) > len(to_read):
            # The entry read only to see whether more follow was not examined (an entry before it
            # was dropped): the next page starts right after the last one examined.
            return Page(matches, _index_cursor(to_read[-1], index, query))
        if not more_after:
            return Page(matches, None)
        params["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    # Out of rounds with the page not full: continue after the last entry examined (a combination
    # reads whole chunks, so that is where the last query stopped).
    return Page(matches, _index_cursor(params["ExclusiveStartKey"], index, query))


def _index_cursor(entry: Mapping[str, Any], index: ListIndex, query: IndexQuery) -> str:
    return encode_index_cursor(entry["sk"]["S"], entry[index.sort_attribute]["S"], query.query_id)


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
