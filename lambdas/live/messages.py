"""The messages a change of the read model sends to its tenant's staff screens (pure).

| change                                   | message(s)                                   |
|------------------------------------------|----------------------------------------------|
| new order                                | `order.created`                              |
| order status moved                       | `order.status`                               |
| order inventoryStatus moved              | `order.stock`; `stock.alert` when it failed  |
| stock record: available falls below the tenant's low-stock threshold | `stock.alert`   |

Order messages are `{"type", "tenantCode", "orderCode", "status", "inventoryStatus", "version",
"at"}` (`at`: when the change was made). A change that moves nothing staff see (the same status
written again) sends nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cqrs.items import Item
from cqrs.sync import DataChange
from shop.entities import INVENTORY_PREFIX, ORDER_PREFIX
from shop.stock_levels import available

Message = dict[str, Any]


def _order_message(kind: str, order: Item) -> Message:
    return {
        "type": kind,
        "tenantCode": order.tenant_code,
        "orderCode": order.code,
        "status": order.attributes.get("status"),
        "inventoryStatus": order.attributes.get("inventoryStatus"),
        "version": order.version,
        "at": order.updated_at,
    }


def _available(item: Item | None) -> int | None:
    if item is None:
        return None
    return available(item)


def messages_for(change: DataChange, threshold: Callable[[str], int]) -> list[Message]:
    """The messages `change` sends; `threshold(tenant_code)` is the tenant's low-stock threshold."""
    new, old = change.new, change.old
    if new is None:
        return []
    if change.sk.startswith(ORDER_PREFIX):
        if old is None:
            return [_order_message("order.created", new)]
        out = []
        if new.attributes.get("status") != old.attributes.get("status"):
            out.append(_order_message("order.status", new))
        inventory_status = new.attributes.get("inventoryStatus")
        if inventory_status != old.attributes.get("inventoryStatus"):
            out.append(_order_message("order.stock", new))
            if inventory_status == "failed":
                failure = new.attributes.get("inventoryFailure") or {}
                alert = _order_message("stock.alert", new)
                alert["reason"] = str(failure.get("reason") or "reservation failed")
                out.append(alert)
        return out
    if change.sk.startswith(INVENTORY_PREFIX):
        limit = threshold(change.tenant_code)
        after, before = _available(new), _available(old)
        if after is not None and after < limit and (before is None or before >= limit):
            return [
                {
                    "type": "stock.alert",
                    "tenantCode": new.tenant_code,
                    "productCode": new.code,
                    "available": after,
                    "threshold": limit,
                    "version": new.version,
                    "at": new.updated_at,
                }
            ]
    return []
