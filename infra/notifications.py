"""The order-notification topic (confirmations, notices and alerts such as a failed reservation)."""

from __future__ import annotations

from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.config import StageConfig
from infra.encryption import topic_key


class Notifications(Construct):
    """One SNS topic, encrypted with its own customer-managed key and reachable only over TLS.

    A customer-managed key (rather than aws/sns) lets the key policy and the publisher's grant name
    exactly who may encrypt for this topic; only the data-sync function is granted it.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.key = topic_key(self, "Key", description="Encrypts the order notification topic", config=config)
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name="Order notifications",
            master_key=self.key,
            enforce_ssl=True,
        )
