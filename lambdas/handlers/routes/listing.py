"""What the list and history routes share: the sort order parameter and the history body."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from cqrs.history import HistoryPage

# Customer and category codes: the alphabet of entity codes (cqrs.keys), so they fit in index keys.
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


class SortOrder(StrEnum):
    ASC = "asc"
    DESC = "desc"


def history_body(page: HistoryPage) -> dict[str, Any]:
    return {"items": [entry.to_dict() for entry in page.items], "nextCursor": page.next_cursor}
