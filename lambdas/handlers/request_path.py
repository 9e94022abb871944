"""Paths are matched as whole strings: a path holding a control character reaches no entity.

Powertools matches a route's regex with `$`, which in Python also matches before a final
newline: `/products/PRD-001%0A` would read PRD-001 under another name. Such a path is refused
(422 naming `path`) before any route runs.
"""

from __future__ import annotations

import re

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from cqrs.errors import ValidationError

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def refuse_control_characters(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response:
    """Middleware: 422 for a request path holding a C0/C1 control character."""
    if _CONTROL.search(app.current_event.path):
        raise ValidationError("path", "must not contain control characters")
    return next_middleware(app)
