"""What API clients see of each entity: the stored item, with money at the currency's precision.

DynamoDB keeps numbers without trailing zeros (6.00 comes back as 6); the views put the minor
unit back so money always leaves with its full precision.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from cqrs.items import Item
from shop.money import round_money
from shop.stock_levels import available

_ORDER_MONEY = ("subtotal", "tax", "total")


def order_view(item: Item) -> dict[str, Any]:
    out = item.to_dict()
    attributes = out["attributes"]
    currency = attributes.get("currency", "USD")
    for field in _ORDER_MONEY:
        if field in attributes:
            attributes[field] = round_money(Decimal(attributes[field]), currency)
    attributes["items"] = [
        {**line, "price": round_money(Decimal(line["price"]), currency)} for line in attributes.get("items", [])
    ]
    return out


def product_view(item: Item) -> dict[str, Any]:
    out = item.to_dict()
    attributes = out["attributes"]
    attributes["price"] = round_money(Decimal(attributes["price"]), attributes["currency"])
    return out


def inventory_view(item: Item) -> dict[str, Any]:
    out = item.to_dict()
    out["attributes"]["available"] = available(item)
    return out
