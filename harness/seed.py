"""The reference example's order request, a small catalogue to order from, and stocking and ordering
helpers (docs/design.md, "The reference's behaviour")."""

from __future__ import annotations

from typing import Any

SEED_ORDER: dict[str, Any] = {
    "customerId": "CUST-001",
    "items": [{"productCode": "PRD-001", "name": "Wireless Mouse", "quantity": 2, "price": 29.99}],
    "shippingAddress": {"street": "123 Main St", "city": "Tokyo", "postalCode": "100-0001", "country": "JP"},
    "paymentMethod": "credit_card",
}

CATALOGUE: list[dict[str, Any]] = [
    {"code": "PRD-001", "name": "Wireless Mouse", "categoryCode": "CAT-PERIPH", "sku": "WM-001", "price": 29.99,
     "currency": "USD", "description": "2.4 GHz wireless mouse", "images": [], "isActive": True},
    {"code": "PRD-002", "name": "USB-C Keyboard", "categoryCode": "CAT-PERIPH", "sku": "KB-002", "price": 49.5,
     "currency": "USD", "description": "Compact keyboard", "images": [], "isActive": True},
    {"code": "PRD-003", "name": "Old Cable", "categoryCode": "CAT-CABLE", "sku": "CB-003", "price": 5,
     "currency": "USD", "description": "Discontinued", "images": [], "isActive": False},
]  # fmt: skip


def order_body(*lines: tuple[str, int], **overrides: Any) -> dict[str, Any]:
    """The reference example's order with these (product code, quantity) lines, catalogue-priced;
    `overrides` replace top-level fields (`customerId="CUST-X"`)."""
    body = {**SEED_ORDER, "items": [{"productCode": code, "quantity": qty} for code, qty in lines]}
    body.update(overrides)
    return body


def add_stocked_product(app: Any, ctx: Any, code: str, quantity: int, price: str = "10.00") -> None:
    """A catalogue product `code` with `quantity` units in stock, created through the shop's services."""
    from shop.models import CreateProductRequest, UpdateInventoryRequest

    product = {"code": code, "name": code, "categoryCode": "CAT", "sku": f"SKU-{code}", "price": price}
    app.products.create_product(CreateProductRequest.model_validate({**product, "currency": "USD"}), ctx)
    app.inventory.update_stock(code, UpdateInventoryRequest(version=0, quantity=quantity), ctx)


def place_order(app: Any, ctx: Any, lines: dict[str, int]) -> Any:
    """An order of `lines` (product code -> quantity) through the shop's services; the stored item."""
    from shop.models import CreateOrderRequest

    request = CreateOrderRequest.model_validate(order_body(*lines.items()))
    return app.orders.create_order(request, ctx)
