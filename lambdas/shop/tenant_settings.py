"""A tenant's settings: what each one means, its default, and how it is stored.

The defaults are the shop's behaviour before tenants had settings (10 % tax, `ORD-000001`), so a
tenant without a registry record, or with a record that predates a setting, works as before.
Stored form (camelCase, inside the registry record's `attributes.settings`)::

    {"taxRate": 0.1,
     "orderNumber": {"prefix": "ORD-", "width": 6, "rotation": "none", "fiscalStartMonth": 4},
     "notificationSender": "shop@example.com",   # absent: the stack's own sender
     "lowStockThreshold": 5}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cqrs.errors import ValidationError
from cqrs.sequences import NumberFormat, Rotation
from shop.money import TAX_RATE

DEFAULT_ORDER_NUMBER = NumberFormat(prefix="ORD-", width=6)
DEFAULT_LOW_STOCK_THRESHOLD = 5
# Rotation names on the wire; the sequence service's own names differ (`fiscal_yearly`).
ROTATIONS = {"none": Rotation.NONE, "yearly": Rotation.YEARLY, "fiscal-yearly": Rotation.FISCAL_YEARLY}
_ROTATION_NAMES = {rotation: name for name, rotation in ROTATIONS.items()}
# What a tenant's own admin may change (PATCH /tenant/settings). The sender address is the
# operator's: it must be an identity verified for the stack's mail service, and a shop choosing
# any From address could send mail in another's name.
TENANT_SETTABLE = frozenset({"taxRate", "orderNumber", "lowStockThreshold"})


@dataclass(frozen=True)
class TenantSettings:
    """The effective settings of one tenant (every field has its default)."""

    tax_rate: Decimal = TAX_RATE
    order_number: NumberFormat = field(default=DEFAULT_ORDER_NUMBER)
    notification_sender: str | None = None
    low_stock_threshold: int = DEFAULT_LOW_STOCK_THRESHOLD

    def __post_init__(self) -> None:
        # One spelling per rate (0.10 and 0.1 are one rate): what is stored and echoed is stable.
        object.__setattr__(self, "tax_rate", Decimal(self.tax_rate).normalize())

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any] | None) -> TenantSettings:
        """Settings from a registry record's `settings` map; a missing field takes its default."""
        stored = stored or {}
        number = stored.get("orderNumber") or {}
        rotation = str(number.get("rotation", "none"))
        if rotation not in ROTATIONS:
            raise ValidationError("settings.orderNumber.rotation", f"unknown rotation {rotation!r}")
        return cls(
            tax_rate=Decimal(str(stored.get("taxRate", TAX_RATE))),
            order_number=NumberFormat(
                prefix=str(number.get("prefix", DEFAULT_ORDER_NUMBER.prefix)),
                width=int(number.get("width", DEFAULT_ORDER_NUMBER.width)),
                rotation=ROTATIONS[rotation],
                fiscal_start_month=int(number.get("fiscalStartMonth", DEFAULT_ORDER_NUMBER.fiscal_start_month)),
            ),
            notification_sender=stored.get("notificationSender") or None,
            low_stock_threshold=int(stored.get("lowStockThreshold", DEFAULT_LOW_STOCK_THRESHOLD)),
        )

    def to_stored(self) -> dict[str, Any]:
        """The stored and wire form (see the module docstring)."""
        out: dict[str, Any] = {
            "taxRate": self.tax_rate,
            "orderNumber": {
                "prefix": self.order_number.prefix,
                "width": self.order_number.width,
                "rotation": _ROTATION_NAMES[self.order_number.rotation],
                "fiscalStartMonth": self.order_number.fiscal_start_month,
            },
            "lowStockThreshold": self.low_stock_threshold,
        }
        if self.notification_sender:
            out["notificationSender"] = self.notification_sender
        return out

    def merged(self, changes: Mapping[str, Any]) -> TenantSettings:
        """These settings with `changes` (wire names). Only what `changes` names changes, inside
        `orderNumber` too; `notificationSender: None` clears the sender."""
        stored = self.to_stored()
        for name, value in changes.items():
            if value is None and name != "notificationSender":
                raise ValidationError(f"settings.{name}", "may not be null")
            stored[name] = {**stored[name], **value} if name == "orderNumber" else value
        return TenantSettings.from_stored(stored)
