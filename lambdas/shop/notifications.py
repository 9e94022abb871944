"""Order notifications: JSON messages to one SNS topic, each sent at most once per effect.

Every message carries the message attributes `type`, `tenantCode`, `orderCode` and
`notificationId`, so subscribers can filter on them (SNS filter policies) and de-duplicate.

Streams deliver records at least once, so the same effect may be asked for several times. The
notification id is derived only from (tenant, order, effect), and a notification is published at
most once per id through `shop.sent_markers` (read the marker, publish, write the marker): what
that guarantees, and the window it leaves, is said there. Subscribers can drop a copy published
in that window by its `notificationId`.

Money travels as strings ("65.98"), exact at the currency's minor unit: never through float.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from cqrs.items import Item
from shop.money import round_money
from shop.sent_markers import SentMarkers

MARKER_KIND = "notification"  # the idempotency table's `notification#<notificationId>` items
_ID_NAMESPACE = uuid.UUID("5b0c3f0e-8d4e-4f4a-9a57-6f0d6c1f2a10")


class NotificationType(StrEnum):
    ORDER_CONFIRMATION = "order_confirmation"
    INVENTORY_RESERVATION_FAILED = "inventory_reservation_failed"  # an alert for the operations team
    CANCELLATION_NOTICE = "cancellation_notice"
    SHIPPING_NOTIFICATION = "shipping_notification"
    DELIVERY_CONFIRMATION = "delivery_confirmation"


def notification_id(tenant_code: str, order_code: str, kind: NotificationType) -> str:
    """Deterministic: the same (tenant, order, effect) always gives the same id (a UUIDv5)."""
    return str(uuid.uuid5(_ID_NAMESPACE, f"{tenant_code}/{order_code}/{kind.value}"))


@dataclass(frozen=True)
class Notification:
    type: NotificationType
    tenant_code: str
    order_code: str
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return notification_id(self.tenant_code, self.order_code, self.type)

    def message(self) -> dict[str, Any]:
        return {
            "type": self.type.value,
            "notificationId": self.id,
            "tenantCode": self.tenant_code,
            "orderCode": self.order_code,
            **self.details,
        }

    def attributes(self) -> dict[str, dict[str, str]]:
        values = {
            "type": self.type.value,
            "tenantCode": self.tenant_code,
            "orderCode": self.order_code,
            "notificationId": self.id,
        }
        return {name: {"DataType": "String", "StringValue": value} for name, value in values.items()}


def order_details(order: Item) -> dict[str, Any]:
    """What every order notification tells: who, what, how much, where it stands."""
    attributes = order.attributes
    currency = str(attributes.get("currency", "USD"))

    def money(value: Any) -> str | None:
        return None if value is None else str(round_money(Decimal(str(value)), currency))

    return {
        "customerId": attributes.get("customerId"),
        "status": attributes.get("status"),
        "inventoryStatus": attributes.get("inventoryStatus"),
        "currency": currency,
        "total": money(attributes.get("total")),
        "items": [
            {"productCode": line.get("productCode"), "quantity": int(line.get("quantity", 0))}
            for line in attributes.get("items") or []
        ],
        "version": order.version,
    }


class NotificationService:
    """The one way the shop notifies: `send` publishes a `Notification` to the topic, once."""

    def __init__(self, sns_client: Any, topic_arn: str, markers: SentMarkers) -> None:
        """`markers`: a `SentMarkers` of kind `MARKER_KIND`."""
        self._sns = sns_client
        self._topic_arn = topic_arn
        self._markers = markers

    def send(self, notification: Notification) -> dict[str, Any]:
        """Publish once per notification id; later calls return the first send's result."""
        previous = self._markers.sent(notification.id)
        if previous is not None:
            return {"notificationId": notification.id, "messageId": previous.message_id}
        response = self._sns.publish(
            TopicArn=self._topic_arn,
            Message=json.dumps(notification.message(), separators=(",", ":"), default=_exact),
            MessageAttributes=notification.attributes(),
        )
        message_id = response.get("MessageId")
        self._markers.mark(notification.id, message_id)
        return {"notificationId": notification.id, "messageId": message_id}

    # One method per effect of the order lifecycle.

    def order_confirmation(self, order: Item) -> dict[str, Any]:
        return self.send(self._about(order, NotificationType.ORDER_CONFIRMATION))

    def inventory_reservation_failed(self, order: Item, reason: str) -> dict[str, Any]:
        failure = order.attributes.get("inventoryFailure") or {}
        return self.send(
            self._about(
                order,
                NotificationType.INVENTORY_RESERVATION_FAILED,
                reason=reason,
                lines=list(failure.get("lines") or []),
            )
        )

    def cancellation_notice(self, order: Item) -> dict[str, Any]:
        return self.send(self._about(order, NotificationType.CANCELLATION_NOTICE))

    def shipping_notification(self, order: Item) -> dict[str, Any]:
        return self.send(self._about(order, NotificationType.SHIPPING_NOTIFICATION))

    def delivery_confirmation(self, order: Item) -> dict[str, Any]:
        return self.send(self._about(order, NotificationType.DELIVERY_CONFIRMATION))

    @staticmethod
    def _about(order: Item, kind: NotificationType, **extra: Any) -> Notification:
        return Notification(kind, order.tenant_code, order.code, {**order_details(order), **extra})


def _exact(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
