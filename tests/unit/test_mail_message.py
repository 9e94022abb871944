"""Customer e-mails rendered from the repository's templates (pure: no AWS)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from email import message_from_bytes, policy
from typing import Any

import pytest
from pydantic import ValidationError

from cqrs.items import Item
from harness.seed import order_body
from shop.mail_message import MailEvent, build_message, mail_id, order_mail
from shop.models import CreateOrderRequest

SENT_AT = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


def order(code: str = "ORD-000001", **attributes: Any) -> Item:
    return Item(
        pk="TENANT#shop-a",
        sk=f"ORDER#{code}",
        code=code,
        name=f"Order {code}",
        tenant_code="shop-a",
        version=3,
        attributes={
            "customerEmail": "jane@example.com",
            "items": [{"productCode": "PRD-001", "name": "Wireless <Mouse>", "quantity": 2, "price": Decimal("29.99")}],
            "shippingAddress": {"street": "1 Main St", "city": "Tokyo", "postalCode": "100", "country": "JP"},
            "currency": "USD",
            "total": Decimal("65.98"),
            "status": "shipped",
            **attributes,
        },
        created_at="2026-12-02T09:00:00.000Z",
        created_by="u",
        updated_at="2026-12-02T09:00:00.000Z",
        updated_by="u",
    )


@pytest.mark.parametrize(
    ("event", "subject"),
    [
        (MailEvent.PLACED, "Your order ORD-000001 has been placed"),
        (MailEvent.CONFIRMED, "Your order ORD-000001 has been confirmed"),
        (MailEvent.SHIPPED, "Your order ORD-000001 has shipped"),
        (MailEvent.DELIVERED, "Your order ORD-000001 has been delivered"),
        (MailEvent.CANCELLED, "Your order ORD-000001 has been cancelled"),
    ],
)
def test_each_event_has_its_subject_and_both_parts(event: MailEvent, subject: str) -> None:
    # Given an order with an address, When its e-mail for `event` is built and parsed back
    raw = build_message(order_mail(event, order(), "jane@example.com", "orders@shop.example"), SENT_AT).as_bytes()
    parsed = message_from_bytes(raw, policy=policy.default)

    # Then it is one RFC 5322 message with every header and a text and an HTML part
    assert parsed["Subject"] == subject
    assert parsed["From"] == "orders@shop.example"
    assert parsed["To"] == "jane@example.com"
    assert parsed["Date"] == "Wed, 02 Dec 2026 09:30:00 +0000"
    assert parsed["Message-ID"] == f"<{mail_id('shop-a', 'ORD-000001', event)}@shop.example>"
    assert parsed.get_content_type() == "multipart/alternative"
    text = parsed.get_body(preferencelist=("plain",))
    html = parsed.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert "ORD-000001" in text.get_content()
    assert "- 2 x Wireless <Mouse> (PRD-001)" in text.get_content()
    assert "Total: 65.98 USD" in text.get_content()
    assert "<strong>ORD-000001</strong>" in html.get_content()


def test_html_part_escapes_what_the_order_holds() -> None:
    mail = order_mail(MailEvent.SHIPPED, order(), "jane@example.com", "orders@shop.example")
    html = build_message(mail, SENT_AT).get_body(preferencelist=("html",))
    assert html is not None
    body = html.get_content()
    assert "<li>2 &times; Wireless &lt;Mouse&gt; (PRD-001)</li>" in body
    assert "<Mouse>" not in body
    assert "It is on its way to Tokyo, JP." in body


def test_mail_id_is_one_per_tenant_order_and_event() -> None:
    assert mail_id("shop-a", "ORD-000001", MailEvent.SHIPPED) == mail_id("shop-a", "ORD-000001", MailEvent.SHIPPED)
    others = {
        mail_id("shop-b", "ORD-000001", MailEvent.SHIPPED),
        mail_id("shop-a", "ORD-000002", MailEvent.SHIPPED),
        mail_id("shop-a", "ORD-000001", MailEvent.DELIVERED),
    }
    assert mail_id("shop-a", "ORD-000001", MailEvent.SHIPPED) not in others
    assert len(others) == 3


def test_customer_email_is_optional_and_validated() -> None:
    assert CreateOrderRequest.model_validate(order_body(("PRD-001", 1))).customerEmail is None
    accepted = CreateOrderRequest.model_validate(order_body(("PRD-001", 1), customerEmail="jane.doe+1@mail.example.co"))
    assert accepted.customerEmail == "jane.doe+1@mail.example.co"
    for bad in ("jane", "jane@", "@example.com", "jane@example", "a b@example.com", "jane@example.com\r\nBcc: x@y.z"):
        with pytest.raises(ValidationError) as raised:
            CreateOrderRequest.model_validate(order_body(("PRD-001", 1), customerEmail=bad))
        assert raised.value.errors()[0]["loc"] == ("customerEmail",), bad
    with pytest.raises(ValidationError):
        CreateOrderRequest.model_validate(order_body(("PRD-001", 1), customerEmail="a" * 250 + "@example.com"))
