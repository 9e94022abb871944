"""What text the shop stores: no control characters, no bidi overrides, images only over https.

Names, descriptions, customer ids and addresses are shown by shop fronts, e-mails and back
offices that the API does not control. A NUL or another C0/C1 control character breaks logs, CSV
exports and C strings; a bidi override (U+202A..U+202E, U+2066..U+2069) makes text read in a
different order than it is stored ("Trojan source"). An image URL is rendered as a link or an
`<img>`: `javascript:` and `data:` URLs are stored XSS, so only `https://` URLs are kept.

Each rule is a function of a value (raising `ValueError` with the reason, which pydantic reports
against the field) and a pattern for the OpenAPI document, so clients see the same rule.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

MAX_IMAGE_URL_LENGTH = 500

# Tab, LF and CR are the only controls a multi-line description may hold.
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_LINE_BREAKS = "\t\n\r"
_BIDI_OVERRIDES = "\u202a-\u202e\u2066-\u2069"

# Escaped (`\\u202a`), so that the document's regex holds no raw control character; the same
# syntax reads alike in Python, ECMAScript (JSON Schema) and Rust (pydantic) regexes.
_FORBIDDEN_LINE = r"\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_FORBIDDEN_MULTILINE = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
LINE_PATTERN = rf"^[^{_FORBIDDEN_LINE}]*$"
MULTILINE_PATTERN = rf"^[^{_FORBIDDEN_MULTILINE}]*$"
IMAGE_URL_PATTERN = r"^https://[^\s/?#@]+[^\s]*$"

_LINE = re.compile(f"[{_CONTROLS}{_LINE_BREAKS}{_BIDI_OVERRIDES}]")
_MULTILINE = re.compile(f"[{_CONTROLS}{_BIDI_OVERRIDES}]")


def _refuse(match: re.Match[str]) -> None:
    character = match.group()
    kind = "a bidi override" if "\u202a" <= character <= "\u2069" else "a control character"
    raise ValueError(f"must not contain {kind} (U+{ord(character):04X} at position {match.start()})")


def single_line(value: str) -> str:
    """`value` if it holds no control character (not even a line break) and no bidi override."""
    if match := _LINE.search(value):
        _refuse(match)
    return value


def multi_line(value: str) -> str:
    """`value` if it holds no control character other than tab, LF and CR, and no bidi override."""
    if match := _MULTILINE.search(value):
        _refuse(match)
    return value


def image_url(value: str) -> str:
    """`value` if it is an absolute `https://` URL with a host, of bounded length, without spaces."""
    if len(value) > MAX_IMAGE_URL_LENGTH:
        raise ValueError(f"must be at most {MAX_IMAGE_URL_LENGTH} characters")
    single_line(value)
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        raise ValueError("must be a valid https:// URL") from None
    if parts.scheme != "https" or not value.startswith("https://") or not host or parts.username or parts.password:
        raise ValueError("must be an https:// URL with a host (no other scheme, no user info)")
    if any(character.isspace() for character in value):
        raise ValueError("must not contain spaces")
    return value
