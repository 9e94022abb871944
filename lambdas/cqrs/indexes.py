"""The data table's list indexes: three global secondary indexes, shared by every entity type.

Each index is KEYS_ONLY and keyed `(gsiNpk, gsisk)`: an item is in index N only while it carries
`gsiNpk` (sparse), and all three share the one sort attribute `gsisk`. Which entity puts what in
those attributes is the domain's choice (`shop.listing` registers it per entity type); the core
only writes them beside the item in the data table (never in the command or history tables, which
have no index) and queries them.

Why KEYS_ONLY: an index write costs a write unit whenever the entity changes one of the index's
attributes. With only keys projected, a change that leaves the keys alone (an order's
`inventoryStatus`, a product's price) costs the indexes nothing; a page then reads the full
items with one consistent `BatchGetItem`, so a list page is one `Query` plus one batch read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cqrs.items import Item

SORT_ATTRIBUTE = "gsisk"


@dataclass(frozen=True)
class ListIndex:
    """One global secondary index of the data table."""

    name: str
    partition_attribute: str
    sort_attribute: str = SORT_ATTRIBUTE


INDEX_1 = ListIndex("gsi1", "gsi1pk")
INDEX_2 = ListIndex("gsi2", "gsi2pk")
INDEX_3 = ListIndex("gsi3", "gsi3pk")
LIST_INDEXES = (INDEX_1, INDEX_2, INDEX_3)
INDEX_ATTRIBUTES = frozenset({SORT_ATTRIBUTE, *(index.partition_attribute for index in LIST_INDEXES)})

# entity type -> the index attributes of one of its items ({} = in no index)
IndexKeys = Callable[[Item], Mapping[str, str]]
_KEYS: dict[str, IndexKeys] = {}


def register_index_keys(entity_type: str, keys: IndexKeys) -> None:
    """Declare how items of `entity_type` are indexed (the domain calls this once per type)."""
    _KEYS[entity_type] = keys


def index_attributes(item: Item) -> dict[str, str]:
    """The index attributes `item` carries in the data table (none for unregistered types)."""
    keys = _KEYS.get(item.type)
    if keys is None:
        return {}
    attributes = dict(keys(item))
    unknown = set(attributes) - INDEX_ATTRIBUTES
    if unknown:
        raise ValueError(f"{item.type} index keys name unknown attributes {sorted(unknown)}")
    return attributes


def data_image(item: Item) -> dict[str, Any]:
    """The data table's form of `item`: its stored form plus its index attributes."""
    stored = {k: v for k, v in item.to_dict().items() if k not in INDEX_ATTRIBUTES}
    return {**stored, **index_attributes(item)}
