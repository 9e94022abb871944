"""Order processing on the streams, on moto: the API writes, the stream Lambdas react.

Every test feeds the projector and the data-sync Lambda the real records read from moto's
streams (StreamPump), and reads notifications from an SQS queue subscribed to the topic.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.config import Config

from shop.notifications import NotificationType, notification_id
from shop.wiring import shop
from tests.integration.conftest import REGION, AwsEnv
from tests.support.streams import StreamPump, build_pump

ADDRESS = {"street": "123 Main St", "city": "Tokyo", "postalCode": "100-0001", "country": "JP"}


@pytest.fixture
def pump(aws: AwsEnv) -> StreamPump:
    # moto routes the streams API only without account-based endpoints (docs/design.md, test tiers).
    streams = boto3.client("dynamodbstreams", region_name=REGION, config=Config(account_id_endpoint_mode="disabled"))
    return build_pump(aws.client, streams, aws.tables.command, aws.tables.data)


class Inbox:
    """An SQS queue subscribed to the notification topic (raw delivery keeps the attributes)."""

    def __init__(self, topic_arn: str) -> None:
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.url = self.sqs.create_queue(QueueName="notifications-inbox")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        boto3.client("sns", region_name=REGION).subscribe(
            TopicArn=topic_arn, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
        )
        self.messages: list[dict[str, Any]] = []

    def receive(self) -> list[dict[str, Any]]:
        """Every message delivered so far (accumulated), each as {attributes, body}."""
        for _ in range(100):
            response = self.sqs.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=0
            )
            batch = response.get("Messages", [])
            if not batch:
                break
            for message in batch:
                attributes = {k: v["StringValue"] for k, v in message.get("MessageAttributes", {}).items()}
                self.messages.append({"attributes": attributes, "body": json.loads(message["Body"])})
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return self.messages

    def types(self, order_code: str | None = None) -> list[str]:
        return [
            m["attributes"]["type"]
            for m in self.receive()
            if order_code is None or m["attributes"]["orderCode"] == order_code
        ]


@pytest.fixture
def inbox(aws: AwsEnv) -> Inbox:
    return Inbox(aws.topic_arn)


def add_product(api: Any, code: str, stock: int, price: str = "29.99") -> None:
    body = {"code": code, "name": f"Product {code}", "categoryCode": "CAT", "sku": f"SKU-{code}"}
    assert api("POST", "/products", {**body, "price": price, "currency": "USD"}).status == 201
    assert api("PATCH", f"/inventory/{code}", {"version": 0, "quantity": stock}).status == 200


def place_order(api: Any, lines: dict[str, int]) -> str:
    body = {
        "customerId": "CUST-001",
        "items": [{"productCode": code, "quantity": quantity} for code, quantity in lines.items()],
        "shippingAddress": ADDRESS,
        "paymentMethod": "credit_card",
    }
    result = api("POST", "/orders", body)
    assert result.status == 201, result.body
    return str(result.body["code"])


def set_status(api: Any, code: str, status: str) -> Any:
    return api("PATCH", f"/orders/{code}/status", {"status": status})


def stock(api: Any, code: str) -> tuple[int, int]:
    attributes = api("GET", f"/inventory/{code}").body["attributes"]
    return int(attributes["quantity"]), int(attributes["reservedQuantity"])


def order(api: Any, code: str) -> dict[str, Any]:
    return dict(api("GET", f"/orders/{code}").body)


def test_full_lifecycle_moves_stock_and_notifies_once_per_step(
    api: Any, aws: AwsEnv, pump: StreamPump, inbox: Inbox
) -> None:
    # Given 10 units of PRD-001 and 5 of PRD-002
    add_product(api, "PRD-001", 10)
    add_product(api, "PRD-002", 5)
    pump.drain()

    # When an order for 2 + 1 units is placed and the streams run
    code = place_order(api, {"PRD-001": 2, "PRD-002": 1})
    pump.drain()

    # Then both lines are reserved, and the order records it
    assert stock(api, "PRD-001") == (10, 2)
    assert stock(api, "PRD-002") == (5, 1)
    assert order(api, code)["attributes"]["inventoryStatus"] == "reserved"
    assert inbox.types(code) == ["order_confirmation"]

    # When it is confirmed and processed: stock does not move
    for status in ("confirmed", "processing"):
        assert set_status(api, code, status).status == 200
        pump.drain()
    assert stock(api, "PRD-001") == (10, 2)

    # When it ships: the reserved units leave the stock
    assert set_status(api, code, "shipped").status == 200
    pump.drain()
    assert stock(api, "PRD-001") == (8, 0)
    assert stock(api, "PRD-002") == (4, 0)
    assert order(api, code)["attributes"]["inventoryStatus"] == "deducted"

    # When it is delivered
    assert set_status(api, code, "delivered").status == 200
    pump.drain()
    assert stock(api, "PRD-001") == (8, 0)
    assert inbox.types(code) == ["order_confirmation", "shipping_notification", "delivery_confirmation"]

    # And every notification is JSON with the filterable attributes and its deterministic id
    first = inbox.messages[0]
    assert first["attributes"] == {
        "type": "order_confirmation",
        "tenantCode": "shop-a",
        "orderCode": code,
        "notificationId": notification_id("shop-a", code, NotificationType.ORDER_CONFIRMATION),
    }
    assert first["body"]["orderCode"] == code
    assert first["body"]["total"] == "98.97"  # 3 x 29.99 = 89.97 + 10 % tax 9.00, exact as a string
    assert first["body"]["items"] == [
        {"productCode": "PRD-001", "quantity": 2},
        {"productCode": "PRD-002", "quantity": 1},
    ]

    # And the inventory's history names the order behind each movement
    history = api("GET", "/inventory/PRD-001")  # the current record carries the last movement
    assert history.body["attributes"]["lastMovement"] == {"type": "deduct", "orderCode": code, "quantity": 2}
    versions = shop().core.history.versions("TENANT#shop-a", "INVENTORY#PRD-001")
    movements = [v.attributes.get("lastMovement") for v in versions]
    assert movements[1:] == [
        {"type": "reserve", "orderCode": code, "quantity": 2},
        {"type": "deduct", "orderCode": code, "quantity": 2},
    ]


def test_cancel_after_reservation_releases_it(api: Any, pump: StreamPump, inbox: Inbox) -> None:
    add_product(api, "PRD-001", 10)
    code = place_order(api, {"PRD-001": 2})
    pump.drain()
    assert stock(api, "PRD-001") == (10, 2)

    assert set_status(api, code, "cancelled").status == 200
    pump.drain()

    assert stock(api, "PRD-001") == (10, 0)
    assert order(api, code)["attributes"]["inventoryStatus"] == "released"
    assert inbox.types(code) == ["order_confirmation", "cancellation_notice"]


def test_two_line_order_with_one_short_line_reserves_nothing(
    api: Any, aws: AwsEnv, pump: StreamPump, inbox: Inbox
) -> None:
    # Given plenty of PRD-001 but a single PRD-002
    add_product(api, "PRD-001", 10)
    add_product(api, "PRD-002", 1)
    pump.drain()
    versions_before = {c: api("GET", f"/inventory/{c}").body["version"] for c in ("PRD-001", "PRD-002")}

    # When an order wants 2 of the first and 3 of the second
    code = place_order(api, {"PRD-001": 2, "PRD-002": 3})
    pump.drain()

    # Then nothing at all is reserved (not even the line that had stock)
    assert stock(api, "PRD-001") == (10, 0)
    assert stock(api, "PRD-002") == (1, 0)
    assert {c: api("GET", f"/inventory/{c}").body["version"] for c in versions_before} == versions_before
    attributes = order(api, code)["attributes"]
    assert attributes["inventoryStatus"] == "failed"
    assert attributes["inventoryFailure"]["lines"] == [{"productCode": "PRD-002", "requested": 3, "available": 1}]
    assert "PRD-002" in attributes["inventoryFailure"]["reason"]

    # And operations get the alert (order, tenant, reason), the customer the confirmation
    assert inbox.types(code) == ["inventory_reservation_failed", "order_confirmation"]
    alert = inbox.messages[0]["body"]
    assert (alert["orderCode"], alert["tenantCode"]) == (code, "shop-a")
    assert alert["reason"] == attributes["inventoryFailure"]["reason"]

    # And the order may only be cancelled, which releases nothing
    refused = set_status(api, code, "confirmed")
    assert refused.status == 400
    assert "reservation failed" in refused.body["message"]
    assert set_status(api, code, "cancelled").status == 200
    pump.drain()
    assert stock(api, "PRD-002") == (1, 0)
    assert order(api, code)["attributes"]["inventoryStatus"] == "failed"
    assert inbox.types(code)[-1] == "cancellation_notice"


def test_order_cancelled_before_its_reservation_ran_reserves_nothing(api: Any, pump: StreamPump, inbox: Inbox) -> None:
    add_product(api, "PRD-001", 10)
    pump.drain()

    # The order is cancelled before the data-sync Lambda sees its creation
    code = place_order(api, {"PRD-001": 2})
    assert set_status(api, code, "cancelled").status == 200
    pump.drain()

    # Its creation record is handled on the current order: nothing reserved, no confirmation
    assert stock(api, "PRD-001") == (10, 0)
    assert order(api, code)["attributes"]["inventoryStatus"] == "skipped"
    assert inbox.types(code) == ["cancellation_notice"]


def test_an_order_is_processed_only_once_its_stock_is_reserved(api: Any, pump: StreamPump, inbox: Inbox) -> None:
    add_product(api, "PRD-001", 10)
    pump.drain()

    # A client faster than the data-sync: confirming is allowed, processing waits for the stock
    code = place_order(api, {"PRD-001": 3})
    assert set_status(api, code, "confirmed").status == 200
    early = set_status(api, code, "processing")
    assert early.status == 409, early.body
    assert (early.body["field"], early.body["inventoryStatus"]) == ("inventoryStatus", "pending")
    assert "inventoryStatus is 'pending'" in early.body["message"]
    assert order(api, code)["attributes"]["status"] == "confirmed"

    # Once the reservation has run, the same request succeeds and the shipment deducts once
    pump.drain()
    for status in ("processing", "shipped"):
        assert set_status(api, code, status).status == 200
    pump.drain()
    assert stock(api, "PRD-001") == (7, 0)
    assert order(api, code)["attributes"]["inventoryStatus"] == "deducted"
    assert inbox.types(code) == ["order_confirmation", "shipping_notification"]


def shipped_behind_the_apis_back(api: Any, code: str) -> None:
    """An order made `shipped` with its reservation still pending, as only a writer that skips the
    API's rule could (an import, an older version of the API): the data-sync must hold the rule."""
    from cqrs.context import UserContext

    current = order(api, code)
    ctx = UserContext.system("shop-a", "import")
    shop().core.commands.publish_partial_update(
        current["pk"], current["sk"], current["version"], {"status": "shipped"}, ctx
    )


