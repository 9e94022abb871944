"""/inventory"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from cqrs.keys import CODE_PATTERN, MAX_CODE_LENGTH
from handlers.access import caller
from handlers.json_body import json_response
from handlers.observability import logger
from handlers.routes.listing import HistoryLimit, PageCursor, PageLimit, history_body
from handlers.schemas import ERRORS, HistoryPage, InventoryOut, InventoryPage, json_content
from shop.listing import LOW_STOCK_CEILING
from shop.models import UpdateInventoryRequest
from shop.views import inventory_view
from shop.wiring import shop

router = Router()
ProductCode = Annotated[str, Path(min_length=1, max_length=MAX_CODE_LENGTH, pattern=CODE_PATTERN)]


@router.get(
    "/inventory",
    summary="List stock records by product code, or those low on stock (fewest available first)",
    tags=["inventory"],
    responses={200: json_content(InventoryPage, "One page of stock records"), **ERRORS},
)
def list_stock(
    limit: PageLimit = 20,
    cursor: PageCursor = None,
    availableBelow: Annotated[  # noqa: N803
        int | None, Query(ge=1, le=LOW_STOCK_CEILING, description="Only records with fewer units available")
    ] = None,
) -> Response[str]:
    page = shop().inventory.list_stock(caller(router), limit=limit, cursor=cursor, available_below=availableBelow)
    return json_response(200, {"items": [inventory_view(i) for i in page.items], "nextCursor": page.next_cursor})


@router.get(
    "/inventory/<productCode>/history",
    summary="A stock record's versions, newest first",
    tags=["inventory"],
    responses={200: json_content(HistoryPage, "One page of versions"), **ERRORS},
)
def stock_history(
    productCode: ProductCode,  # noqa: N803
    limit: HistoryLimit = 20,
    cursor: PageCursor = None,
) -> Response[str]:
    logger.append_keys(product=productCode)
    page = shop().inventory.history(productCode, caller(router), limit=limit, cursor=cursor)
    return json_response(200, history_body(page))


@router.get(
    "/inventory/<productCode>",
    summary="Get a product's stock",
    tags=["inventory"],
    responses={200: json_content(InventoryOut, "The stock record"), **ERRORS},
)
def get_stock(productCode: ProductCode) -> Response[str]:  # noqa: N803 - the path parameter's public name
    logger.append_keys(product=productCode)
    return json_response(200, inventory_view(shop().inventory.get_stock(productCode, caller(router))))


@router.patch(
    "/inventory/<productCode>",
    summary="Set or restock a product's stock (creates the record with version 0)",
    tags=["inventory"],
    responses={200: json_content(InventoryOut, "The stock record at its new version"), **ERRORS},
)
def update_stock(productCode: ProductCode, body: Annotated[UpdateInventoryRequest, Body()]) -> Response[str]:  # noqa: N803
    logger.append_keys(product=productCode)
    item = shop().inventory.update_stock(productCode, body, caller(router))
    return json_response(200, inventory_view(item))
