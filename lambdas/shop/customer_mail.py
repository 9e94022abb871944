"""Customer e-mail through Amazon SES v2: one e-mail per (order, event), sent from the data stream.

An order with a `customerEmail` gets an e-mail when it is placed, confirmed, shipped, delivered
or cancelled (`shop.mail_message` builds it). The message goes to SES v2 `SendEmail` as Raw
content (the MIME text the `email` package wrote, so both parts and every header arrive as built).

Exactly once, and what is guaranteed when it cannot be
------------------------------------------------------
The mail id is derived from (tenant, order, event) only, and the send goes through
`shop.sent_markers` like every side effect of the stream: read the id's marker, send, write the
marker. A redelivered record (or another record asking for the same e-mail) finds the marker and
sends nothing; a send that raises writes no marker, so the retry sends it: no e-mail is lost. If
SES accepts the message and the function dies before the marker is written, the retry sends it a
second time. So the guarantee is **at least once, and exactly once unless the function dies in
the window between SES's answer and one DynamoDB write**. SES v2 takes no idempotency token that
could close that window; it is kept as small as it can be: the message is rendered and the
sender resolved before the marker is read, nothing but the marker follows the send, and the SES
client makes one attempt per call (an SDK retry after a read time-out could re-send a message
SES had accepted: the stream's own retry, which goes through the marker, takes its place). The
message's `Message-ID` is derived from the mail id, so a copy is recognizable as one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cqrs.clock import Clock, utc_now
from cqrs.items import Item
from shop.mail_message import MailEvent, OrderMail, build_message, order_mail
from shop.sent_markers import SentMarkers

MARKER_KIND = "mail"  # the idempotency table's `mail#<mailId>` items


class SesV2Transport:
    """Sends a rendered message with SES v2 `SendEmail` (Raw content); returns SES's MessageId."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def send(self, mail: OrderMail, raw: bytes) -> str:
        response = self._client.send_email(
            FromEmailAddress=mail.sender,
            Destination={"ToAddresses": [mail.recipient]},
            Content={"Raw": {"Data": raw}},
        )
        return str(response["MessageId"])


class CustomerMail:
    """The one way the shop e-mails customers: `send(event, order)`, at most one e-mail per
    (order, event) in every case but the window described in the module docstring."""

    def __init__(
        self,
        transport: SesV2Transport,
        markers: SentMarkers,
        *,
        sender: Callable[[str], str],
        clock: Clock = utc_now,
    ) -> None:
        """`markers`: a `SentMarkers` of kind `MARKER_KIND`; `sender(tenant_code)`: the From address."""
        self._transport = transport
        self._markers = markers
        self._sender = sender
        self._clock = clock

    def send(self, event: MailEvent, order: Item) -> dict[str, Any] | None:
        """E-mail the order's customer about `event`, once; None when the order has no address."""
        recipient = order.attributes.get("customerEmail")
        if not recipient:
            return None
        mail = order_mail(event, order, str(recipient), self._sender(order.tenant_code))
        raw = build_message(mail, self._clock()).as_bytes()
        previous = self._markers.sent(mail.id)
        if previous is not None:
            return {"mailId": mail.id, "messageId": previous.message_id}
        message_id = self._transport.send(mail, raw)
        self._markers.mark(mail.id, message_id)  # nothing else between the send and the marker
        return {"mailId": mail.id, "messageId": message_id}
