"""Entity types of the shop and their keys (`ORDER#ORD-000001`, `PRODUCT#PRD-001`, ...)."""

from __future__ import annotations

from cqrs.keys import generate_sk, sk_prefix

ORDER = "ORDER"
PRODUCT = "PRODUCT"
INVENTORY = "INVENTORY"

ORDER_PREFIX = sk_prefix(ORDER)
PRODUCT_PREFIX = sk_prefix(PRODUCT)
INVENTORY_PREFIX = sk_prefix(INVENTORY)

ORDER_SEQUENCE = "ORDER"
ORDER_CODE_TEMPLATE = "ORD-{no:06}"


def order_sk(code: str) -> str:
    return generate_sk(ORDER, code)


def product_sk(code: str) -> str:
    return generate_sk(PRODUCT, code)


def inventory_sk(product_code: str) -> str:
    return generate_sk(INVENTORY, product_code, "productCode")
