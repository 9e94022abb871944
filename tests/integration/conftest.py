"""Integration tier: moto in-process (`mock_aws`), one thread only (docs/design.md, test tiers)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest
from moto import mock_aws

from cqrs.settings import Tables
from harness.events import FakeLambdaContext, api_event
from harness.tables import create_tables
from shop import wiring

REGION = "us-east-1"

# What the stack gives the API by default. handlers.api reads it when first imported, which some
# tests do outside the `aws` fixture, so it is set for the whole tier before any test module loads.
os.environ.setdefault("CORS_ALLOW_ORIGINS", "*")


class StepClock:
    """A deterministic clock: each call is one millisecond after the last."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2024, 1, 15, 10, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now


@dataclass
class AwsEnv:
    client: Any
    tables: Tables
    idempotency_table: str
    topic_arn: str


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsEnv]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        tables, idempotency = create_tables(client)
        topic_arn = boto3.client("sns", region_name=REGION).create_topic(Name="notifications")["TopicArn"]
        for name, value in {
            "COMMAND_TABLE_NAME": tables.command,
            "DATA_TABLE_NAME": tables.data,
            "SEQUENCES_TABLE_NAME": tables.sequences,
            "IDEMPOTENCY_TABLE_NAME": idempotency,
            "NOTIFICATION_TOPIC_ARN": topic_arn,
            # The stack's SES identities: its sender, and a domain tenants' senders may use.
            "MAIL_SENDER": "orders@example.com",
            "MAIL_DOMAINS": "a.example",
        }.items():
            monkeypatch.setenv(name, value)
        reset_all()
        yield AwsEnv(client, tables, idempotency, topic_arn)
        reset_all()


def reset_all() -> None:
    wiring.reset()


@dataclass
class ApiResult:
    status: int
    body: Any
    headers: dict[str, str]


def call_api(method: str, path: str, body: Any = None, **kwargs: Any) -> ApiResult:
    """Invoke the API Lambda's handler with a REST proxy event; parse the JSON answer."""
    from handlers.api import handler

    response = handler(api_event(method, path, body, **kwargs), FakeLambdaContext())
    text = response.get("body") or ""
    parsed = json.loads(text, parse_float=Decimal) if text else None
    headers = {k: ",".join(v) for k, v in (response.get("multiValueHeaders") or {}).items()}
    return ApiResult(response["statusCode"], parsed, headers | (response.get("headers") or {}))


@pytest.fixture
def api(aws: AwsEnv) -> Any:
    return call_api


@pytest.fixture
def catalogue(api: Any) -> Any:
    """The catalogue of `harness.seed` in tenants shop-a and shop-b, 10 units of each in stock."""
    from harness.seed import CATALOGUE

    for tenant in ("shop-a", "shop-b"):
        for product in CATALOGUE:
            assert api("POST", "/products", product, tenant=tenant).status == 201
            stock = api("PATCH", f"/inventory/{product['code']}", {"version": 0, "quantity": 10}, tenant=tenant)
            assert stock.status == 200, stock.body
    return api
