"""/orders"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query

from cqrs.keys import CODE_PATTERN, MAX_CODE_LENGTH
from handlers.access import caller
from handlers.idempotency import create_order_once
from handlers.json_body import json_response
from handlers.observability import logger, metrics
from handlers.routes.listing import HistoryLimit, PageCursor, PageLimit, SortOrder, history_body
from handlers.schemas import ERRORS, HistoryPage, OrderOut, OrderPage, json_content
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
        order = create_order_once(idempotency_key, body, ctx)
    logger.append_keys(order=order.code)
    metrics.add_metric(name="OrdersCreated", unit="Count", value=1)
    return json_response(201, order_view(order))


@router.get(
    "/orders",
    summary="List orders, newest first by default; filters combine",
    tags=["orders"],
    responses={200: json_content(OrderPage, "One page of orders"), **ERRORS},
)
def list_orders(
    limit: PageLimit = 20,
    cursor: PageCursor = None,
    status: Annotated[OrderStatus | None, Query()] = None,
    customerId: Annotated[str | None, Query(min_length=1, max_length=MAX_CODE_LENGTH, pattern=CODE_PATTERN)] = None,  # noqa: N803
    placedFrom: Annotated[datetime | None, Query(description="ISO 8601, inclusive; UTC if no offset")] = None,  # noqa: N803
    placedTo: Annotated[datetime | None, Query(description="ISO 8601, exclusive; UTC if no offset")] = None,  # noqa: N803
    order: Annotated[SortOrder, Query(description="By placedAt")] = SortOrder.DESC,
) -> Response[str]:
    page = shop().orders.list_orders(
        caller(router),
        limit=limit,
        cursor=cursor,
        status=status,
        customer_id=customerId,
        placed_from=placedFrom,
        placed_to=placedTo,
        descending=order is SortOrder.DESC,
    )
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


@router.get(
    "/orders/<code>/history",
    summary="An order's versions, newest first",
    tags=["orders"],
    responses={200: json_content(HistoryPage, "One page of versions"), **ERRORS},
)
def order_history(
    code: OrderCode,
    limit: HistoryLimit = 20,
    cursor: PageCursor = None,
) -> Response[str]:
    logger.append_keys(order=code)
    page = shop().orders.history(code, caller(router), limit=limit, cursor=cursor)
    return json_response(200, history_body(page))


@router.patch(
    "/orders/<code>/status",
    summary="Change an order's status",
    tags=["orders"],
    responses={200: json_content(OrderOut, "The order at its new version"), **ERRORS},
)
def update_status(code: OrderCode, body: Annotated[UpdateStatusRequest, Body()]) -> Response[str]:
    logger.append_keys(order=code)
    return json_response(200, order_view(shop().orders.update_status(code, body, caller(router))))
