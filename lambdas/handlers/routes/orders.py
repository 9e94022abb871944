"""/orders"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query

from cqrs.cursor import CURSOR_PATTERN, MAX_CURSOR_LENGTH
from cqrs.data import MAX_PAGE_SIZE
from cqrs.keys import CODE_PATTERN, MAX_CODE_LENGTH
from handlers.access import caller
from handlers.idempotency import create_order_once
from handlers.json_body import json_response
from handlers.observability import logger, metrics
from handlers.schemas import ERRORS, OrderOut, OrderPage, json_content
from shop.models import CreateOrderRequest, UpdateStatusRequest
from shop.status import OrderStatus
from shop.views import order_view
from shop.wiring import shop

router = Router()
OrderCode = Annotated[str, Path(min_length=1, max_length=MAX_CODE_LENGTH, pattern=CODE_PATTERN)]


@router.post(
    "/orders",
    summary="Create an order",
    tags=["orders"],
    responses={201: json_content(OrderOut, "The accepted order"), **ERRORS},
)
def create_order(
    body: Annotated[CreateOrderRequest, Body()],
    idempotency_key: Annotated[
        str | None, Header(alias="Idempotency-Key", description="Retry-safe creation: same key, same order")
    ] = None,
) -> Response[str]:
    ctx = caller(router)
    if idempotency_key is None:
        order = shop().orders.create_order(body, ctx)
    else:
        order = create_order_once(idempotency_key, body, ctx, router.lambda_context)
    logger.append_keys(order=order.code)
    metrics.add_metric(name="OrdersCreated", unit="Count", value=1)
    return json_response(201, order_view(order))


@router.get(
    "/orders",
    summary="List orders",
    tags=["orders"],
    responses={200: json_content(OrderPage, "One page of orders"), **ERRORS},
)
def list_orders(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
    cursor: Annotated[
        str | None,
        Query(max_length=MAX_CURSOR_LENGTH, pattern=CURSOR_PATTERN, description="`nextCursor` of the previous page"),
    ] = None,
    status: Annotated[OrderStatus | None, Query()] = None,
) -> Response[str]:
    page = shop().orders.list_orders(caller(router), limit=limit, cursor=cursor, status=status)
    return json_response(200, {"items": [order_view(item) for item in page.items], "nextCursor": page.next_cursor})


@router.get(
    "/orders/<code>",
    summary="Get an order",
    tags=["orders"],
    responses={200: json_content(OrderOut, "The order"), **ERRORS},
)
def get_order(code: OrderCode) -> Response[str]:
    logger.append_keys(order=code)
    return json_response(200, order_view(shop().orders.get_order(code, caller(router))))


@router.patch(
    "/orders/<code>/status",
    summary="Change an order's status",
    tags=["orders"],
    responses={200: json_content(OrderOut, "The order at its new version"), **ERRORS},
)
def update_status(code: OrderCode, body: Annotated[UpdateStatusRequest, Body()]) -> Response[str]:
    logger.append_keys(order=code)
    return json_response(200, order_view(shop().orders.update_status(code, body, caller(router))))
