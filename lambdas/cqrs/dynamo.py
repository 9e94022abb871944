"""DynamoDB plumbing shared by the core: typed (de)serialization and the client factory.

The low-level client is used everywhere (transactions need it); these helpers keep raw attribute
maps inside this package.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _dynamo_safe(value: Any) -> Any:
    """DynamoDB refuses floats; money and quantities travel as Decimal. Convert defensively."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, Mapping):
        return {k: _dynamo_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_dynamo_safe(v) for v in value]
    return value


def serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(_dynamo_safe(v)) for k, v in item.items() if v is not None}


def deserialize(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in raw.items()}


def serialize_value(value: Any) -> dict[str, Any]:
    result: dict[str, Any] = _serializer.serialize(_dynamo_safe(value))
    return result


@lru_cache(maxsize=1)
def dynamodb_client() -> Any:
    """One client per process (Lambda reuses it across invocations).

    The endpoint comes from boto3's own `AWS_ENDPOINT_URL_DYNAMODB` when set (the local runtime
    and the tests set it); nothing here is specific to an emulator.
    """
    import boto3  # deferred: keeps importing this module cheap for code that never calls AWS

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    return boto3.client("dynamodb", region_name=region)
