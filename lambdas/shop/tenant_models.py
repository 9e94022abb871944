"""Request bodies of the tenant registry and of a tenant's own settings (camelCase, as on the wire).

Like `shop.models`: unknown fields are refused, validators are built on first use, and there is
no `from __future__ import annotations` (pydantic would evaluate every annotation at import).
"""

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cqrs.context import COMMON_TENANT
from cqrs.sequences import MAX_NUMBER_WIDTH
from shop.models import Code, ShortText, Version
from shop.tenant_registry import TenantStatus

MAX_LOW_STOCK_THRESHOLD = 1_000_000
TaxRate = Annotated[
    Decimal,
    Field(ge=0, le=1, decimal_places=4, allow_inf_nan=False, description="A fraction: 0.1 is 10 %"),
]
# The prefix starts the order code, which must start with a letter or digit (`cqrs.keys`).
Prefix = Annotated[str, Field(max_length=16, pattern=r"^([A-Za-z0-9][A-Za-z0-9._-]*)?$")]
Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class OrderNumberIn(_Body):
    """`ORD-000001`: prefix `ORD-`, width 6, no rotation; `INV-2026-0001`: `INV-`, 4, yearly."""

    prefix: Prefix = "ORD-"
    width: Annotated[int, Field(ge=1, le=MAX_NUMBER_WIDTH, strict=True)] = 6
    rotation: Literal["none", "yearly", "fiscal-yearly"] = "none"
    fiscalStartMonth: Annotated[int, Field(ge=1, le=12, strict=True)] = 4


class _SettingsFields(_Body):
    taxRate: TaxRate | None = None
    orderNumber: OrderNumberIn | None = None
    lowStockThreshold: Annotated[int, Field(ge=0, le=MAX_LOW_STOCK_THRESHOLD, strict=True)] | None = Field(
        default=None, description="Fewer units available than this is low: a stock.alert on staff screens (0: never)"
    )

    def changes(self) -> dict[str, Any]:
        """The settings the body names (an explicit null is kept: the domain refuses or clears)."""
        return self.model_dump(exclude_unset=True, exclude={"version"})


class SettingsIn(_SettingsFields):
    """Every setting, as an operator sets it; omitted ones keep their value (or default)."""

    notificationSender: Email | None = Field(
        default=None,
        description="The From address of the tenant's mail: the stack's sender or an address at one of its mail"
        " domains; null: the stack's own",
    )


class OwnSettingsIn(_SettingsFields):
    """PATCH /tenant/settings: the settings a tenant's admin may change itself."""

    version: Version


class CreateTenantRequest(_Body):
    code: Code
    name: ShortText
    settings: SettingsIn | None = None

    @field_validator("code")
    @classmethod
    def _not_common(cls, code: str) -> str:
        if code == COMMON_TENANT:
            raise ValueError(f"{COMMON_TENANT!r} is the operators' tenant, not a shop")
        return code


class UpdateTenantRequest(_Body):
    version: Version
    name: ShortText | None = None
    status: TenantStatus | None = None
    settings: SettingsIn | None = None
