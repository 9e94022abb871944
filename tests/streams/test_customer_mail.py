"""Customer e-mail on DynamoDB Local's accurate streams: one e-mail per (order, event), also when
every stream record is delivered again.

The data-sync function sends with a real boto3 `sesv2` client to the local SES endpoint
(`local.mail.LocalSes`, loopback), which writes each message it accepts as one `.eml` file: the
files are what a customer would have received.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from cqrs.context import UserContext
from harness.seed import add_stocked_product, order_body
from harness.streams import LocalShop, failures, lambda_event, local_shop
from local.mail import LocalSes
from shop.mail_senders import SendingIdentities
from shop.models import CreateOrderRequest, UpdateStatusRequest
from shop.status import OrderStatus
from shop.tenant_models import CreateTenantRequest, SettingsIn
from shop.tenants import TenantService
from shop.wiring import Shop, build_customer_mail, build_data_sync, shop

pytestmark = pytest.mark.ddb_local
CTX = UserContext(tenant_code="shop-a", user_id="user-1")
SENDER = "orders@shop.example"
TENANT_DOMAIN = "shop-a.example"  # a domain identity of the stack: tenants' own senders may use it
OPERATOR = UserContext(tenant_code="common", user_id="operator-1")


class FlakySes:
    """A sesv2 client whose first `fail` sends raise, as SES does when it throttles."""

    def __init__(self, client: Any, fail: int) -> None:
        self._client = client
        self.fail = fail

    def send_email(self, **params: Any) -> Any:
        if self.fail > 0:
            self.fail -= 1
            raise RuntimeError("SES throttled the send")
        return self._client.send_email(**params)


@pytest.fixture
def ses(tmp_path: Path) -> Iterator[LocalSes]:
    server = LocalSes(tmp_path / "mail", identities=[SENDER, TENANT_DOMAIN])
    server.start()
    yield server
    server.stop()


@pytest.fixture
def flaky(
    ddb_local_env: str,
    ddb_local_client: Any,
    ddb_local_streams_client: Any,
    ses: LocalSes,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[LocalShop, FlakySes]:
    """The shop on DynamoDB Local whose data-sync function e-mails through `ses`."""
    from handlers import data_sync
    from shop import wiring

    monkeypatch.setenv("MAIL_SENDER", SENDER)
    monkeypatch.setenv("MAIL_DOMAINS", TENANT_DOMAIN)
    local = local_shop(ddb_local_client, ddb_local_streams_client, monkeypatch)
    client = FlakySes(boto3.client("sesv2", endpoint_url=ses.endpoint, region_name="us-east-1"), fail=0)
    mail = build_customer_mail(client, local.idempotency_table, wiring.dynamodb_client())
    notifications = wiring.build_notifications(
        local.sns, "arn:aws:sns:us-east-1:123456789012:notifications", local.idempotency_table, wiring.dynamodb_client()
    )
    registry = build_data_sync(wiring.shop().stock, notifications, mail)
    monkeypatch.setattr(data_sync, "data_sync", lambda: registry)
    return local, client


@pytest.fixture
def local(flaky: tuple[LocalShop, FlakySes]) -> LocalShop:
    return flaky[0]


def place(app: Shop, lines: dict[str, int], email: str | None) -> str:
    extra = {"customerEmail": email} if email else {}
    request = CreateOrderRequest.model_validate(order_body(*lines.items(), **extra))
    return str(app.orders.create_order(request, CTX).code)


def move(app: Shop, code: str, status: str) -> None:
    app.orders.update_status(code, UpdateStatusRequest(status=OrderStatus(status)), CTX)


def sent(ses: LocalSes, header: str = "To") -> list[tuple[str, str]]:
    """(`header`, Subject) of every message the local SES wrote, oldest first."""
    out = []
    for file in sorted(ses.mail.path.glob("*.eml")):
        message = message_from_bytes(file.read_bytes(), policy=policy.default)
        out.append((str(message[header]), str(message["Subject"])))
    return out


def register(tenants: TenantService, code: str, sender: str) -> None:
    settings = SettingsIn.model_validate({"notificationSender": sender})
    tenants.create(CreateTenantRequest(code=code, name=code, settings=settings), OPERATOR)


def test_one_email_per_event_and_none_again_on_replay(local: LocalShop, ses: LocalSes) -> None:
    app = shop()
    add_stocked_product(app, CTX, "PRD-001", 10)
    local.pump.drain()

    # Given an order with an address that goes through its whole life
    a = place(app, {"PRD-001": 2}, "jane@example.com")
    local.pump.drain()
    for status in ("confirmed", "processing", "shipped", "delivered"):
        move(app, a, status)
        local.pump.drain()
    # and one that is cancelled, and one without an address
    b = place(app, {"PRD-001": 1}, "joe@example.com")
    local.pump.drain()
    move(app, b, "cancelled")
    local.pump.drain()
    c = place(app, {"PRD-001": 1}, None)
    local.pump.drain()
    move(app, c, "confirmed")
    local.pump.drain()

    # Then each customer-facing event sent exactly one e-mail, in the order of the events
    expected = [
        ("jane@example.com", f"Your order {a} has been placed"),
        ("jane@example.com", f"Your order {a} has been confirmed"),
        ("jane@example.com", f"Your order {a} has shipped"),
        ("jane@example.com", f"Your order {a} has been delivered"),
        ("joe@example.com", f"Your order {b} has been placed"),
        ("joe@example.com", f"Your order {b} has been cancelled"),
    ]
    assert sent(ses) == expected

    # When every record is delivered again, three times over, then one by one newest first
    original = list(local.pump.fed)
    responses = local.pump.replay(times=3)
    for fed in reversed(original):
        for record in reversed(fed.event["Records"]):
            responses.append(local.pump.invoke(fed.function, {"Records": [record]}))

    # Then nothing failed and no e-mail was sent again
    assert all(not failures(r) for r in responses)
    assert Counter(sent(ses)) == Counter(expected)
    assert len(sent(ses)) == 6


def test_a_failed_send_is_retried_and_sent_once(flaky: tuple[LocalShop, FlakySes], ses: LocalSes) -> None:
    local, client = flaky
    app = shop()
    add_stocked_product(app, CTX, "PRD-001", 10)
    local.pump.drain()
    a = place(app, {"PRD-001": 1}, "jane@example.com")
    new_order = lambda_event(local.pump.data.read_new(), local.pump.data.arn)
    assert [r["eventName"] for r in new_order["Records"]] == ["INSERT"]

    # Given SES refuses the first send, When the data-sync function handles the new order
    client.fail = 1
    with pytest.raises(BatchProcessingError):  # every record of the batch failed: Lambda retries it
        local.pump.invoke("data_sync", new_order)

    # Then nothing was sent; the retry sends the e-mail, a further delivery nothing
    assert sent(ses) == []
    assert failures(local.pump.invoke("data_sync", new_order)) == []
    assert failures(local.pump.invoke("data_sync", new_order)) == []
    local.pump.drain()
    assert sent(ses) == [("jane@example.com", f"Your order {a} has been placed")]


def test_each_tenants_mail_comes_from_its_own_sender_or_else_the_stacks(local: LocalShop, ses: LocalSes) -> None:
    app = shop()
    # Given shop-a sends from an address at the stack's domain; shop-b's stored sender is at a domain
    # the stack no longer sends from (set while it did); shop-c has none
    register(app.tenants, "shop-a", "sales@shop-a.example")
    earlier_stack = SendingIdentities(default_sender=SENDER, domains=frozenset({"gone.example"}))
    register(TenantService(app.core, senders=earlier_stack), "shop-b", "sales@gone.example")
    codes = {}
    for tenant in ("shop-a", "shop-b", "shop-c"):
        ctx = UserContext(tenant_code=tenant, user_id="user-1")
        add_stocked_product(app, ctx, "PRD-001", 10)
        request = CreateOrderRequest.model_validate(order_body(("PRD-001", 1), customerEmail=f"buyer@{tenant}.test"))
        codes[tenant] = app.orders.create_order(request, ctx).code

    # When the data-sync function handles the new orders
    local.pump.drain()

    # Then each e-mail's From is its tenant's sender, the stack's where the tenant's cannot be used
    assert sorted(sent(ses, "From")) == sorted(
        [
            ("sales@shop-a.example", f"Your order {codes['shop-a']} has been placed"),
            (SENDER, f"Your order {codes['shop-b']} has been placed"),
            (SENDER, f"Your order {codes['shop-c']} has been placed"),
        ]
    )
