"""The one place a request body is read: its media type checked, its bytes decoded, its JSON parsed.

Bodies are JSON only: `application/json` or any `<type>/<subtype>+json`, with an optional
`charset=utf-8`; a request without a Content-Type is read as JSON too (API Gateway and most
clients send one; the seed's examples do). Anything else on a route that takes a body is 415,
whatever the header holds, so a form or multipart body never reaches the domain.

Only what this module raises is a client error (`MalformedBodyError`, 400;
`UnsupportedMediaTypeError`, 415): a `UnicodeDecodeError` or `RecursionError` raised anywhere
else during a request is a server bug, and `handlers.errors` answers it 500.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIRequestValidationMiddleware

from cqrs.errors import CqrsError

CONTENT_TYPE = "Content-Type"
_UTF8 = frozenset({"utf-8", "utf8"})


class UnsupportedMediaTypeError(CqrsError):
    """The body is not JSON by its Content-Type (HTTP 415)."""

    field = CONTENT_TYPE


class MalformedBodyError(CqrsError):
    """The body is not readable JSON: bad base64, not UTF-8, not JSON, or nested too deeply (HTTP 400)."""

    field = "body"


def is_json_media_type(content_type: str | None) -> bool:
    """True for a missing header, `application/json`, `*/*+json`, with at most `charset=utf-8`."""
    if content_type is None or not content_type.strip():
        return True
    media_type, *parameters = (part.strip() for part in content_type.split(";"))
    kind, slash, subtype = media_type.lower().partition("/")
    if not slash or not kind or "/" in subtype or not (subtype == "json" and kind == "application" or _suffix(subtype)):
        return False
    for parameter in parameters:
        name, equals, value = parameter.partition("=")
        if not equals or name.strip().lower() != "charset" or value.strip().strip('"').lower() not in _UTF8:
            return False
    return True


def _suffix(subtype: str) -> bool:
    """`vnd.shop+json`: a structured-syntax suffix on a non-empty subtype."""
    name, plus, suffix = subtype.rpartition("+")
    return bool(plus and name and suffix == "json")


def _no_constants(name: str) -> Any:
    # NaN and Infinity are not JSON (RFC 8259); Python's parser would accept them as floats.
    raise ValueError(f"{name} is not a JSON value")


def parse_json_body(body: str | None, *, base64_encoded: bool, content_type: str | None) -> Any:
    """The JSON value of a request body (None when there is none), or a client error."""
    if not is_json_media_type(content_type):
        raise UnsupportedMediaTypeError(
            f"Content-Type must be application/json (or */*+json, charset utf-8), got {content_type[:100]!r}"
            if content_type
            else "Content-Type must be application/json"
        )
    if not body:
        return None
    try:
        raw = base64.b64decode(body, validate=True) if base64_encoded else body.encode("utf-8")
        text = raw.decode("utf-8")
    except (binascii.Error, UnicodeError):
        raise MalformedBodyError("body: malformed JSON (not UTF-8)") from None
    try:
        return json.loads(text, parse_constant=_no_constants)
    except RecursionError:
        raise MalformedBodyError("body: malformed JSON (nested too deeply)") from None
    except ValueError as error:
        raise MalformedBodyError(f"body: malformed JSON ({str(error)[:200]})") from None


class JsonBodyValidation(OpenAPIRequestValidationMiddleware):
    """Powertools' request validation with its body reading replaced by `parse_json_body`.

    Powertools would also parse form and multipart bodies (and answer 500 to a multipart type
    without a boundary); this API takes JSON only. Installed by `install`.
    """

    def _get_body(self, app: Any) -> Any:
        event = app.current_event
        return parse_json_body(
            event.body,
            base64_encoded=bool(event.is_base64_encoded),
            content_type=event.headers.get("content-type"),
        )


def install(app: Any) -> None:
    """Make `app` read bodies through `parse_json_body` (its validation middleware, set once at init)."""
    if not hasattr(app, "_request_validation_middleware"):
        raise RuntimeError("the resolver must be built with enable_validation=True")
    app._request_validation_middleware = JsonBodyValidation()
