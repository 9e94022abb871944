"""Customer e-mail: the SES identity the shop sends from, and the one grant to send from it."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_ses as ses
from constructs import Construct

from infra.config import StageConfig


class CustomerMail(Construct):
    """An SES e-mail identity for the stack's default sender (context `mailSender`).

    Deploying it makes SES send a verification link to that address; until it is clicked (and
    while the account is in the SES sandbox, for every recipient too) SES refuses to send.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.sender = config.mail_sender
        self.identity = ses.EmailIdentity(self, "SenderIdentity", identity=ses.Identity.email(config.mail_sender))

    def grant_send(self, grantee: iam.IGrantable) -> iam.Grant:
        """`ses:SendEmail` and `ses:SendRawEmail` on this identity only (SES v2 `SendEmail` with
        Raw content is authorized as both)."""
        return self.identity.grant_send_email(grantee)
