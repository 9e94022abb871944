"""Customer e-mail: the SES identities the shop sends from, and the one grant to send from them."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_ses as ses
from constructs import Construct

from infra.config import StageConfig


class CustomerMail(Construct):
    """An SES identity for the stack's default sender (context `mailSender`) and one per domain
    tenants' own senders may use (context `mailDomains`).

    Deploying an address identity makes SES send a verification link to that address; a domain
    identity is verified by the DKIM records SES lists for it (add them to the domain's DNS).
    Until then (and while the account is in the SES sandbox, for every recipient too) SES refuses
    to send from it.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.sender = config.mail_sender
        self.identity = ses.EmailIdentity(self, "SenderIdentity", identity=ses.Identity.email(config.mail_sender))
        self.domain_identities = [
            ses.EmailIdentity(self, f"DomainIdentity{index}", identity=ses.Identity.domain(domain))
            for index, domain in enumerate(config.mail_domains, start=1)
        ]

    def grant_send(self, grantee: iam.IGrantable) -> None:
        """`ses:SendEmail` and `ses:SendRawEmail` on these identities only (SES v2 `SendEmail`
        with Raw content is authorized as both)."""
        for identity in (self.identity, *self.domain_identities):
            identity.grant_send_email(grantee)
