"""The five DynamoDB tables (docs/design.md, keys and tables): command, data, history, sequences, idempotency."""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from infra import names
from infra.config import StageConfig

_STRING = dynamodb.AttributeType.STRING


class Tables(Construct):
    """On-demand, point-in-time recovery, encrypted with the AWS managed key (aws/dynamodb).

    The AWS managed key keeps KMS statements out of the functions' policies and key grants away from
    the stream consumers; a customer-managed key would add cost and grants for no gain here.
    `stage=prod` turns on deletion protection and keeps the tables when the stack is deleted.
    """

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        streamed = dynamodb.StreamViewType.NEW_AND_OLD_IMAGES
        self.command = self._table("Command", stream=streamed)
        self.data = self._table("Data", stream=streamed)
        self.history = self._table("History")
        self.sequences = self._table("Sequences")
        self.idempotency = self._table(
            "Idempotency",
            partition_key=names.IDEMPOTENCY_KEY,
            sort_key=None,
            ttl_attribute=names.IDEMPOTENCY_TTL_ATTRIBUTE,
        )

    @property
    def all(self) -> tuple[dynamodb.Table, ...]:
        return (self.command, self.data, self.history, self.sequences, self.idempotency)

    def _table(
        self,
        construct_id: str,
        *,
        partition_key: str = names.PARTITION_KEY,
        sort_key: str | None = names.SORT_KEY,
        stream: dynamodb.StreamViewType | None = None,
        ttl_attribute: str | None = None,
    ) -> dynamodb.Table:
        return dynamodb.Table(
            self,
            construct_id,
            partition_key=dynamodb.Attribute(name=partition_key, type=_STRING),
            sort_key=dynamodb.Attribute(name=sort_key, type=_STRING) if sort_key else None,
            stream=stream,
            time_to_live_attribute=ttl_attribute,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            deletion_protection=self._config.is_prod,
            removal_policy=self._config.removal_policy,
        )
