"""Orders: creation with catalogue prices and exact totals, the status lifecycle, listings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from cqrs.clock import iso_timestamp
from cqrs.commands import ExtraPut
from cqrs.context import UserContext
from cqrs.data import Page
from cqrs.errors import NotFoundError, ValidationError, VersionMismatchError
from cqrs.history import HistoryPage
from cqrs.items import Command, Item
from cqrs.services import CqrsServices
from shop.entities import ORDER_SEQUENCE, order_sk, product_sk
from shop.errors import PriceMismatchError
from shop.listing import order_query
from shop.models import CreateOrderRequest, UpdateStatusRequest
from shop.money import order_totals
from shop.products import ProductService
from shop.status import InventoryStatus, OrderStatus, validate_transition
from shop.tenant_registry import registry_key, settings_of
from shop.tenants import TenantService

# Status changes without a version retry this often when they lose a race.
_UNVERSIONED_ATTEMPTS = 3
# Timestamps stamped when an order enters a status.
_STAMPS = {
    OrderStatus.SHIPPED: "shippedAt",
    OrderStatus.DELIVERED: "deliveredAt",
    OrderStatus.CANCELLED: "cancelledAt",
}


class OrderService:
    def __init__(self, core: CqrsServices, products: ProductService, tenants: TenantService) -> None:
        self._core = core
        self._products = products
        self._tenants = tenants

    def create_order(
        self, request: CreateOrderRequest, ctx: UserContext, *, with_put: Callable[[Item], ExtraPut] | None = None
    ) -> Item:
        """Price the lines from the catalogue, take the tenant's next order number, publish.

        Three DynamoDB requests: one batch read of the products and the tenant's registry record
        (its tax rate and order-number format, current, not cached), one sequence update, one
        transaction. Everything that can refuse the order is checked before the sequence is
        taken, so refused orders leave no gaps in the numbering. The order keeps the `taxRate` it
        was priced with: a later change of the tenant's rate never changes its totals. `with_put`
        adds an item to the order's transaction (the `Idempotency-Key` record, see
        `CommandService.publish`).
        """
        codes = _product_codes(request)
        tenant_key = registry_key(ctx.tenant_code)
        found = self._core.data.get_items([*((ctx.pk, product_sk(code)) for code in codes), tenant_key])
        tenant_record = found.pop(tenant_key, None)
        self._tenants.remember(ctx.tenant_code, tenant_record)
        settings = settings_of(tenant_record)
        lines = _priced_lines(request, {item.code: item for item in found.values()})
        currency = lines[0]["currency"]
        totals = order_totals(((line["price"], line["quantity"]) for line in lines), currency, settings.tax_rate)
        code = self._core.sequences.next_number(ORDER_SEQUENCE, ctx, settings.order_number)
        attributes: dict[str, Any] = {
            "customerId": request.customerId,
            "items": [{k: v for k, v in line.items() if k != "currency"} for line in lines],
            "shippingAddress": request.shippingAddress.model_dump(exclude_none=True),
            "paymentMethod": request.paymentMethod,
            "currency": currency,
            "subtotal": totals.subtotal,
            "tax": totals.tax,
            "total": totals.total,
            "taxRate": settings.tax_rate,
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
        return self._core.commands.publish(command, ctx, source="POST /orders", with_put=with_put)

    def get_order(self, code: str, ctx: UserContext) -> Item:
        item = self._core.data.get_item(ctx.pk, order_sk(code))
        if item is None:
            raise NotFoundError(f"Order {code} not found")
        return item

    def list_orders(
        self,
        ctx: UserContext,
        *,
        limit: int,
        cursor: str | None,
        status: OrderStatus | None = None,
        customer_id: str | None = None,
        placed_from: datetime | None = None,
        placed_to: datetime | None = None,
        descending: bool = True,
    ) -> Page:
        """The tenant's orders by `placedAt` (newest first unless `descending` is False), filtered.

        `placed_from` is inclusive, `placed_to` exclusive; every filter may be combined.
        """
        query = order_query(
            ctx,
            status=status,
            customer_id=customer_id,
            placed_from=placed_from,
            placed_to=placed_to,
            descending=descending,
        )
        return self._core.data.list_by_index(ctx.pk, query, limit=limit, cursor=cursor)

    def history(self, code: str, ctx: UserContext, *, limit: int, cursor: str | None) -> HistoryPage:
        """The order's versions, newest first (404 when the tenant has no such order)."""
        return self._core.history.page(self.get_order(code, ctx), limit=limit, cursor=cursor)

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


def _product_codes(request: CreateOrderRequest) -> list[str]:
    """The ordered product codes, one line per product."""
    seen: dict[str, int] = {}
    for index, line in enumerate(request.items):
        if line.productCode in seen:
            raise ValidationError(
                f"items[{index}].productCode",
                f"{line.productCode} is already ordered in items[{seen[line.productCode]}]; give one line per product",
            )
        seen[line.productCode] = index
    return list(seen)


def _priced_lines(request: CreateOrderRequest, catalogue: dict[str, Item]) -> list[dict[str, Any]]:
    """Each line priced from `catalogue` (the products by code); refused when one cannot be sold."""
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
        raise ValidationError("items", f"all products of an order must share one currency, got {sorted(currencies)}")
    return lines
