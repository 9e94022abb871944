"""Customer-managed KMS keys for the stack's SNS topics.

A customer-managed key (rather than aws/sns) lets the key policy name exactly who may encrypt for
a topic, and CloudWatch alarms can publish to an encrypted topic only with such a key.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.config import StageConfig


def topic_key(scope: Construct, construct_id: str, *, description: str, config: StageConfig) -> kms.Key:
    """A rotating key; kept with a prod stack, removed (after 7 days) with any other."""
    return kms.Key(
        scope,
        construct_id,
        description=description,
        enable_key_rotation=True,
        pending_window=Duration.days(7),
        removal_policy=config.removal_policy,
    )
