from __future__ import annotations

from decimal import Decimal

import pytest

from shop.money import has_valid_precision, order_totals, round_money
from shop.status import InventoryStatus, OrderStatus, StockNotReservedError, TransitionError, validate_transition


def test_the_seed_example_totals_exactly() -> None:
    totals = order_totals([(Decimal("29.99"), 2)], "USD")
    assert (str(totals.subtotal), str(totals.tax), str(totals.total)) == ("59.98", "6.00", "65.98")


def test_rounding_is_half_up_to_the_minor_unit() -> None:
    assert round_money(Decimal("0.125"), "USD") == Decimal("0.13")
    assert round_money(Decimal("0.124"), "USD") == Decimal("0.12")
    assert round_money(Decimal("150.5"), "JPY") == Decimal("151")
    assert order_totals([(Decimal("105"), 1)], "JPY").tax == Decimal("11")  # 10.5 -> 11, not banker's 10


def test_price_precision_depends_on_the_currency() -> None:
    assert has_valid_precision(Decimal("29.99"), "USD")
    assert not has_valid_precision(Decimal("29.999"), "USD")
    assert not has_valid_precision(Decimal("100.5"), "JPY")


ALLOWED = {
    ("pending", "confirmed"), ("pending", "cancelled"), ("confirmed", "processing"), ("confirmed", "cancelled"),
    ("processing", "shipped"), ("processing", "cancelled"), ("shipped", "delivered"),
}  # fmt: skip


@pytest.mark.parametrize("current", list(OrderStatus))
@pytest.mark.parametrize("new", list(OrderStatus))
def test_transitions_follow_the_seed_table_exactly(current: OrderStatus, new: OrderStatus) -> None:
    if (current.value, new.value) in ALLOWED:
        validate_transition(current, new, InventoryStatus.RESERVED)
    else:
        with pytest.raises(TransitionError, match=f"Cannot transition from {current} to {new}"):
            validate_transition(current, new, InventoryStatus.RESERVED)


def test_an_order_whose_reservation_failed_may_only_be_cancelled() -> None:
    validate_transition(OrderStatus.PENDING, OrderStatus.CANCELLED, InventoryStatus.FAILED)
    with pytest.raises(TransitionError, match="reservation failed"):
        validate_transition(OrderStatus.PENDING, OrderStatus.CONFIRMED, InventoryStatus.FAILED)
    with pytest.raises(TransitionError, match="reservation failed"):
        validate_transition(OrderStatus.CONFIRMED, OrderStatus.PROCESSING, InventoryStatus.FAILED)


@pytest.mark.parametrize("new", [OrderStatus.PROCESSING, OrderStatus.SHIPPED])
@pytest.mark.parametrize("stock", [None, "pending", "released", "deducted", "skipped"])
def test_an_order_is_worked_only_when_its_stock_is_reserved(new: OrderStatus, stock: str | None) -> None:
    current = OrderStatus.CONFIRMED if new == OrderStatus.PROCESSING else OrderStatus.PROCESSING
    with pytest.raises(StockNotReservedError) as refused:
        validate_transition(current, new, stock)
    assert refused.value.field == "inventoryStatus"
    assert f"inventoryStatus is '{stock or 'pending'}'" in str(refused.value)
    validate_transition(current, new, "reserved")


def test_an_order_may_be_confirmed_and_cancelled_while_its_reservation_is_pending() -> None:
    validate_transition(OrderStatus.PENDING, OrderStatus.CONFIRMED, "pending")
    validate_transition(OrderStatus.CONFIRMED, OrderStatus.CANCELLED, "pending")
    validate_transition(OrderStatus.SHIPPED, OrderStatus.DELIVERED, "deducted")
