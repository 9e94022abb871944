"""The From addresses customer e-mail may use, and the one each tenant's e-mail does use.

SES sends only from verified identities, and the data-sync's grant names exactly the stack's:
its own sender (context `mailSender`, an address identity) and every domain in context
`mailDomains` (domain identities: any address at the domain). A tenant's `notificationSender`
must be one of those addresses:

- an operator who sets another is refused with 422 (`settings.notificationSender`), naming what
  the stack can send from;
- a stored sender the stack can no longer send from (a domain removed from `mailDomains` after it
  was set) is replaced by the stack's sender at send time, with a warning in the log, so a
  customer's e-mail is never lost to a refused sender.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from aws_lambda_powertools import Logger

from cqrs.errors import ValidationError
from shop.tenant_settings import TenantSettings

MAIL_SENDER_ENV = "MAIL_SENDER"
MAIL_DOMAINS_ENV = "MAIL_DOMAINS"  # comma-separated
DEFAULT_SENDER = "orders@example.com"
SENDER_FIELD = "settings.notificationSender"

logger = Logger(child=True)


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


@dataclass(frozen=True)
class SendingIdentities:
    """What the stack may send from: its own sender and the addresses at its verified domains."""

    default_sender: str = DEFAULT_SENDER
    domains: frozenset[str] = frozenset()

    @classmethod
    def from_env(cls) -> SendingIdentities:
        domains = os.environ.get(MAIL_DOMAINS_ENV, "")
        return cls(
            default_sender=os.environ.get(MAIL_SENDER_ENV) or DEFAULT_SENDER,
            domains=frozenset(d.strip().lower() for d in domains.split(",") if d.strip()),
        )

    def allows(self, address: str) -> bool:
        return address.lower() == self.default_sender.lower() or domain_of(address) in self.domains

    def check(self, address: str | None) -> None:
        """Refuse (422) a tenant sender the stack cannot send from; None (the default) is fine."""
        if address is None or self.allows(address):
            return
        choices = self.default_sender
        if self.domains:
            choices += " or an address at " + ", ".join(sorted(self.domains))
        raise ValidationError(SENDER_FIELD, f"the stack sends only from {choices} (its SES identities)")

    def sender_for(self, tenant_code: str, settings: TenantSettings) -> str:
        """The tenant's own sender when it has one the stack can send from, else the stack's."""
        wanted = settings.notification_sender
        if wanted is None:
            return self.default_sender
        if not self.allows(wanted):
            logger.warning(
                "tenant sender is not a stack identity: using the stack's sender",
                extra={"tenant": tenant_code, "sender": wanted, "fallback": self.default_sender},
            )
            return self.default_sender
        return wanted
