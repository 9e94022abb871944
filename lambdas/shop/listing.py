"""How the shop's lists are served: each entity's index keys, and the query behind each filter.

| index | orders | products | stock records |
|---|---|---|---|
| gsi1 | every order, by `placedAt` | by `categoryCode` | low stock only (`available` < 100), by `available` |
| gsi2 | by `status`, by `placedAt` | by `isActive` | - |
| gsi3 | by `customerId`, by `placedAt` | - | - |

Every index partition lies inside one tenant (its key starts with the tenant's `pk`), so a page
never reads another tenant's entries. An order's index sort key is `<placedAt>#<code>`: a date
range is a key range, and two orders placed in the same millisecond still have distinct keys.
One filter (with or without a date range) is one key: a page costs one `Query` and one
`BatchGetItem` whatever share of the tenant matches. Two filters use the more selective key
(customer before status, category before active) and check the other on the items read.
"""

from __future__ import annotations

from datetime import datetime

from cqrs.clock import iso_timestamp
from cqrs.context import UserContext
from cqrs.data import IndexQuery
from cqrs.errors import ValidationError
from cqrs.indexes import INDEX_1, INDEX_2, INDEX_3, SORT_ATTRIBUTE, register_index_keys
from cqrs.items import Item
from shop.entities import INVENTORY, INVENTORY_PREFIX, ORDER, ORDER_PREFIX, PRODUCT, PRODUCT_PREFIX
from shop.status import OrderStatus
from shop.stock_levels import available

# Stock records with fewer units available than this are in the low-stock index; records above it
# cost the index nothing when reservations move them. `availableBelow` may ask up to this value.
LOW_STOCK_CEILING = 100
_AVAILABLE_DIGITS = 10  # stock is at most 10^9 units (shop.models.MAX_STOCK_QUANTITY)


def _key(*parts: str) -> str:
    return "#".join(parts)


def _available_key(units: int) -> str:
    return f"{units:0{_AVAILABLE_DIGITS}d}"


# -- index keys, written with each item ------------------------------------------------------------


def order_index_keys(item: Item) -> dict[str, str]:
    attributes = item.attributes
    return {
        INDEX_1.partition_attribute: _key(item.pk, ORDER),
        INDEX_2.partition_attribute: _key(item.pk, ORDER, "status", str(attributes["status"])),
        INDEX_3.partition_attribute: _key(item.pk, ORDER, "customer", str(attributes["customerId"])),
        SORT_ATTRIBUTE: _key(str(attributes["placedAt"]), item.code),
    }


def product_index_keys(item: Item) -> dict[str, str]:
    attributes = item.attributes
    return {
        INDEX_1.partition_attribute: _key(item.pk, PRODUCT, "category", str(attributes["categoryCode"])),
        INDEX_2.partition_attribute: _key(item.pk, PRODUCT, "active", _flag(bool(attributes.get("isActive", False)))),
        SORT_ATTRIBUTE: item.code,
    }


def inventory_index_keys(item: Item) -> dict[str, str]:
    """Sparse: only a record that is low on stock is in the index."""
    units = available(item)
    if units >= LOW_STOCK_CEILING:
        return {}
    return {
        INDEX_1.partition_attribute: _key(item.pk, INVENTORY, "low"),
        SORT_ATTRIBUTE: _key(_available_key(units), item.code),
    }


def _flag(value: bool) -> str:
    return "true" if value else "false"


register_index_keys(ORDER, order_index_keys)
register_index_keys(PRODUCT, product_index_keys)
register_index_keys(INVENTORY, inventory_index_keys)


# -- queries ---------------------------------------------------------------------------------------


def order_query(
    ctx: UserContext,
    *,
    status: OrderStatus | None = None,
    customer_id: str | None = None,
    placed_from: datetime | None = None,
    placed_to: datetime | None = None,
    descending: bool = True,
) -> IndexQuery:
    """The index query behind `GET /orders` with these filters (all optional, combinable)."""
    lower = iso_timestamp(placed_from) if placed_from is not None else None
    upper = iso_timestamp(placed_to) if placed_to is not None else None
    if lower is not None and upper is not None and lower >= upper:
        raise ValidationError("placedTo", "must be later than placedFrom (placedFrom is inclusive, placedTo exclusive)")
    status_value = status.value if status is not None else None

    def keep(item: Item) -> bool:
        attributes = item.attributes
        placed = str(attributes.get("placedAt", ""))
        return (
            (status_value is None or attributes.get("status") == status_value)
            and (customer_id is None or attributes.get("customerId") == customer_id)
            and (lower is None or placed >= lower)
            and (upper is None or placed < upper)
        )

    if customer_id is not None:
        index, partition = INDEX_3, _key(ctx.pk, ORDER, "customer", customer_id)
    elif status_value is not None:
        index, partition = INDEX_2, _key(ctx.pk, ORDER, "status", status_value)
    else:
        index, partition = INDEX_1, _key(ctx.pk, ORDER)
    return IndexQuery(
        index=index,
        partition=partition,
        sk_prefix=ORDER_PREFIX,
        lower=lower,
        upper=upper,
        descending=descending,
        keep=keep,
        filter_id=f"status={status_value};customerId={customer_id}",
        combined=customer_id is not None and status_value is not None,
    )


def product_query(ctx: UserContext, *, category_code: str | None = None, is_active: bool | None = None) -> IndexQuery:
    """The index query behind `GET /products` with a category and/or active filter (not neither)."""
    if category_code is None and is_active is None:
        raise ValueError("an unfiltered product list reads the table, not an index")

    def keep(item: Item) -> bool:
        attributes = item.attributes
        return (category_code is None or attributes.get("categoryCode") == category_code) and (
            is_active is None or bool(attributes.get("isActive", False)) == is_active
        )

    if category_code is not None:
        index, partition = INDEX_1, _key(ctx.pk, PRODUCT, "category", category_code)
    else:
        index, partition = INDEX_2, _key(ctx.pk, PRODUCT, "active", _flag(bool(is_active)))
    return IndexQuery(
        index=index,
        partition=partition,
        sk_prefix=PRODUCT_PREFIX,
        keep=keep,
        filter_id=f"categoryCode={category_code};isActive={is_active}",
        combined=category_code is not None and is_active is not None,
    )


def low_stock_query(ctx: UserContext, available_below: int) -> IndexQuery:
    """The stock records with fewer than `available_below` units available, lowest first."""
    if not 1 <= available_below <= LOW_STOCK_CEILING:
        raise ValidationError("availableBelow", f"must be between 1 and {LOW_STOCK_CEILING}")
    return IndexQuery(
        index=INDEX_1,
        partition=_key(ctx.pk, INVENTORY, "low"),
        sk_prefix=INVENTORY_PREFIX,
        upper=_available_key(available_below),
        keep=lambda item: available(item) < available_below,
        filter_id=f"availableBelow={available_below}",
    )
