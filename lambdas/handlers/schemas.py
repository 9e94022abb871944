"""Response shapes for the OpenAPI document (the handlers write the bodies themselves, see json_body).

Built only when the document is (`defer_build`), and without `from __future__ import annotations`,
which would make pydantic evaluate every annotation string at import: the cold start pays for neither.
"""

from decimal import Decimal
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from shop.status import InventoryStatus, OrderStatus

# Money leaves as a JSON number with its exact digits (see json_body), never as a string: pydantic
# would document a Decimal as a string in a response schema.
Money = Annotated[Decimal, WithJsonSchema({"type": "number"})]


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)


class ErrorOut(_Out):
    message: str
    field: str | None = None


class ItemOut(_Out):
    pk: str
    sk: str
    id: str
    code: str
    name: str
    tenantCode: str
    type: str
    version: int
    attributes: dict[str, Any]
    createdAt: str
    createdBy: str
    updatedAt: str
    updatedBy: str


class OrderLineOut(_Out):
    productCode: str
    name: str
    quantity: int
    price: Money


class OrderAttributesOut(_Out):
    customerId: str
    items: list[OrderLineOut]
    shippingAddress: dict[str, str]
    paymentMethod: str
    customerEmail: str | None = None
    currency: str
    subtotal: Money
    tax: Money
    total: Money
    taxRate: Money | None = None  # the rate the order was priced with (absent on older orders)
    status: OrderStatus
    inventoryStatus: InventoryStatus
    placedAt: str
    shippedAt: str | None = None
    deliveredAt: str | None = None
    cancelledAt: str | None = None


class OrderOut(ItemOut):
    attributes: OrderAttributesOut  # type: ignore[assignment]


class ProductAttributesOut(_Out):
    categoryCode: str
    sku: str
    price: Money
    currency: str
    description: str
    images: list[str]
    isActive: bool


class ProductOut(ItemOut):
    attributes: ProductAttributesOut  # type: ignore[assignment]


class InventoryAttributesOut(_Out):
    productCode: str
    quantity: int
    reservedQuantity: int
    available: int
    warehouseCode: str
    lastRestockedAt: str | None = None


class InventoryOut(ItemOut):
    attributes: InventoryAttributesOut  # type: ignore[assignment]


class OrderPage(_Out):
    items: list[OrderOut]
    nextCursor: str | None


class ProductPage(_Out):
    items: list[ProductOut]
    nextCursor: str | None


class InventoryPage(_Out):
    items: list[InventoryOut]
    nextCursor: str | None


class ChangeOut(_Out):
    from_: Any = Field(alias="from", description="The value before (null: not set)")
    to: Any = Field(description="The value after (null: removed)")


class VersionOut(_Out):
    version: int
    at: str
    by: str
    source: str | None
    changes: dict[str, ChangeOut] = Field(
        description="Attribute path (`name`, `attributes.status`, ...) -> what changed; "
        "version 1: everything it was created with"
    )


class HistoryPage(_Out):
    items: list[VersionOut] = Field(description="Newest version first")
    nextCursor: str | None


class OrderNumberOut(_Out):
    prefix: str
    width: int
    rotation: str
    fiscalStartMonth: int


class TenantSettingsOut(_Out):
    taxRate: Money
    orderNumber: OrderNumberOut
    lowStockThreshold: int
    notificationSender: str | None = None


class TenantAttributesOut(_Out):
    status: str
    settings: TenantSettingsOut


class TenantOut(ItemOut):
    attributes: TenantAttributesOut  # type: ignore[assignment]


class TenantPage(_Out):
    items: list[TenantOut]
    nextCursor: str | None


class OwnTenantOut(_Out):
    code: str
    registered: bool
    name: str
    status: str
    version: int
    settings: TenantSettingsOut


def json_content(model: type[BaseModel], description: str) -> OpenAPIResponse:
    return {"description": description, "content": {"application/json": {"model": model}}}


ERRORS: dict[int, OpenAPIResponse] = {
    status: json_content(ErrorOut, description)
    for status, description in {
        400: "The body is not readable JSON (not UTF-8, malformed, nested too deeply, NaN), or a "
        "business rule refuses the status transition (as the seed: e.g. pending to shipped, or "
        "anything but cancelled after a failed reservation)",
        401: "Missing or invalid token",
        403: "The token's tenant or role does not allow this",
        404: "Not found in your tenant",
        409: "Conflict: a stale `version`, a quoted price that differs from the catalogue's, stock "
        "set below the reserved units, or an order moved to processing or shipped before its "
        "stock is reserved (`field` is `inventoryStatus`; retry once it is)",
        415: "The body is not JSON: Content-Type must be application/json or */*+json (charset utf-8)",
        422: "A field breaks the documented schema (`field` names it), or a rule the schema cannot "
        "express: integers are integer literals (1.0 is refused), a product that does not exist or "
        "is inactive, a restock past the maximum stock",
    }.items()
}
