"""Projection: apply one accepted command (a command-stream record) to the read model.

Idempotent and order-proof: the data table is only written when the command is newer than what
it holds, so a replayed, duplicated or out-of-order record never moves the read model back. The
command log itself is the history, so nothing else is written.

`CommandService` writes the read model right after the log, so the usual case is "already
current": one small read (half a read unit) decides it, instead of a write. The projector does
real work when a writer died between its two puts (a lost projection); a stale read only lets
the conditional write decide instead.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from botocore.exceptions import ClientError

from cqrs.dynamo import serialize
from cqrs.indexes import data_image
from cqrs.items import Item
from cqrs.keys import split_versioned_sk
from cqrs.settings import Tables


class Projection(Enum):
    APPLIED = "applied"  # the read model moved to this version
    ALREADY_CURRENT = "already_current"  # the read model already holds this version or a newer one


class Projector:
    def __init__(self, client: Any, tables: Tables) -> None:
        self._client = client
        self._tables = tables

    def apply(self, command_image: dict[str, Any]) -> Projection:
        """Project a deserialized command-table image (`sk` = `<sk>@<version>`)."""
        command = Item.from_dict(command_image)
        sk, version = split_versioned_sk(command.sk)
        if version != command.version:
            raise ValueError(f"command {command.sk} carries version {command.version}")
        if self._stored_version(command.pk, sk) >= version:
            return Projection.ALREADY_CURRENT
        current = command.with_sk(sk)
        try:
            self._client.put_item(
                TableName=self._tables.data,
                Item=serialize(data_image(current)),
                ConditionExpression="attribute_not_exists(pk) OR version < :version",
                ExpressionAttributeValues={":version": {"N": str(version)}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return Projection.ALREADY_CURRENT
            raise
        return Projection.APPLIED

    def _stored_version(self, pk: str, sk: str) -> int:
        response = self._client.get_item(
            TableName=self._tables.data,
            Key={"pk": {"S": pk}, "sk": {"S": sk}},
            ProjectionExpression="version",
        )
        stored = response.get("Item")
        return int(stored["version"]["N"]) if stored else 0