def test_the_data_sync_deducts_a_shipment_that_skipped_the_reservation_when_stock_allows(
    api: Any, pump: StreamPump, inbox: Inbox
) -> None:
    add_product(api, "PRD-001", 10)
    pump.drain()
    code = place_order(api, {"PRD-001": 3})
    shipped_behind_the_apis_back(api, code)
    pump.drain()

    assert stock(api, "PRD-001") == (7, 0)
    assert order(api, code)["attributes"]["inventoryStatus"] == "deducted"
    assert inbox.types(code) == ["order_confirmation", "shipping_notification"]


def test_the_data_sync_never_records_a_shipment_without_stock_as_fine(api: Any, pump: StreamPump, inbox: Inbox) -> None:
    add_product(api, "PRD-001", 2)
    pump.drain()
    code = place_order(api, {"PRD-001": 3})
    shipped_behind_the_apis_back(api, code)
    pump.drain()

    # Nothing deducted, the order says why, operators get the alert, the customer no shipping notice
    assert stock(api, "PRD-001") == (2, 0)
    attributes = order(api, code)["attributes"]
    assert (attributes["status"], attributes["inventoryStatus"]) == ("shipped", "failed")
    assert attributes["inventoryFailure"]["lines"] == [{"productCode": "PRD-001", "requested": 3, "available": 2}]
    assert inbox.types(code) == ["inventory_reservation_failed", "order_confirmation"]
