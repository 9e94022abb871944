"""Customer e-mails about an order, built from the templates in `shop/mail_templates/` (pure).

Each customer-facing event has a subject naming the event and the order code, and a plain-text
and an HTML template (`<event>.txt`, `<event>.html`, `string.Template` placeholders such as
`$order_code`). `build_message` renders both into one RFC 5322 message with the standard `email`
package: `multipart/alternative`, text first, HTML second (mail clients show the last part they
can render). Every value put into the HTML part is escaped; header values come from validated
addresses and generated codes only.
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from email.message import EmailMessage
from email.utils import format_datetime
from enum import StrEnum
from functools import cache
from pathlib import Path
from string import Template
from typing import Any

from cqrs.items import Item
from shop.money import round_money

TEMPLATE_DIR = Path(__file__).resolve().parent / "mail_templates"
_MAIL_NAMESPACE = uuid.UUID("0d8a3e55-6b7e-4c39-8d7c-3a4f0f3b9e21")


class MailEvent(StrEnum):
    """The order events a customer hears about, one e-mail each."""

    PLACED = "placed"
    CONFIRMED = "confirmed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


_SUBJECTS = {
    MailEvent.PLACED: "Your order {code} has been placed",
    MailEvent.CONFIRMED: "Your order {code} has been confirmed",
    MailEvent.SHIPPED: "Your order {code} has shipped",
    MailEvent.DELIVERED: "Your order {code} has been delivered",
    MailEvent.CANCELLED: "Your order {code} has been cancelled",
}


def subject(event: MailEvent, order_code: str) -> str:
    return _SUBJECTS[event].format(code=order_code)


def mail_id(tenant_code: str, order_code: str, event: MailEvent) -> str:
    """Deterministic: one id per (tenant, order, event), the key of the exactly-once send."""
    return str(uuid.uuid5(_MAIL_NAMESPACE, f"{tenant_code}/{order_code}/{event.value}"))


@cache
def _template(event: MailEvent, kind: str) -> Template:
    return Template((TEMPLATE_DIR / f"{event.value}.{kind}").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class OrderMail:
    """What one e-mail says, before it is rendered: the order as it is when the event is handled."""

    event: MailEvent
    tenant_code: str
    order_code: str
    recipient: str
    sender: str
    values: Mapping[str, str]

    @property
    def id(self) -> str:
        return mail_id(self.tenant_code, self.order_code, self.event)

    @property
    def subject(self) -> str:
        return subject(self.event, self.order_code)


def order_mail(event: MailEvent, order: Item, recipient: str, sender: str) -> OrderMail:
    """The e-mail about `event` for `order` (its lines, total and address as text)."""
    attributes = order.attributes
    currency = str(attributes.get("currency", "USD"))
    total = attributes.get("total")
    lines = [
        (int(line.get("quantity", 0)), str(line.get("name") or line.get("productCode")), str(line.get("productCode")))
        for line in attributes.get("items") or []
    ]
    address = attributes.get("shippingAddress") or {}
    values = {
        "order_code": order.code,
        "status": str(attributes.get("status", "")),
        "currency": currency,
        "total": "" if total is None else str(round_money(Decimal(str(total)), currency)),
        "lines_text": "\n".join(f"- {quantity} x {name} ({code})" for quantity, name, code in lines),
        "lines_html": "\n".join(
            f"<li>{quantity} &times; {html.escape(name)} ({html.escape(code)})</li>" for quantity, name, code in lines
        ),
        "ship_to": ", ".join(str(address[key]) for key in ("city", "country") if address.get(key)),
        "shop_name": order.tenant_code,
    }
    return OrderMail(event, order.tenant_code, order.code, recipient, sender, values)


def build_message(mail: OrderMail, sent_at: datetime) -> EmailMessage:
    """The RFC 5322 message: From, To, Subject, Date, Message-ID, a text and an HTML part."""
    values: dict[str, Any] = {"subject": mail.subject, **mail.values}
    escaped = {key: value if key == "lines_html" else html.escape(str(value)) for key, value in values.items()}
    message = EmailMessage()
    message["From"] = mail.sender
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(sent_at)
    # The same (order, event) always carries the same Message-ID: a copy is recognizable as one.
    message["Message-ID"] = f"<{mail.id}@{mail.sender.rpartition('@')[2] or 'localhost'}>"
    message.set_content(_template(mail.event, "txt").substitute(values))
    message.add_alternative(_template(mail.event, "html").substitute(escaped), subtype="html")
    return message
