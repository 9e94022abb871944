"""Opaque pagination cursors.

A cursor holds only the sort key to resume after. The partition always comes from the caller's
tenant, so no cursor, tampered or foreign, can reach another tenant's partition; and a cursor
whose sort key lies outside the listing's prefix is refused.
"""

from __future__ import annotations

import base64
import binascii
import json

from cqrs.errors import InvalidCursorError

MAX_CURSOR_LENGTH = 512
# What `encode_cursor` writes: unpadded base64url. Documented on the listing routes.
CURSOR_PATTERN = r"^[A-Za-z0-9_-]+$"


def _encoded(data: dict[str, str]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decoded(cursor: str) -> object:
    """The JSON value a cursor holds; `InvalidCursorError` when it is not one of ours at all."""
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursorError()
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error):
        raise InvalidCursorError() from None


def encode_cursor(sk: str) -> str:
    return _encoded({"sk": sk})


def decode_cursor(cursor: str, sk_prefix: str) -> str:
    """The sort key to resume after; `InvalidCursorError` when the cursor was not ours."""
    data = _decoded(cursor)
    if isinstance(data, dict) and set(data) != {"sk"}:
        raise InvalidCursorError("the cursor belongs to another listing or filter")
    sk = data.get("sk") if isinstance(data, dict) else None
    if not isinstance(sk, str) or not sk.startswith(sk_prefix) or len(sk) <= len(sk_prefix):
        raise InvalidCursorError("the cursor does not belong to this listing")
    return sk


def encode_index_cursor(sk: str, index_sk: str, query_id: str) -> str:
    """A cursor for an index listing: the entry to resume after and the query it belongs to."""
    return _encoded({"sk": sk, "k": index_sk, "q": query_id})


def decode_index_cursor(cursor: str, sk_prefix: str, query_id: str) -> tuple[str, str]:
    """`(sk, index sort key)` to resume after; `InvalidCursorError` unless issued for `query_id`.

    A cursor from the same listing with other filters, order or range names another query: it is
    refused rather than silently continuing a different list.
    """
    data = _decoded(cursor)
    if not isinstance(data, dict) or set(data) != {"sk", "k", "q"}:
        raise InvalidCursorError("the cursor belongs to another listing or filter")
    sk, index_sk, issued_for = data["sk"], data["k"], data["q"]
    if issued_for != query_id:
        raise InvalidCursorError("the cursor belongs to another listing or filter")
    if not isinstance(sk, str) or not isinstance(index_sk, str) or not sk.startswith(sk_prefix) or not index_sk:
        raise InvalidCursorError("the cursor does not belong to this listing")
    return sk, index_sk
