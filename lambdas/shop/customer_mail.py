"""Customer e-mail through Amazon SES v2: one e-mail per (order, event), sent from the data stream.

An order with a `customerEmail` gets an e-mail when it is placed, confirmed, shipped, delivered
or cancelled (`shop.mail_message` builds it). The message goes to SES v2 `SendEmail` as Raw
content (the MIME text the `email` package wrote, so both parts and every header arrive as built).

Exactly once, and what is guaranteed when it cannot be
------------------------------------------------------
The send is wrapped in Powertools' `idempotent_function`, keyed by the mail id derived from
(tenant, order, event) only, on the idempotency table:

1. a conditional put marks the id IN_PROGRESS (a second delivery of the same stream record, or
   another event's record asking for the same e-mail, finds it and sends nothing);
2. SES `SendEmail`;
3. the record is updated to COMPLETED (for `NOTIFICATION_MARKER_TTL_S`, longer than a stream
   record can be retried).

A send that raises deletes the marker, so the retried record sends it then: no e-mail is lost.
If SES accepts the message and the function dies before step 3, the marker stays IN_PROGRESS
until the invocation's deadline (`register_lambda_context`); a retry before then fails and is
retried later, a retry after it sends the e-mail a second time. So the guarantee is **at least
once, and exactly once unless the function dies in the window between SES's answer and the
completion write**. SES v2 has no idempotency token to close that window; it is kept as small as
it can be: the message is rendered and the sender resolved before step 1, nothing but the
completion write follows the send, and the SES client makes one attempt per call (an SDK retry
after a read time-out could re-send a message SES had accepted: the stream's own retry, which
goes through the marker, takes its place).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer

from cqrs.clock import Clock, utc_now
from cqrs.items import Item
from shop.mail_message import MailEvent, OrderMail, build_message, order_mail
from shop.notifications import NOTIFICATION_MARKER_TTL_S

_KEY_PREFIX = "shop.customer_mail"


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
        persistence: BasePersistenceLayer,
        *,
        sender: Callable[[str], str],
        clock: Clock = utc_now,
        expires_after_seconds: int = NOTIFICATION_MARKER_TTL_S,
    ) -> None:
        self._transport = transport
        self._sender = sender
        self._clock = clock
        self._config = IdempotencyConfig(
            event_key_jmespath="mailId",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=expires_after_seconds,
        )
        self._send_once: Callable[..., dict[str, Any]] = idempotent_function(
            self._send,
            data_keyword_argument="key",
            persistence_store=persistence,
            config=self._config,
            key_prefix=_KEY_PREFIX,
        )

    def register_lambda_context(self, context: Any) -> None:
        """An interrupted send's marker then expires with the invocation, not after the TTL."""
        self._config.register_lambda_context(context)

    def send(self, event: MailEvent, order: Item) -> dict[str, Any] | None:
        """E-mail the order's customer about `event`, once; None when the order has no address."""
        recipient = order.attributes.get("customerEmail")
        if not recipient:
            return None
        mail = order_mail(event, order, str(recipient), self._sender(order.tenant_code))
        raw = build_message(mail, self._clock()).as_bytes()
        return self._send_once(key={"mailId": mail.id}, mail=mail, raw=raw)

    def _send(self, key: dict[str, str], mail: OrderMail, raw: bytes) -> dict[str, Any]:
        # Nothing may follow the send but the completion write Powertools makes on return.
        return {"mailId": key["mailId"], "messageId": self._transport.send(mail, raw)}
