"""Settings and services of the live-screen functions, built once per process, never at import."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from cqrs.settings import require_env

if TYPE_CHECKING:
    from live.connections import ConnectionStore
    from live.id_tokens import IdTokenVerifier
    from live.pusher import Pusher
    from shop.tenant_registry import RegistryCache

CONNECTIONS_TABLE_ENV = "CONNECTIONS_TABLE_NAME"
# The WebSocket stage's management endpoint, `https://<api>.execute-api.<region>.amazonaws.com/<stage>`.
CALLBACK_URL_ENV = "WEBSOCKET_CALLBACK_URL"
USER_POOL_ID_ENV = "USER_POOL_ID"
USER_POOL_CLIENT_IDS_ENV = "USER_POOL_CLIENT_IDS"  # comma-separated: the audiences an ID token may have


def region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


@lru_cache(maxsize=1)
def connection_store() -> ConnectionStore:
    from cqrs.dynamo import dynamodb_client
    from live.connections import ConnectionStore

    return ConnectionStore(dynamodb_client(), require_env(CONNECTIONS_TABLE_ENV))


@lru_cache(maxsize=1)
def verifier() -> IdTokenVerifier:
    from live.id_tokens import IdTokenVerifier

    clients = [c.strip() for c in require_env(USER_POOL_CLIENT_IDS_ENV).split(",") if c.strip()]
    return IdTokenVerifier.for_pool(region(), require_env(USER_POOL_ID_ENV), clients)


@lru_cache(maxsize=1)
def management_client() -> Any:
    import boto3
    from botocore.config import Config

    from live.pusher import MAX_PARALLEL_POSTS

    # Short time-outs and no SDK retries: a connection that does not take its message within
    # seconds is not worth holding a thread for (the next message carries the current state).
    config = Config(
        connect_timeout=1,
        read_timeout=2,
        retries={"total_max_attempts": 1, "mode": "standard"},
        max_pool_connections=MAX_PARALLEL_POSTS,
    )
    return boto3.client(
        "apigatewaymanagementapi", endpoint_url=require_env(CALLBACK_URL_ENV), region_name=region(), config=config
    )


@lru_cache(maxsize=1)
def tenant_registry() -> RegistryCache:
    """The tenant registry's records, read from the data table and kept for the registry's TTL."""
    from cqrs.data import DataService
    from cqrs.dynamo import dynamodb_client
    from cqrs.settings import DATA_TABLE_ENV
    from shop.tenant_registry import REGISTRY_CACHE_TTL_S, RegistryCache, registry_key

    data = DataService(dynamodb_client(), require_env(DATA_TABLE_ENV))
    return RegistryCache(lambda tenant_code: data.get_item(*registry_key(tenant_code)), REGISTRY_CACHE_TTL_S)


def low_stock_threshold(tenant_code: str) -> int:
    """The tenant's low-stock threshold (its setting, or the default), at most the TTL old."""
    from shop.tenant_registry import settings_of

    return settings_of(tenant_registry().get(tenant_code)).low_stock_threshold


@lru_cache(maxsize=1)
def pusher() -> Pusher:
    from live.pusher import Pusher

    return Pusher(management_client(), connection_store())


def reset() -> None:
    for cached in (pusher, management_client, verifier, connection_store, tenant_registry):
        cached.cache_clear()
