"""Stock records: what the API reads and sets. Reservations live in `shop.stock`."""

from __future__ import annotations

from typing import Any

from cqrs.clock import iso_timestamp
from cqrs.context import UserContext
from cqrs.data import Page
from cqrs.errors import NotFoundError, ValidationError, VersionMismatchError
from cqrs.history import HistoryPage
from cqrs.items import Command, Item
from cqrs.services import CqrsServices
from shop.entities import INVENTORY_PREFIX, inventory_sk
from shop.errors import StockConflictError
from shop.listing import low_stock_query
from shop.models import MAX_STOCK_QUANTITY, UpdateInventoryRequest
from shop.products import ProductService

DEFAULT_WAREHOUSE = "MAIN"


class InventoryService:
    def __init__(self, core: CqrsServices, products: ProductService) -> None:
        self._core = core
        self._products = products

    def get_stock(self, product_code: str, ctx: UserContext) -> Item:
        item = self._core.data.get_item(ctx.pk, inventory_sk(product_code))
        if item is None:
            raise NotFoundError(f"Inventory for product {product_code} not found")
        return item

    def list_stock(
        self, ctx: UserContext, *, limit: int, cursor: str | None, available_below: int | None = None
    ) -> Page:
        """The tenant's stock records by product code, or those low on stock (fewest available first)."""
        if available_below is None:
            return self._core.data.list_items_by_pk(ctx.pk, INVENTORY_PREFIX, limit=limit, cursor=cursor)
        query = low_stock_query(ctx, available_below)
        return self._core.data.list_by_index(ctx.pk, query, limit=limit, cursor=cursor)

    def history(self, product_code: str, ctx: UserContext, *, limit: int, cursor: str | None) -> HistoryPage:
        """The stock record's versions, newest first (404 when the tenant has no such record)."""
        return self._core.history.page(self.get_stock(product_code, ctx), limit=limit, cursor=cursor)

    def update_stock(self, product_code: str, request: UpdateInventoryRequest, ctx: UserContext) -> Item:
        """Set (`quantity`) or add to (`restock`) the on-hand stock, creating the record if none.

        Setting on-hand stock below what is reserved would oversell, so it is refused (409).
        """
        sk = inventory_sk(product_code)
        current = self._core.data.get_item(ctx.pk, sk)
        if current is None:
            self._products.get_product(product_code, ctx)  # stock only for catalogue products
            if request.version != 0:
                raise NotFoundError(f"Inventory for product {product_code} not found (create it with version 0)")
            before: dict[str, Any] = {"productCode": product_code, "quantity": 0, "reservedQuantity": 0}
        else:
            if request.version != current.version:
                raise VersionMismatchError(current.pk, sk, request.version, current.version)
            before = dict(current.attributes)

        old_quantity = int(before["quantity"])
        quantity = request.quantity if request.quantity is not None else old_quantity + (request.restock or 0)
        if quantity > MAX_STOCK_QUANTITY:
            # The model caps each field; the sum of a restock and what is on hand is capped here.
            raise ValidationError(
                "restock",
                f"{old_quantity} on hand + {request.restock} would exceed the maximum of {MAX_STOCK_QUANTITY} units",
            )
        reserved = int(before["reservedQuantity"])
        if quantity < reserved:
            raise StockConflictError("quantity", f"{quantity} is below the {reserved} units reserved by open orders")
        warehouse = request.warehouseCode or before.get("warehouseCode") or DEFAULT_WAREHOUSE
        if current is not None and quantity == old_quantity and warehouse == before.get("warehouseCode"):
            return current  # changes nothing: not a new version
        now = iso_timestamp(self._core.clock())
        attributes = {
            **before,
            "quantity": quantity,
            "warehouseCode": warehouse,
            "lastMovement": {
                "type": "restock" if request.restock else "set",
                "quantity": quantity - old_quantity,
            },
        }
        if quantity > old_quantity:
            attributes["lastRestockedAt"] = now
        else:
            attributes.setdefault("lastRestockedAt", None)
        command = Command(
            pk=ctx.pk,
            sk=sk,
            code=product_code,
            name=f"Inventory {product_code}",
            tenant_code=ctx.tenant_code,
            attributes={k: v for k, v in attributes.items() if v is not None},
            version=request.version,
        )
        return self._core.commands.publish(command, ctx, current=current, source="PATCH /inventory")
