"""What the list and history routes share: the sort order parameter and the history body."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from cqrs.history import HistoryPage


class SortOrder(StrEnum):
    ASC = "asc"
    DESC = "desc"


def history_body(page: HistoryPage) -> dict[str, Any]:
    return {"items": [entry.to_dict() for entry in page.items], "nextCursor": page.next_cursor}
