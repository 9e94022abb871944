"""What a stock record holds: units on hand (`quantity`), reserved, and so available."""

from __future__ import annotations

from dataclasses import dataclass

from cqrs.items import Item


@dataclass(frozen=True)
class StockLevel:
    """On-hand `quantity` and `reserved` units of one product; `reserved <= quantity` always."""

    quantity: int
    reserved: int

    @property
    def available(self) -> int:
        return self.quantity - self.reserved


def level_of(item: Item) -> StockLevel:
    """The counts of a stock record (a missing count reads as 0)."""
    return StockLevel(int(item.attributes.get("quantity", 0)), int(item.attributes.get("reservedQuantity", 0)))


def available(item: Item) -> int:
    """Units of a stock record that can still be reserved."""
    return level_of(item).available
