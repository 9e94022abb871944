"""The product catalogue."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from cqrs.context import UserContext
from cqrs.data import Page
from cqrs.errors import NotFoundError, ValidationError
from cqrs.history import HistoryPage
from cqrs.items import Command, Item
from cqrs.services import CqrsServices
from shop.entities import PRODUCT_PREFIX, product_sk
from shop.listing import product_query
from shop.models import CreateProductRequest, UpdateProductRequest
from shop.money import has_valid_precision, minor_units


class ProductService:
    def __init__(self, core: CqrsServices) -> None:
        self._core = core

    def create_product(self, request: CreateProductRequest, ctx: UserContext) -> Item:
        _check_price_precision(request.price, request.currency, "price")
        attributes = request.model_dump(exclude={"code", "name"})
        command = Command(
            pk=ctx.pk,
            sk=product_sk(request.code),
            code=request.code,
            name=request.name,
            tenant_code=ctx.tenant_code,
            attributes=attributes,
        )
        return self._core.commands.publish(command, ctx, source="POST /products")

    def update_product(self, code: str, request: UpdateProductRequest, ctx: UserContext) -> Item:
        current = self.get_product(code, ctx)
        changes: dict[str, Any] = request.changes()
        name = changes.pop("name", current.name)
        merged = {**current.attributes, **changes}
        _check_price_precision(merged["price"], merged["currency"], "price")
        command = replace(Command.updating(current, merged, name=name), version=request.version)
        return self._core.commands.publish(command, ctx, current=current, source="PATCH /products")

    def get_product(self, code: str, ctx: UserContext) -> Item:
        item = self._core.data.get_item(ctx.pk, product_sk(code))
        if item is None:
            raise NotFoundError(f"Product {code} not found")
        return item

    def get_products(self, codes: Iterable[str], ctx: UserContext) -> dict[str, Item]:
        """Products by code, read in one batch; unknown codes are absent."""
        found = self._core.data.get_items((ctx.pk, product_sk(code)) for code in codes)
        return {item.code: item for item in found.values()}

    def list_products(
        self,
        ctx: UserContext,
        *,
        limit: int,
        cursor: str | None,
        category_code: str | None = None,
        is_active: bool | None = None,
    ) -> Page:
        """The tenant's products by code, optionally of one category and/or active state."""
        if category_code is None and is_active is None:
            return self._core.data.list_items_by_pk(ctx.pk, PRODUCT_PREFIX, limit=limit, cursor=cursor)
        query = product_query(ctx, category_code=category_code, is_active=is_active)
        return self._core.data.list_by_index(ctx.pk, query, limit=limit, cursor=cursor)

    def history(self, code: str, ctx: UserContext, *, limit: int, cursor: str | None) -> HistoryPage:
        """The product's versions, newest first (404 when the tenant has no such product)."""
        return self._core.history.page(self.get_product(code, ctx), limit=limit, cursor=cursor)


def _check_price_precision(price: Any, currency: str, field: str) -> None:
    if not has_valid_precision(price, currency):
        raise ValidationError(field, f"{currency} prices have at most {minor_units(currency)} decimal places")
