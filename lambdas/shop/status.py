"""The order status lifecycle, exactly the seed's table, plus the inventory outcome rule."""

from __future__ import annotations

from enum import StrEnum

from cqrs.errors import CqrsError


class OrderStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    PROCESSING = "processing"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class InventoryStatus(StrEnum):
    """What the order's stock reservation came to (set by the data-sync handler)."""

    PENDING = "pending"  # not processed yet
    RESERVED = "reserved"  # every line reserved
    FAILED = "failed"  # a line was short: nothing reserved
    RELEASED = "released"  # reservation given back on cancellation
    DEDUCTED = "deducted"  # shipped: taken out of stock
    SKIPPED = "skipped"  # cancelled before a reservation was attempted


VALID_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.CONFIRMED, OrderStatus.CANCELLED}),
    OrderStatus.CONFIRMED: frozenset({OrderStatus.PROCESSING, OrderStatus.CANCELLED}),
    OrderStatus.PROCESSING: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED}),
    OrderStatus.DELIVERED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}


# Statuses that hand goods to the warehouse: only an order whose stock is reserved may enter them.
NEEDS_RESERVED_STOCK = frozenset({OrderStatus.PROCESSING, OrderStatus.SHIPPED})


class TransitionError(CqrsError):
    """A status change the lifecycle forbids (HTTP 400, as the seed)."""


class StockNotReservedError(CqrsError):
    """The order's stock is not reserved (yet, or at all), so it may not be worked (HTTP 409).

    A conflict rather than a forbidden transition: the same request succeeds once the data-sync
    has reserved the stock, so a client may retry it.
    """

    field = "inventoryStatus"

    def __init__(self, current: OrderStatus, new: OrderStatus, inventory_status: str) -> None:
        super().__init__(
            f"Cannot transition from {current} to {new}: inventoryStatus is {inventory_status!r}, "
            f"and an order may become {new} only when it is 'reserved'"
        )
        self.inventory_status = inventory_status


def validate_transition(current: OrderStatus, new: OrderStatus, inventory_status: str | None = None) -> None:
    """Raise unless `current -> new` is allowed for an order whose stock is `inventory_status`.

    `TransitionError`: the lifecycle forbids the move, or the reservation failed (such an order
    holds no stock, so it may only be cancelled). `StockNotReservedError`: the move to processing
    or shipped waits for the reservation; checked here, on the version the write is conditioned
    on, so no client can outrun the data-sync.
    """
    if new not in VALID_TRANSITIONS[current]:
        raise TransitionError(f"Cannot transition from {current} to {new}")
    status = inventory_status or InventoryStatus.PENDING
    if status == InventoryStatus.FAILED and new != OrderStatus.CANCELLED:
        raise TransitionError(
            f"Cannot transition from {current} to {new}: the inventory reservation failed "
            "(inventoryStatus 'failed'), so the order may only be cancelled"
        )
    if new in NEEDS_RESERVED_STOCK and status != InventoryStatus.RESERVED:
        raise StockNotReservedError(current, new, str(status))
