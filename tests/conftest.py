"""Shared fixtures: DynamoDB Local for the concurrency and stream tier (docs/design.md, test tiers).

- `ddb_local`: session-scoped; starts DynamoDB Local in memory on a free loopback port and yields
  its endpoint URL ("http://127.0.0.1:PORT"); stopped at the end of the session.
- `ddb_local_client` / `ddb_local_streams_client`: boto3 clients on it (us-east-1, dummy keys).
- `ddb_local_table`: a factory that creates a fresh pk/sk table with a unique name (stream
  NEW_AND_OLD_IMAGES by default) and deletes it after the test.
- `ddb_local_env`: points the process's AWS SDK at DynamoDB Local through the environment
  (`AWS_ENDPOINT_URL_DYNAMODB`, dummy credentials, region) for code that builds its own clients.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from local.dynamodb_local import DynamoDBLocal

REGION = "us-east-1"
DUMMY_KEY = "local"
DUMMY_SECRET = "local"  # noqa: S105 - DynamoDB Local accepts any key

# Enough connections for the thread-pool race tests.
_CLIENT_CONFIG = Config(max_pool_connections=64)


def ddb_local_boto3_client(endpoint: str, service: str = "dynamodb") -> Any:
    """A boto3 client for DynamoDB Local at `endpoint` (`service`: dynamodb or dynamodbstreams)."""
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=DUMMY_KEY,
        aws_secret_access_key=DUMMY_SECRET,
        config=_CLIENT_CONFIG,
    )


@pytest.fixture(scope="session")
def ddb_local() -> Iterator[str]:
    """The endpoint URL of a DynamoDB Local started in memory for this test session."""
    with DynamoDBLocal() as server:
        yield server.endpoint


@pytest.fixture
def ddb_local_client(ddb_local: str) -> Any:
    return ddb_local_boto3_client(ddb_local)


@pytest.fixture
def ddb_local_streams_client(ddb_local: str) -> Any:
    return ddb_local_boto3_client(ddb_local, "dynamodbstreams")


@pytest.fixture
def ddb_local_table(ddb_local_client: Any) -> Iterator[Callable[..., str]]:
    """Factory: `ddb_local_table("orders", stream=True)` creates a fresh table, returns its name."""
    created: list[str] = []

    def create(prefix: str = "test", *, stream: bool = True, hash_key: str = "pk", range_key: str | None = "sk") -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:12]}"
        keys = [{"AttributeName": hash_key, "KeyType": "HASH"}]
        attributes = [{"AttributeName": hash_key, "AttributeType": "S"}]
        if range_key:
            keys.append({"AttributeName": range_key, "KeyType": "RANGE"})
            attributes.append({"AttributeName": range_key, "AttributeType": "S"})
        extra: dict[str, Any] = {}
        if stream:
            extra["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
        ddb_local_client.create_table(
            TableName=name,
            KeySchema=keys,
            AttributeDefinitions=attributes,
            BillingMode="PAY_PER_REQUEST",
            **extra,
        )
        created.append(name)
        return name

    yield create
    for name in created:
        with contextlib.suppress(ddb_local_client.exceptions.ResourceNotFoundException):
            ddb_local_client.delete_table(TableName=name)


@pytest.fixture
def ddb_local_env(ddb_local: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Make every boto3 client built in this test talk to DynamoDB Local; returns the endpoint."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", ddb_local)
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB_STREAMS", ddb_local)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", DUMMY_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", DUMMY_SECRET)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    return ddb_local
