"""The four DynamoDB tables (docs/design.md, keys and tables): command (the log and the history), data,
sequences, idempotency."""

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
        self._add_list_indexes(self.data)
        self.sequences = self._table("Sequences")
        self.idempotency = self._table(
            "Idempotency",
            partition_key=names.IDEMPOTENCY_KEY,
            sort_key=None,
            ttl_attribute=names.IDEMPOTENCY_TTL_ATTRIBUTE,
        )

    @property
    def all(self) -> tuple[dynamodb.Table, ...]:
        return (self.command, self.data, self.sequences, self.idempotency)

    @staticmethod
    def _add_list_indexes(table: dynamodb.Table) -> None:
        """The list indexes of the data table (see `cqrs.indexes` and `shop.listing`).

        Global, not local: a local index would cap each tenant's partition at 10 GB and stop
        DynamoDB from splitting a hot tenant's partition. KEYS_ONLY: a change that leaves an item's
        index keys alone costs the index no write; pages read the items from the table.
        """
        for index_name, partition_key in names.DATA_LIST_INDEXES:
            table.add_global_secondary_index(
                index_name=index_name,
                partition_key=dynamodb.Attribute(name=partition_key, type=_STRING),
                sort_key=dynamodb.Attribute(name=names.DATA_LIST_INDEX_SORT_KEY, type=_STRING),
                projection_type=dynamodb.ProjectionType.KEYS_ONLY,
            )

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
