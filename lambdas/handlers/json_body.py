"""JSON bodies that keep `Decimal`s exact: 6.00 leaves as the number `6.00`, never "6.00" or 6.0.

The standard encoder can only write floats; money must not pass through float.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from aws_lambda_powertools.event_handler import Response

_quote = json.encoder.encode_basestring

JSON = "application/json"


def dumps(value: Any) -> str:
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, out: list[str]) -> None:
    # One pass appending to a list, strings through json's C escaper: cheap enough for big pages.
    if isinstance(value, str):
        out.append(_quote(value))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot write {value} as JSON")
        out.append(format(value, "f"))
    elif value is None or isinstance(value, bool | int | float):
        out.append(json.dumps(value, allow_nan=False))
    elif isinstance(value, Mapping):
        out.append("{")
        for index, (key, member) in enumerate(value.items()):
            out.append(f"{',' if index else ''}{_quote(str(key))}:")
            _write(member, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, member in enumerate(value):
            if index:
                out.append(",")
            _write(member, out)
        out.append("]")
    else:
        raise TypeError(f"cannot write {type(value).__name__} as JSON")


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status_code=status, content_type=JSON, body=dumps(payload), headers=headers)
