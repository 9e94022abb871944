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


class TransitionError(CqrsError):
    """A status change the lifecycle forbids (HTTP 400, as the seed)."""


def validate_transition(current: OrderStatus, new: OrderStatus, inventory_status: str | None = None) -> None:
    """Raise `TransitionError` unless `current -> new` is allowed.

    An order whose reservation failed holds no stock, so it may only be cancelled.
    """
    if new not in VALID_TRANSITIONS[current]:
        raise TransitionError(f"Cannot transition from {current} to {new}")
    if inventory_status == InventoryStatus.FAILED and new != OrderStatus.CANCELLED:
        raise TransitionError(
            f"Cannot transition from {current} to {new}: the inventory reservation failed, "
            "so the order may only be cancelled"
        )
