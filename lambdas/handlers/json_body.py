"""JSON bodies that keep `Decimal`s exact: 6.00 leaves as the number `6.00`, never "6.00" or 6.0.

The standard encoder can only write floats; money must not pass through float.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from aws_lambda_powertools.event_handler import Response

JSON = "application/json"


def dumps(value: Any) -> str:
    if value is None or isinstance(value, bool | int | str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot write {value} as JSON")
        return format(value, "f")
    if isinstance(value, float):
        return json.dumps(value, allow_nan=False)
    if isinstance(value, Mapping):
        members = (f"{json.dumps(str(k), ensure_ascii=False)}:{dumps(v)}" for k, v in value.items())
        return "{" + ",".join(members) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status_code=status, content_type=JSON, body=dumps(payload), headers=headers)
