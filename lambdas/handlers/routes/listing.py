"""What the list and history routes share: the paging parameters, the sort order and the history
body (one declaration each, so every list states the same contract in the OpenAPI document)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Query

from cqrs.cursor import CURSOR_PATTERN, MAX_CURSOR_LENGTH
from cqrs.data import MAX_PAGE_SIZE
from cqrs.history import MAX_HISTORY_PAGE, HistoryPage

PageLimit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
HistoryLimit = Annotated[int, Query(ge=1, le=MAX_HISTORY_PAGE)]
PageCursor = Annotated[
    str | None,
    Query(max_length=MAX_CURSOR_LENGTH, pattern=CURSOR_PATTERN, description="`nextCursor` of the previous page"),
]


class SortOrder(StrEnum):
    ASC = "asc"
    DESC = "desc"


def history_body(page: HistoryPage) -> dict[str, Any]:
    return {"items": [entry.to_dict() for entry in page.items], "nextCursor": page.next_cursor}
