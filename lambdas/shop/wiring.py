"""Builds the shop's services once per process (Lambda reuses them across invocations).

Tests and the local runtime build their own with `build_shop`, or call `reset()` after changing
the environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cqrs.clock import Clock, utc_now
from cqrs.dynamo import dynamodb_client
from cqrs.services import CqrsServices
from cqrs.settings import Tables, tables
from shop.inventory import InventoryService
from shop.orders import OrderService
from shop.products import ProductService
from shop.settings import shop_settings


@dataclass(frozen=True)
class Shop:
    core: CqrsServices
    orders: OrderService
    products: ProductService
    inventory: InventoryService


def build_shop(client: Any, table_names: Tables, clock: Clock = utc_now) -> Shop:
    core = CqrsServices.build(client, table_names, clock)
    products = ProductService(core)
    return Shop(
        core=core,
        orders=OrderService(core, products),
        products=products,
        inventory=InventoryService(core, products),
    )


@lru_cache(maxsize=1)
def shop() -> Shop:
    return build_shop(dynamodb_client(), tables())


def reset() -> None:
    """Forget every cached client, setting and service (after the environment changed)."""
    for cached in (shop, tables, shop_settings, dynamodb_client):
        cached.cache_clear()
