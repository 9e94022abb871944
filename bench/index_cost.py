"""Write units the data table's list indexes consume, by DynamoDB's published rules.

For each index, one item change costs: nothing when the item is in the index neither before nor
after, or under the same keys before and after (the indexes are KEYS_ONLY: no other attribute
is projected, so nothing else can change there); 1 to put an entry or to delete one; 2 when its
keys change (delete the old entry, put the new). An entry holds only keys, far below 1 KB, so
each write is 1 unit. Computed from the data stream's old and new images, so it counts exactly
the changes the table saw.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def _entry(image: Mapping[str, Any] | None, partition_attribute: str, sort_attribute: str) -> tuple[str, str] | None:
    if not image or partition_attribute not in image or sort_attribute not in image:
        return None
    return image[partition_attribute]["S"], image[sort_attribute]["S"]


def index_write_units(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> int:
    """Units the list indexes consume for one item change (typed images, as in stream records)."""
    from cqrs.indexes import LIST_INDEXES

    units = 0
    for index in LIST_INDEXES:
        before = _entry(old, index.partition_attribute, index.sort_attribute)
        after = _entry(new, index.partition_attribute, index.sort_attribute)
        if before != after:
            units += (before is not None) + (after is not None)
    return units


def stream_index_write_units(records: Iterable[Mapping[str, Any]]) -> int:
    """The list indexes' write units for data-stream records (Lambda's record shape)."""
    return sum(
        index_write_units(record["dynamodb"].get("OldImage"), record["dynamodb"].get("NewImage")) for record in records
    )
