"""Exact money: `Decimal`, rounded half-up to the currency's minor unit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from shop.currencies import MINOR_UNITS

TAX_RATE = Decimal("0.10")
DEFAULT_MINOR_UNITS = 2


def minor_units(currency: str) -> int:
    return MINOR_UNITS.get(currency.upper(), DEFAULT_MINOR_UNITS)


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's minor unit (2 places for USD/EUR, 0 for JPY)."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


def has_valid_precision(amount: Decimal, currency: str) -> bool:
    """True when `amount` needs no more digits than the currency's minor unit."""
    return round_money(amount, currency) == amount


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    tax: Decimal
    total: Decimal


def order_totals(lines: Iterable[tuple[Decimal, int]], currency: str, tax_rate: Decimal = TAX_RATE) -> Totals:
    """subtotal = sum(price x quantity); tax = subtotal x rate; total = subtotal + tax, each rounded.

    The seed's example, 2 x 29.99 at 10%: subtotal 59.98, tax 6.00, total 65.98.
    """
    subtotal = round_money(sum((price * quantity for price, quantity in lines), Decimal(0)), currency)
    tax = round_money(subtotal * tax_rate, currency)
    return Totals(subtotal=subtotal, tax=tax, total=round_money(subtotal + tax, currency))
