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
_MAX_CURSOR_LENGTH = MAX_CURSOR_LENGTH


def encode_cursor(sk: str) -> str:
    raw = json.dumps({"sk": sk}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sk_prefix: str) -> str:
    """The sort key to resume after; `InvalidCursorError` when the cursor was not ours."""
    if not cursor or len(cursor) > _MAX_CURSOR_LENGTH:
        raise InvalidCursorError()
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error):
        raise InvalidCursorError() from None
    sk = data.get("sk") if isinstance(data, dict) else None
    if not isinstance(sk, str) or not sk.startswith(sk_prefix) or len(sk) <= len(sk_prefix):
        raise InvalidCursorError("the cursor does not belong to this listing")
    return sk
