"""/products"""

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
from handlers.schemas import ERRORS, HistoryPage, ProductOut, ProductPage, json_content
from shop.models import CreateProductRequest, UpdateProductRequest
from shop.views import product_view
from shop.wiring import shop

router = Router()
ProductCode = Annotated[str, Path(min_length=1, max_length=MAX_CODE_LENGTH, pattern=CODE_PATTERN)]


@router.post(
    "/products",
    summary="Create a product",
    tags=["products"],
    responses={201: json_content(ProductOut, "The new product"), **ERRORS},
)
def create_product(body: Annotated[CreateProductRequest, Body()]) -> Response[str]:
    logger.append_keys(product=body.code)
    return json_response(201, product_view(shop().products.create_product(body, caller(router))))


@router.get(
    "/products",
    summary="List products by code, optionally of one category and/or active state",
    tags=["products"],
    responses={200: json_content(ProductPage, "One page of products"), **ERRORS},
)
def list_products(
    limit: PageLimit = 20,
    cursor: PageCursor = None,
    categoryCode: Annotated[str | None, Query(min_length=1, max_length=MAX_CODE_LENGTH, pattern=CODE_PATTERN)] = None,  # noqa: N803
    isActive: Annotated[bool | None, Query()] = None,  # noqa: N803
) -> Response[str]:
    page = shop().products.list_products(
        caller(router), limit=limit, cursor=cursor, category_code=categoryCode, is_active=isActive
    )
    return json_response(200, {"items": [product_view(i) for i in page.items], "nextCursor": page.next_cursor})


@router.get(
    "/products/<code>",
    summary="Get a product",
    tags=["products"],
    responses={200: json_content(ProductOut, "The product"), **ERRORS},
)
def get_product(code: ProductCode) -> Response[str]:
    logger.append_keys(product=code)
    return json_response(200, product_view(shop().products.get_product(code, caller(router))))


@router.get(
    "/products/<code>/history",
    summary="A product's versions, newest first",
    tags=["products"],
    responses={200: json_content(HistoryPage, "One page of versions"), **ERRORS},
)
def product_history(
    code: ProductCode,
    limit: HistoryLimit = 20,
    cursor: PageCursor = None,
) -> Response[str]:
    logger.append_keys(product=code)
    page = shop().products.history(code, caller(router), limit=limit, cursor=cursor)
    return json_response(200, history_body(page))


@router.patch(
    "/products/<code>",
    summary="Update a product",
    tags=["products"],
    responses={200: json_content(ProductOut, "The product at its new version"), **ERRORS},
)
def update_product(code: ProductCode, body: Annotated[UpdateProductRequest, Body()]) -> Response[str]:
    logger.append_keys(product=code)
    return json_response(200, product_view(shop().products.update_product(code, body, caller(router))))
