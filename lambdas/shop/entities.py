"""Entity types of the shop and their keys (`ORDER#ORD-000001`, `PRODUCT#PRD-001`, ...)."""

from __future__ import annotations

from cqrs.keys import generate_sk, sk_prefix

ORDER = "ORDER"
PRODUCT = "PRODUCT"
INVENTORY = "INVENTORY"
TENANT = "TENANT"  # registry records, in the `common` tenant

ORDER_PREFIX = sk_prefix(ORDER)
PRODUCT_PREFIX = sk_prefix(PRODUCT)
INVENTORY_PREFIX = sk_prefix(INVENTORY)
TENANT_PREFIX = sk_prefix(TENANT)

ORDER_SEQUENCE = "ORDER"


def order_sk(code: str) -> str:
    return generate_sk(ORDER, code)


def product_sk(code: str) -> str:
    return generate_sk(PRODUCT, code)


def inventory_sk(product_code: str) -> str:
    return generate_sk(INVENTORY, product_code, "productCode")


def tenant_sk(tenant_code: str) -> str:
    return generate_sk(TENANT, tenant_code)
