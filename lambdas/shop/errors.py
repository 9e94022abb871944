"""Shop-specific domain errors (the core's errors cover the rest)."""

from __future__ import annotations

from decimal import Decimal

from cqrs.errors import CqrsError


class PriceMismatchError(CqrsError):
    """The client quoted a price that is not the catalogue's (HTTP 409 with both values)."""

    def __init__(self, field: str, product_code: str, quoted: Decimal, catalogue: Decimal) -> None:
        super().__init__(f"{field}: price {quoted} for {product_code} differs from the catalogue price {catalogue}")
        self.field = field
        self.quoted = quoted
        self.catalogue = catalogue


class StockConflictError(CqrsError):
    """A stock change that would break `reservedQuantity <= quantity` (HTTP 409)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
