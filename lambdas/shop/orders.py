"""Orders: creation with catalogue prices and exact totals, the status lifecycle, listings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cqrs.clock import iso_timestamp
from cqrs.context import UserContext
from cqrs.data import Page
from cqrs.errors import NotFoundError, ValidationError, VersionMismatchError
from cqrs.items import Command, Item
from cqrs.services import CqrsServices
from shop.entities import ORDER_CODE_TEMPLATE, ORDER_PREFIX, ORDER_SEQUENCE, order_sk
from shop.errors import PriceMismatchError
from shop.models import CreateOrderRequest, UpdateStatusRequest
from shop.money import order_totals
from shop.products import ProductService
from shop.status import InventoryStatus, OrderStatus, validate_transition

# Status changes without a version retry this often when they lose a race.
_UNVERSIONED_ATTEMPTS = 3
# Timestamps stamped when an order enters a status.
_STAMPS = {
    OrderStatus.SHIPPED: "shippedAt",
    OrderStatus.DELIVERED: "deliveredAt",
    OrderStatus.CANCELLED: "cancelledAt",
}


class OrderService:
    def __init__(self, core: CqrsServices, products: ProductService) -> None:
        self._core = core
        self._products = products

    def create_order(self, request: CreateOrderRequest, ctx: UserContext) -> Item:
        """Price the lines from the catalogue, take the tenant's next order number, publish.

        Three DynamoDB requests: one batch read of the products, one sequence update, one
        transaction. Everything that can refuse the order is checked before the sequence is
        taken, so refused orders leave no gaps in the numbering.
        """
        lines = self._priced_lines(request, ctx)
        currency = lines[0]["currency"]
        totals = order_totals(((line["price"], line["quantity"]) for line in lines), currency)
        code = self._core.sequences.next(ORDER_SEQUENCE, ctx).format(ORDER_CODE_TEMPLATE)
        attributes: dict[str, Any] = {
            "customerId": request.customerId,
            "items": [{k: v for k, v in line.items() if k != "currency"} for line in lines],
            "shippingAddress": request.shippingAddress.model_dump(exclude_none=True),
            "paymentMethod": request.paymentMethod,
            "currency": currency,
            "subtotal": totals.subtotal,
            "tax": totals.tax,
            "total": totals.total,
            "status": OrderStatus.PENDING.value,
            "inventoryStatus": InventoryStatus.PENDING.value,
            "placedAt": iso_timestamp(self._core.clock()),
        }
        if request.customerEmail is not None:
            attributes["customerEmail"] = request.customerEmail
        command = Command(
            pk=ctx.pk,
            sk=order_sk(code),
            code=code,
            name=f"Order {code}",
            tenant_code=ctx.tenant_code,
            attributes=attributes,
        )
        return self._core.commands.publish(command, ctx, source="POST /orders")

    def _priced_lines(self, request: CreateOrderRequest, ctx: UserContext) -> list[dict[str, Any]]:
        seen: dict[str, int] = {}
        for index, line in enumerate(request.items):
            if line.productCode in seen:
                raise ValidationError(
                    f"items[{index}].productCode",
                    f"{line.productCode} is already ordered in items[{seen[line.productCode]}]; "
                    "give one line per product",
                )
            seen[line.productCode] = index
        catalogue = self._products.get_products(seen, ctx)
        lines: list[dict[str, Any]] = []
        for index, line in enumerate(request.items):
            field = f"items[{index}]"
            product = catalogue.get(line.productCode)
            if product is None:
                raise ValidationError(f"{field}.productCode", f"product {line.productCode} does not exist")
            if not product.attributes.get("isActive", False):
                raise ValidationError(f"{field}.productCode", f"product {line.productCode} is not active")
            price = Decimal(product.attributes["price"])
            if line.price is not None and line.price != price:
                raise PriceMismatchError(f"{field}.price", line.productCode, line.price, price)
            lines.append(
                {
                    "productCode": line.productCode,
                    "name": product.name,
                    "quantity": line.quantity,
                    "price": price,
                    "currency": product.attributes["currency"],
                }
            )
        currencies = {line["currency"] for line in lines}
        if len(currencies) > 1:
            raise ValidationError(
                "items", f"all products of an order must share one currency, got {sorted(currencies)}"
            )
        return lines

    def get_order(self, code: str, ctx: UserContext) -> Item:
        item = self._core.data.get_item(ctx.pk, order_sk(code))
        if item is None:
            raise NotFoundError(f"Order {code} not found")
        return item

    def list_orders(
        self, ctx: UserContext, *, limit: int, cursor: str | None, status: OrderStatus | None = None
    ) -> Page:
        order_filter = {"attributes.status": status.value} if status else None
        return self._core.data.list_items_by_pk(ctx.pk, ORDER_PREFIX, limit=limit, cursor=cursor, filter=order_filter)

    def update_status(self, code: str, request: UpdateStatusRequest, ctx: UserContext) -> Item:
        """Move an order along the lifecycle.

        With a `version`, a stale one is a conflict (checked first). Without one the caller asks
        for the move on whatever is current, so a lost race with the system's own writes (the
        data-sync handler records reservations on the order) is re-read and retried, a few times.
        """
        attempts = 1 if request.version is not None else _UNVERSIONED_ATTEMPTS
        for attempt in range(1, attempts + 1):
            current = self.get_order(code, ctx)
            try:
                return self._change_status(current, request, ctx)
            except VersionMismatchError:
                if attempt == attempts:
                    raise
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _change_status(self, current: Item, request: UpdateStatusRequest, ctx: UserContext) -> Item:
        if request.version is not None and request.version != current.version:
            raise VersionMismatchError(current.pk, current.sk, request.version, current.version)
        status = OrderStatus(current.attributes["status"])
        validate_transition(status, request.status, current.attributes.get("inventoryStatus"))
        attributes = {**current.attributes, "status": request.status.value}
        if stamp := _STAMPS.get(request.status):
            attributes[stamp] = iso_timestamp(self._core.clock())
        command = Command.updating(current, attributes)
        return self._core.commands.publish(command, ctx, current=current, source="PATCH /orders/status")
