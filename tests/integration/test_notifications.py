"""Notifications are sent once per effect, for one marker write each (moto)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from cqrs.items import Item
from harness.streams import RecordingSns
from shop.notifications import MARKER_KIND, NotificationService, NotificationType, notification_id
from shop.sent_markers import SentMarkers
from tests.integration.conftest import AwsEnv

ORDER = Item(
    pk="TENANT#shop-a",
    sk="ORDER#ORD-000001",
    code="ORD-000001",
    name="Order ORD-000001",
    tenant_code="shop-a",
    version=2,
    attributes={"status": "confirmed", "currency": "USD", "total": "65.98", "items": []},
    created_at="2024-01-15T10:30:00.000Z",
    created_by="u-1",
    updated_at="2024-01-15T10:30:00.000Z",
    updated_by="u-1",
)


@dataclass
class FlakySns(RecordingSns):
    """Refuses the first `failures` publishes, then records like `RecordingSns`."""

    failures: int = 0
    refused: list[dict[str, Any]] = field(default_factory=list)

    def publish(self, **params: Any) -> dict[str, Any]:
        if self.failures > 0:
            self.failures -= 1
            self.refused.append(params)
            raise ConnectionError("SNS unavailable")
        return super().publish(**params)


@pytest.fixture
def writes(aws: AwsEnv) -> Iterator[list[str]]:
    """`Operation` of every write the core's client sends to the idempotency table."""
    seen: list[str] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        if params.get("TableName") == aws.idempotency_table and model.name in {"PutItem", "UpdateItem", "DeleteItem"}:
            seen.append(model.name)

    aws.client.meta.events.register("provide-client-params.dynamodb.*", record)
    yield seen
    aws.client.meta.events.unregister("provide-client-params.dynamodb.*", record)


def service(aws: AwsEnv, sns: RecordingSns, clock: Any = None) -> NotificationService:
    markers = SentMarkers(aws.client, aws.idempotency_table, MARKER_KIND, **({"clock": clock} if clock else {}))
    return NotificationService(sns, aws.topic_arn, markers)


def test_an_effect_asked_for_three_times_is_published_once_for_one_write(aws: AwsEnv, writes: list[str]) -> None:
    sns = RecordingSns()
    notifications = service(aws, sns)

    results = [notifications.shipping_notification(ORDER) for _ in range(3)]

    assert sns.effects() == [("shipping_notification", "shop-a", "ORD-000001")]
    expected_id = notification_id("shop-a", "ORD-000001", NotificationType.SHIPPING_NOTIFICATION)
    assert results == [{"notificationId": expected_id, "messageId": "msg-1"}] * 3
    assert writes == ["PutItem"]


def test_each_effect_of_an_order_is_its_own_notification(aws: AwsEnv) -> None:
    sns = RecordingSns()
    notifications = service(aws, sns)

    notifications.order_confirmation(ORDER)
    notifications.shipping_notification(ORDER)
    notifications.order_confirmation(ORDER)

    assert [effect for effect, _, _ in sns.effects()] == ["order_confirmation", "shipping_notification"]


def test_a_publish_that_fails_leaves_no_marker_so_the_retry_sends_it(aws: AwsEnv, writes: list[str]) -> None:
    sns = FlakySns(failures=1)
    notifications = service(aws, sns)

    with pytest.raises(ConnectionError):
        notifications.delivery_confirmation(ORDER)
    assert writes == []

    notifications.delivery_confirmation(ORDER)
    assert len(sns.refused) == 1
    assert sns.effects() == [("delivery_confirmation", "shop-a", "ORD-000001")]


def test_an_expired_marker_no_longer_holds_a_notification_back(aws: AwsEnv) -> None:
    sns = RecordingSns()
    now = [1_000_000.0]
    notifications = service(aws, sns, clock=lambda: now[0])
    notifications.cancellation_notice(ORDER)

    now[0] += 7 * 24 * 3600 + 1  # past the marker's TTL (DynamoDB deletes such items lazily)
    notifications.cancellation_notice(ORDER)

    assert [effect for effect, _, _ in sns.effects()] == ["cancellation_notice", "cancellation_notice"]
