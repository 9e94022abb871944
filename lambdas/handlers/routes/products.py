"""/products"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from cqrs.cursor import CURSOR_PATTERN, MAX_CURSOR_LENGTH
from cqrs.data import MAX_PAGE_SIZE
from cqrs.keys import CODE_PATTERN, MAX_CODE_LENGTH
from handlers.access import caller
from handlers.json_body import json_response
from handlers.observability import logger
from handlers.schemas import ERRORS, ProductOut, ProductPage, json_content
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
    summary="List products",
    tags=["products"],
    responses={200: json_content(ProductPage, "One page of products"), **ERRORS},
)
def list_products(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
    cursor: Annotated[
        str | None,
        Query(max_length=MAX_CURSOR_LENGTH, pattern=CURSOR_PATTERN, description="`nextCursor` of the previous page"),
    ] = None,
) -> Response[str]:
    page = shop().products.list_products(caller(router), limit=limit, cursor=cursor)
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


@router.patch(
    "/products/<code>",
    summary="Update a product",
    tags=["products"],
    responses={200: json_content(ProductOut, "The product at its new version"), **ERRORS},
)
def update_product(code: ProductCode, body: Annotated[UpdateProductRequest, Body()]) -> Response[str]:
    logger.append_keys(product=code)
    return json_response(200, product_view(shop().products.update_product(code, body, caller(router))))
