"""Builds the shop's services once per process (Lambda reuses them across invocations).

Tests and the local runtime build their own with `build_shop`, or call `reset()` after changing
the environment. The data-sync pieces (stock settlement, notifications, the order handler) are
imported when first built: the API never uses them, and its cold start need not pay for them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from cqrs.clock import Clock, utc_now
from cqrs.dynamo import dynamodb_client
from cqrs.services import CqrsServices
from cqrs.settings import Tables, tables
from cqrs.sync import DataSyncRegistry
from shop.entities import ORDER_PREFIX
from shop.inventory import InventoryService
from shop.mail_senders import SendingIdentities
from shop.orders import OrderService
from shop.products import ProductService
from shop.settings import shop_settings
from shop.tenant_settings import TenantSettings
from shop.tenants import TenantService

if TYPE_CHECKING:
    from shop.customer_mail import CustomerMail
    from shop.notifications import NotificationService
    from shop.stock import StockService


@dataclass(frozen=True)
class Shop:
    core: CqrsServices
    orders: OrderService
    products: ProductService
    inventory: InventoryService
    tenants: TenantService

    @cached_property
    def stock(self) -> StockService:
        from shop.stock import StockService

        return StockService(self.core)


def build_shop(client: Any, table_names: Tables, clock: Clock = utc_now) -> Shop:
    core = CqrsServices.build(client, table_names, clock)
    products = ProductService(core)
    tenants = TenantService(core)
    return Shop(
        core=core,
        orders=OrderService(core, products, tenants),
        products=products,
        inventory=InventoryService(core, products),
        tenants=tenants,
    )


def build_notifications(sns: Any, topic_arn: str, idempotency_table: str, client: Any) -> NotificationService:
    """Notifications to `topic_arn`, de-duplicated on `idempotency_table` through `client`."""
    from shop.notifications import MARKER_KIND, NotificationService
    from shop.sent_markers import SentMarkers

    return NotificationService(sns, topic_arn, SentMarkers(client, idempotency_table, MARKER_KIND))


def build_customer_mail(
    ses: Any, idempotency_table: str, client: Any, sender: Callable[[str], str] | None = None
) -> CustomerMail:
    """Customer e-mail through the SES v2 client `ses`, de-duplicated on `idempotency_table`, from
    `sender(tenant_code)` (by default `mail_sender`: the tenant's own address or the stack's)."""
    from shop.customer_mail import MARKER_KIND, CustomerMail, SesV2Transport
    from shop.sent_markers import SentMarkers

    markers = SentMarkers(client, idempotency_table, MARKER_KIND)
    return CustomerMail(SesV2Transport(ses), markers, sender=sender or mail_sender)


def build_data_sync(
    stock: StockService, notifications: NotificationService, mail: CustomerMail | None = None
) -> DataSyncRegistry:
    """The data-sync handlers by sort-key prefix (the seed's `@DataSyncHandler`s)."""
    from shop.order_sync import OrderDataSyncHandler

    registry = DataSyncRegistry()
    registry.register(ORDER_PREFIX, OrderDataSyncHandler(stock, notifications, mail))
    return registry


@lru_cache(maxsize=1)
def shop() -> Shop:
    return build_shop(dynamodb_client(), tables())


def tenant_settings(tenant_code: str) -> TenantSettings:
    """A tenant's effective settings (defaults where unset), from a cache at most
    `shop.tenant_registry.REGISTRY_CACHE_TTL_S` seconds old: tax rate, order-number format, notification
    sender, low-stock threshold."""
    return shop().tenants.settings(tenant_code)


@lru_cache(maxsize=1)
def sending_identities() -> SendingIdentities:
    return SendingIdentities.from_env()


def mail_sender(tenant_code: str) -> str:
    """The From address of a tenant's customer e-mail (`shop.mail_senders`)."""
    return sending_identities().sender_for(tenant_code, tenant_settings(tenant_code))


@lru_cache(maxsize=1)
def sns_client() -> Any:
    import boto3  # deferred: the API never publishes

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return boto3.client("sns", region_name=region)


@lru_cache(maxsize=1)
def sesv2_client() -> Any:
    import boto3
    from botocore.config import Config

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    # One attempt per call: an SDK retry after a read time-out could re-send an accepted e-mail
    # (shop.customer_mail explains the window); the stream's retry goes through the marker instead.
    config = Config(connect_timeout=2, read_timeout=10, retries={"total_max_attempts": 1, "mode": "standard"})
    return boto3.client("sesv2", region_name=region, config=config)


@lru_cache(maxsize=1)
def customer_mail() -> CustomerMail:
    return build_customer_mail(sesv2_client(), shop_settings().idempotency_table, dynamodb_client())


@lru_cache(maxsize=1)
def notifications() -> NotificationService:
    settings = shop_settings()
    return build_notifications(
        sns_client(), settings.notification_topic_arn, settings.idempotency_table, dynamodb_client()
    )


@lru_cache(maxsize=1)
def data_sync() -> DataSyncRegistry:
    return build_data_sync(shop().stock, notifications(), customer_mail())


def reset() -> None:
    """Forget every cached client, setting and service (after the environment changed)."""
    for cached in (
        data_sync,
        notifications,
        sns_client,
        customer_mail,
        sending_identities,
        sesv2_client,
        shop,
        tables,
        shop_settings,
        dynamodb_client,
    ):
        cached.cache_clear()
