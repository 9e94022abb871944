"""Request bodies of the API, validated by pydantic (and documented in the OpenAPI document).

Field names are camelCase, as on the wire. Unknown fields are refused, so a client cannot smuggle
in what the server decides (`tenantCode`, `status` on create, totals).

Cold start: each model's validator is built on its first use (`defer_build`), so a request pays
only for its own body; and there is no `from __future__ import annotations`, which would make
pydantic evaluate every annotation string when the API's module is imported.
"""

from decimal import Decimal
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cqrs.keys import MAX_CODE_LENGTH
from shop.status import OrderStatus

MAX_ORDER_LINES = 25  # each line is one inventory command in the reservation transaction
MAX_LINE_QUANTITY = 1000
MAX_STOCK_QUANTITY = 1_000_000_000
MAX_PRICE = Decimal("1000000000")

Code = Annotated[str, Field(min_length=1, max_length=MAX_CODE_LENGTH, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
Price = Annotated[Decimal, Field(gt=0, le=MAX_PRICE, max_digits=15, allow_inf_nan=False)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. USD, JPY")]
Version = Annotated[int, Field(ge=1, strict=True, description="The version you read (optimistic lock)")]
# A plain mailbox address (no display name, no whitespace, so no header injection), at most the
# 254 characters SMTP allows; the domain has at least one dot.
EmailAddress = Annotated[
    str,
    Field(
        max_length=254,
        pattern=r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
        r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$",
        examples=["customer@example.com"],
    ),
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class OrderLineIn(_Body):
    productCode: Code
    quantity: Annotated[int, Field(ge=1, le=MAX_LINE_QUANTITY, strict=True)]
    name: ShortText | None = Field(default=None, description="Ignored: the catalogue's name is used")
    price: Price | None = Field(
        default=None, description="Optional: when given it must equal the catalogue price (else 409)"
    )


class AddressIn(_Body):
    street: ShortText
    city: ShortText
    postalCode: Annotated[str, Field(min_length=1, max_length=20)]
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]
    state: ShortText | None = None


class CreateOrderRequest(_Body):
    customerId: Code
    items: Annotated[list[OrderLineIn], Field(min_length=1, max_length=MAX_ORDER_LINES)]
    shippingAddress: AddressIn
    paymentMethod: Annotated[str, Field(pattern=r"^[a-z][a-z_]{1,31}$", examples=["credit_card"])]
    customerEmail: EmailAddress | None = Field(
        default=None, description="Optional: where the order's e-mails go (placed, confirmed, shipped, ...)"
    )


class UpdateStatusRequest(_Body):
    status: OrderStatus
    version: Version | None = Field(default=None, description="Optional; a stale version gives 409")


class CreateProductRequest(_Body):
    code: Code
    name: ShortText
    categoryCode: Code
    sku: Code
    price: Price
    currency: Currency
    description: Annotated[str, Field(max_length=2000)] = ""
    images: Annotated[list[Annotated[str, Field(min_length=1, max_length=500)]], Field(max_length=20)] = []
    isActive: bool = True


class UpdateProductRequest(_Body):
    version: Version
    name: ShortText | None = None
    categoryCode: Code | None = None
    sku: Code | None = None
    price: Price | None = None
    currency: Currency | None = None
    description: Annotated[str, Field(max_length=2000)] | None = None
    images: Annotated[list[Annotated[str, Field(min_length=1, max_length=500)]], Field(max_length=20)] | None = None
    isActive: bool | None = None

    def changes(self) -> dict[str, object]:
        return self.model_dump(exclude={"version"}, exclude_none=True)


class UpdateInventoryRequest(_Body):
    """Set the on-hand `quantity`, or add `restock` units; exactly one of the two."""

    version: Annotated[int, Field(ge=0, strict=True, description="0 to create the stock record")]
    quantity: Annotated[int, Field(ge=0, le=MAX_STOCK_QUANTITY, strict=True)] | None = None
    restock: Annotated[int, Field(ge=1, le=MAX_STOCK_QUANTITY, strict=True)] | None = None
    warehouseCode: Code | None = None

    @model_validator(mode="after")
    def _one_change(self) -> Self:
        if (self.quantity is None) == (self.restock is None):
            raise ValueError("give exactly one of quantity or restock")
        return self
