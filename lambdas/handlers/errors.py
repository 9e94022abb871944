"""Every domain error becomes one HTTP status and one JSON shape: {"message", "field"?, ...}.

Routes never catch exceptions; this module is the only place that knows the mapping. Only the
errors named here are client errors: anything else raised while serving a request is a server
bug, answered 500, logged with its stack and counted (`UnhandledErrors`, and API Gateway's 5XXError
that the 5xx alarm watches), even a `UnicodeDecodeError` or `RecursionError` (the request body is
decoded and parsed in `handlers.request_body`, which raises its own errors).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError as RouteNotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.metrics import MetricUnit

from cqrs.errors import AuthorizationError, CqrsError, NotFoundError, ValidationError, VersionMismatchError
from handlers.idempotency import HEADER, IdempotencyKeyInProgressError, IdempotencyKeyReusedError
from handlers.json_body import json_response
from handlers.observability import logger, metrics
from handlers.request_body import MalformedBodyError, UnsupportedMediaTypeError
from shop.errors import PriceMismatchError, StockConflictError
from shop.status import StockNotReservedError, TransitionError


def error_body(message: str, **details: Any) -> dict[str, Any]:
    return {"message": message, **{k: v for k, v in details.items() if v is not None}}


def _field_path(location: tuple[Any, ...] | list[Any]) -> str:
    """('body', 'items', 0, 'quantity') -> 'items[0].quantity'; ('query', 'limit') -> 'limit'."""
    path = ""
    for part in location[1:] if location and location[0] in ("body", "query", "path", "header") else location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or (str(location[0]) if location else "body")


def request_validation(error: RequestValidationError) -> Response:
    problems = list(error.errors())
    fields = []
    for problem in problems:
        location = tuple(problem.get("loc") or ())
        if problem.get("type") == "extra_forbidden":
            message = "unknown field"
        elif problem.get("type") == "missing":
            message = "is required"
        else:
            # A rule of our own (shop.text, ...) reads "Value error, <reason>": keep the reason.
            message = str(problem.get("msg", "is invalid")).removeprefix("Value error, ")
        fields.append({"field": _field_path(location), "message": message})
    first = fields[0] if fields else {"field": "body", "message": "is invalid"}
    return json_response(422, error_body(f"{first['field']}: {first['message']}", field=first["field"], errors=fields))


def register_error_handlers(app: APIGatewayRestResolver) -> None:
    app.exception_handler(RequestValidationError)(request_validation)

    @app.exception_handler(MalformedBodyError)
    def _malformed(error: MalformedBodyError) -> Response:
        return json_response(400, error_body(str(error), field=error.field))

    @app.exception_handler(UnsupportedMediaTypeError)
    def _media_type(error: UnsupportedMediaTypeError) -> Response:
        return json_response(415, error_body(str(error), field=error.field))

    @app.exception_handler(ValidationError)
    def _validation(error: ValidationError) -> Response:
        return json_response(422, error_body(str(error), field=error.field))

    @app.exception_handler(AuthorizationError)
    def _forbidden(error: AuthorizationError) -> Response:
        return json_response(403, error_body(str(error)))

    @app.exception_handler(NotFoundError)
    def _not_found(error: NotFoundError) -> Response:
        return json_response(404, error_body(str(error)))

    @app.not_found
    def _no_route(_: RouteNotFoundError) -> Response:
        event = app.current_event
        return json_response(404, error_body(f"no route for {event.http_method} {event.path}"))

    @app.exception_handler(VersionMismatchError)
    def _conflict(error: VersionMismatchError) -> Response:
        message = f"{error.sk} already exists" if error.expected == 0 else str(error)
        return json_response(
            409, error_body(message, field="version", currentVersion=error.actual, yourVersion=error.expected)
        )

    @app.exception_handler(TransitionError)
    def _transition(error: TransitionError) -> Response:
        return json_response(400, error_body(str(error), field="status"))

    @app.exception_handler(StockNotReservedError)
    def _not_reserved(error: StockNotReservedError) -> Response:
        return json_response(409, error_body(str(error), field=error.field, inventoryStatus=error.inventory_status))

    @app.exception_handler(PriceMismatchError)
    def _price(error: PriceMismatchError) -> Response:
        return json_response(
            409,
            error_body(str(error), field=error.field, yourPrice=error.quoted, catalogPrice=error.catalogue),
        )

    @app.exception_handler(StockConflictError)
    def _stock(error: StockConflictError) -> Response:
        return json_response(409, error_body(str(error), field=error.field))

    @app.exception_handler([IdempotencyKeyReusedError, IdempotencyKeyInProgressError])
    def _idempotency(error: CqrsError) -> Response:
        return json_response(409, error_body(str(error), field=HEADER))

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response:
        # Never leak internals; the log has the stack trace and the request id correlates them.
        logger.exception("unhandled error", extra={"error_type": type(error).__name__})
        metrics.add_metric(name="UnhandledErrors", unit=MetricUnit.Count, value=1)
        return json_response(500, error_body("internal error"))
