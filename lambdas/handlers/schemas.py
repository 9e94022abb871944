"""Response shapes for the OpenAPI document (the handlers write the bodies themselves, see json_body).

Built only when the document is (`defer_build`), and without `from __future__ import annotations`,
which would make pydantic evaluate every annotation string at import: the cold start pays for neither.
"""

from decimal import Decimal
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, ConfigDict, WithJsonSchema

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


def json_content(model: type[BaseModel], description: str) -> OpenAPIResponse:
    return {"description": description, "content": {"application/json": {"model": model}}}


ERRORS: dict[int, OpenAPIResponse] = {
    status: json_content(ErrorOut, description)
    for status, description in {
        400: "Malformed request or forbidden transition",
        401: "Missing or invalid token",
        403: "The token's tenant or role does not allow this",
        404: "Not found in your tenant",
        409: "Version or price conflict",
        422: "Invalid field",
    }.items()
}
