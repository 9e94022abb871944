"""Request bodies of the API, validated by pydantic (and documented in the OpenAPI document).

Field names are camelCase, as on the wire. Unknown fields are refused, so a client cannot smuggle
in what the server decides (`tenantCode`, `status` on create, totals).

Cold start: each model's validator is built on its first use (`defer_build`), so a request pays
only for its own body; and there is no `from __future__ import annotations`, which would make
pydantic evaluate every annotation string when the API's module is imported.
"""

from decimal import Decimal
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from cqrs.keys import CODE_PATTERN, MAX_CODE_LENGTH
from shop import text
from shop.currencies import CURRENCY_CODES, MINOR_UNITS
from shop.status import OrderStatus

MAX_ORDER_LINES = 25  # each line is one inventory command in the reservation transaction
MAX_LINE_QUANTITY = 1000
MAX_STOCK_QUANTITY = 1_000_000_000
MAX_PRICE = Decimal("1000000000")

MAX_DESCRIPTION_LENGTH = 2000
MAX_IMAGES = 20

# pydantic's regexes are Rust's, where `$` is the end of the text (never before a final newline).
Code = Annotated[str, Field(min_length=1, max_length=MAX_CODE_LENGTH, pattern=CODE_PATTERN)]
# Text is checked by `shop.text` (clear messages) and documented with the same rule as a pattern.
ShortText = Annotated[
    str,
    Field(min_length=1, max_length=200, json_schema_extra={"pattern": text.LINE_PATTERN}),
    AfterValidator(text.single_line),
]
Description = Annotated[
    str,
    Field(max_length=MAX_DESCRIPTION_LENGTH, json_schema_extra={"pattern": text.MULTILINE_PATTERN}),
    AfterValidator(text.multi_line),
]
ImageUrl = Annotated[
    str,
    Field(
        min_length=len("https://x"),
        max_length=text.MAX_IMAGE_URL_LENGTH,
        json_schema_extra={"pattern": text.IMAGE_URL_PATTERN, "format": "uri"},
        description="An https:// URL",
    ),
    AfterValidator(text.image_url),
]
Images = Annotated[list[ImageUrl], Field(max_length=MAX_IMAGES)]
Price = Annotated[Decimal, Field(gt=0, le=MAX_PRICE, max_digits=15, allow_inf_nan=False)]


def iso_4217(code: str) -> str:
    if code not in MINOR_UNITS:
        raise ValueError(f"{code!r} is not an ISO 4217 currency in circulation")
    return code


Currency = Annotated[
    str,
    Field(
        pattern=r"^[A-Z]{3}$",
        description="ISO 4217 code of a currency in circulation, e.g. USD, JPY",
        json_schema_extra={"enum": list(CURRENCY_CODES)},
    ),
    AfterValidator(iso_4217),
]
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
    postalCode: Annotated[
        str,
        Field(min_length=1, max_length=20, json_schema_extra={"pattern": text.LINE_PATTERN}),
        AfterValidator(text.single_line),
    ]
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
    description: Description = ""
    images: Images = []
    isActive: Annotated[bool, Field(strict=True)] = True


class UpdateProductRequest(_Body):
    version: Version
    name: ShortText | None = None
    categoryCode: Code | None = None
    sku: Code | None = None
    price: Price | None = None
    currency: Currency | None = None
    description: Description | None = None
    images: Images | None = None
    isActive: Annotated[bool, Field(strict=True)] | None = None

    def changes(self) -> dict[str, object]:
        return self.model_dump(exclude={"version"}, exclude_none=True)


class UpdateInventoryRequest(_Body):
    """Set the on-hand `quantity`, or add `restock` units; exactly one of the two."""

    # The document says `oneOf`: a body with both, or neither, is refused (422).
    model_config = ConfigDict(json_schema_extra={"oneOf": [{"required": ["quantity"]}, {"required": ["restock"]}]})

    version: Annotated[int, Field(ge=0, strict=True, description="0 to create the stock record")]
    # Absent rather than null: the type stays `integer` in the document and `null` is refused, so
    # the field is typed `int` with a default of None (which pydantic does not validate).
    quantity: Annotated[int, Field(ge=0, le=MAX_STOCK_QUANTITY, strict=True)] = Field(  # type: ignore[assignment]
        default=None, description="The new on-hand stock"
    )
    restock: Annotated[int, Field(ge=1, le=MAX_STOCK_QUANTITY, strict=True)] = Field(  # type: ignore[assignment]
        default=None,
        description=f"Units to add; on hand + restock may not exceed {MAX_STOCK_QUANTITY}",
    )
    warehouseCode: Code | None = None

    @model_validator(mode="after")
    def _one_change(self) -> Self:
        if (self.quantity is None) == (self.restock is None):
            raise ValueError("give exactly one of quantity or restock")
        return self
