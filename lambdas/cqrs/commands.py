"""Accepting commands: the optimistic lock, the no-op check and the synchronous publish.

The command table is the append-only log of every accepted version (`sk@version`, kept for good):
it is also the history (`cqrs.history` reads it), so no version is written twice. The data table
holds the read model, written on the API path so that a caller reads its own write on the next
request (no 404 window after POST).

- **One existing entity changes** (the common case: a status change, a restock): two plain
  requests. First a `PutItem` of `sk@version` on the command log with `attribute_not_exists`:
  exactly one writer can create a version, so this is the lock, and it needs no read. Then a
  `PutItem` of the read model, on condition that it still holds the version the caller read.
  If that condition fails (a read model ahead of the log: restored or imported data), the log
  version just written is deleted again and the caller gets `VersionMismatchError`. If the
  process dies between the two puts, the command-stream projector (`cqrs.projection`) applies
  the logged version: the read model lags for a moment, nothing is lost.
- **A new entity, several entities together, or an item that must be written with the command**
  (an `Idempotency-Key` record): ONE `TransactWriteItems` of the log put and the read-model put
  per command, with the same conditions, plus the extra item. All or nothing.

Cost per command under 1 KB: 2 WCU on the first path, 4 on the second (transactions bill each
item twice); the projector then only reads (half a read unit) to find the read model current.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from cqrs.clock import Clock, iso_timestamp, utc_now
from cqrs.context import UserContext
from cqrs.data import DataService
from cqrs.dynamo import serialize, serialize_value
from cqrs.errors import (
    AuthorizationError,
    CommandConflictError,
    CqrsError,
    NotFoundError,
    ValidationError,
    VersionMismatchError,
)
from cqrs.indexes import data_image
from cqrs.items import Command, Item
from cqrs.keys import versioned_sk
from cqrs.settings import Tables

Key = tuple[str, str]
_WRITES_PER_COMMAND = 2  # the command-log put and the read-model put
MAX_TRANSACTION_ACTIONS = 100
# One action is kept free for an item written with the commands (`ExtraPut`).
MAX_COMMANDS_PER_BATCH = (MAX_TRANSACTION_ACTIONS - 1) // _WRITES_PER_COMMAND
# Items in a transaction cancelled only because another transaction held them: a lost race.
_RACE_CODES = {"ConditionalCheckFailed", "TransactionConflict"}
_CONDITION_FAILED = "ConditionalCheckFailedException"


@dataclass(frozen=True)
class ExtraPut:
    """An item of another table written in the same transaction as a command.

    `condition` (with `values`, plain Python) must hold for the transaction to commit; when it
    alone fails, `publish` raises `ExtraPutRefusedError` and nothing is written.
    """

    table: str
    item: Mapping[str, Any]
    condition: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict)

    def action(self) -> dict[str, Any]:
        put: dict[str, Any] = {"TableName": self.table, "Item": serialize(self.item)}
        if self.condition:
            put["ConditionExpression"] = self.condition
        if self.values:
            put["ExpressionAttributeValues"] = {k: serialize_value(v) for k, v in self.values.items()}
        return {"Put": put}


class ExtraPutRefusedError(CqrsError):
    """The condition of an `ExtraPut` failed, so neither it nor its command was written."""


@dataclass(frozen=True)
class _Accepted:
    index: int  # position in the caller's batch
    item: Item
    expected_version: int


class CommandService:
    """Publishes commands with optimistic locking; see the module docstring for the write path."""

    def __init__(self, client: Any, tables: Tables, clock: Clock = utc_now) -> None:
        self._client = client
        self._tables = tables
        self._clock = clock
        self._data = DataService(client, tables.data)

    def publish(
        self,
        command: Command,
        ctx: UserContext,
        *,
        current: Item | None = None,
        source: str | None = None,
        with_put: Callable[[Item], ExtraPut] | None = None,
    ) -> Item:
        """Accept one command and return the stored item (unchanged if the command changes nothing).

        `current` is the state the caller already read, saving a read; without it an update reads
        the data table once. Raises `VersionMismatchError` when `command.version` is stale and
        `NotFoundError` when updating an entity that does not exist.

        `with_put`, given the item about to be stored, returns an item to write in the same
        transaction (see `ExtraPut`); it is not called for a command that changes nothing.
        """
        currents = {(command.pk, command.sk): current} if current is not None else None
        return self.publish_many([command], ctx, currents=currents, source=source, with_put=with_put)[0]

    def publish_partial_update(
        self,
        pk: str,
        sk: str,
        version: int,
        attributes: Mapping[str, Any],
        ctx: UserContext,
        *,
        name: str | None = None,
        source: str | None = None,
    ) -> Item:
        """Merge `attributes` onto the latest state of an entity, version-checked like `publish`."""
        current = self._data.get_item(pk, sk)
        if current is None:
            raise NotFoundError(f"{sk} not found")
        command = replace(Command.updating(current, {**current.attributes, **attributes}, name=name), version=version)
        return self.publish(command, ctx, current=current, source=source)

    def publish_many(
        self,
        commands: Sequence[Command],
        ctx: UserContext,
        *,
        currents: Mapping[Key, Item | None] | None = None,
        source: str | None = None,
        with_put: Callable[[Item], ExtraPut] | None = None,
    ) -> list[Item]:
        """Accept all `commands` atomically, or none.

        When one fails its version condition, nothing is written and `CommandConflictError`
        (a `VersionMismatchError`) names the failing command's index and key. `with_put` is
        called with the last command's new item (see `publish`).
        """
        if not commands:
            return []
        if len(commands) > MAX_COMMANDS_PER_BATCH:
            raise ValidationError("commands", f"at most {MAX_COMMANDS_PER_BATCH} commands per batch")
        keys = [(c.pk, c.sk) for c in commands]
        if len(set(keys)) != len(keys):
            raise ValidationError("commands", "a batch may name each entity once")
        for command in commands:
            if command.pk != ctx.pk or command.tenant_code != ctx.tenant_code:
                raise AuthorizationError(f"{command.sk} is outside the caller's tenant")

        known = dict(currents or {})
        missing = [key for c, key in zip(commands, keys, strict=True) if c.version > 0 and key not in known]
        if missing:
            fetched = self._data.get_items(missing)
            known.update({key: fetched.get(key) for key in missing})

        results: list[Item] = []
        accepted: list[_Accepted] = []
        for index, command in enumerate(commands):
            outcome = self._accept(index, command, known.get((command.pk, command.sk)), ctx, source, len(commands))
            results.append(outcome.item)
            if outcome.item.version != outcome.expected_version:  # a new version, not a no-op
                accepted.append(outcome)
        if not accepted:
            return results
        single = len(commands) == 1
        extra = with_put(accepted[-1].item) if with_put is not None else None
        if len(accepted) == 1 and accepted[0].expected_version > 0 and extra is None:
            self._put(accepted[0], single)
        else:
            self._transact(accepted, single, extra)
        return results

    def _accept(
        self,
        index: int,
        command: Command,
        current: Item | None,
        ctx: UserContext,
        source: str | None,
        size: int,
    ) -> _Accepted:
        """Check one command against the state it was based on; build the item it will store."""
        if command.version < 0:
            raise ValidationError("version", "must be 0 (new) or a positive version")

        def mismatch(actual: int | None) -> VersionMismatchError:
            if size == 1:
                return VersionMismatchError(command.pk, command.sk, command.version, actual)
            return CommandConflictError(index, command.pk, command.sk, command.version, actual)

        now = iso_timestamp(self._clock())
        if command.version == 0:
            if current is not None:
                raise mismatch(current.version)
            created_at, created_by = now, ctx.user_id
        else:
            if current is None:
                raise NotFoundError(f"{command.sk} not found")
            if current.version != command.version:
                raise mismatch(current.version)
            if not _changes(command, current):
                return _Accepted(index, current, current.version)
            created_at, created_by = current.created_at, current.created_by
        item = Item(
            pk=command.pk,
            sk=command.sk,
            code=command.code,
            name=command.name,
            tenant_code=command.tenant_code,
            version=command.version + 1,
            attributes=command.attributes,
            created_at=created_at,
            created_by=created_by,
            updated_at=now,
            updated_by=ctx.user_id,
            source=source,
        )
        return _Accepted(index, item, command.version)

    def _put(self, entry: _Accepted, single: bool) -> None:
        """One existing entity: the command-log put is the lock, then the read-model put."""
        item = entry.item
        try:
            self._client.put_item(
                TableName=self._tables.command,
                Item=serialize(_logged(item)),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != _CONDITION_FAILED:
                raise
            # Another writer created this version first; the read model may not show it yet.
            # Its version exists in the log even while the read model still shows the one before
            # (the winner is between its two puts): the current version is at least that one.
            stored = self._data.get_item(item.pk, item.sk)
            actual = max(stored.version, item.version) if stored is not None else item.version
            raise self._mismatch(entry, single, actual) from error
        try:
            self._client.put_item(
                TableName=self._tables.data,
                Item=serialize(data_image(item)),
                ConditionExpression="version = :expected",
                ExpressionAttributeValues={":expected": {"N": str(entry.expected_version)}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != _CONDITION_FAILED:
                raise  # the logged version stays: the projector applies it
            old = error.response.get("Item") or {}
            if self._became_state(item, old):
                return
            # The read model moved past what the log knows (restored or imported data): the
            # version just logged never became state, so it leaves the log (and the history).
            # Deleting is safe without a condition: no other writer can have created this key.
            self._client.delete_item(
                TableName=self._tables.command,
                Key={"pk": {"S": item.pk}, "sk": {"S": versioned_sk(item.sk, item.version)}},
            )
            ahead = int(old["version"]["N"]) if "version" in old else None
            raise self._mismatch(entry, single, ahead) from error

    def _became_state(self, item: Item, old: dict[str, Any]) -> bool:
        """Whether the version just logged is state although our read-model put was refused.

        The projector reads the command stream, and it may read the version just logged and
        apply it between our two puts: the read model then holds exactly our version (same
        version, written at the same instant by the same writer), or a later logged version
        built on it. Only a read model that moved without the log (a restore or an import)
        means our version never became state.
        """
        if "version" not in old:
            return False
        version = int(old["version"]["N"])
        if version == item.version:
            return old.get("updatedAt") == {"S": item.updated_at} and old.get("updatedBy") == {"S": item.updated_by}
        return version > item.version and self._is_logged(item, version)

    def _is_logged(self, item: Item, version: int) -> bool:
        response = self._client.get_item(
            TableName=self._tables.command,
            Key={"pk": {"S": item.pk}, "sk": {"S": versioned_sk(item.sk, version)}},
            ProjectionExpression="pk",
            ConsistentRead=True,
        )
        return "Item" in response

    def _transact(self, accepted: list[_Accepted], single: bool, extra: ExtraPut | None) -> None:
        actions: list[dict[str, Any]] = []
        for entry in accepted:
            if entry.expected_version == 0:
                data_condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
            else:
                data_condition = {
                    "ConditionExpression": "version = :expected",
                    "ExpressionAttributeValues": {":expected": {"N": str(entry.expected_version)}},
                }
            actions += [
                {
                    "Put": {
                        "TableName": self._tables.command,
                        "Item": serialize(_logged(entry.item)),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Put": {
                        "TableName": self._tables.data,
                        "Item": serialize(data_image(entry.item)),
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                        **data_condition,
                    }
                },
            ]
        if extra is not None:
            actions.append(extra.action())
        try:
            self._client.transact_write_items(TransactItems=actions)
        except ClientError as error:
            raise self._conflict(error, accepted, single) from error

    def _conflict(self, error: ClientError, accepted: list[_Accepted], single: bool) -> Exception:
        """Turn a cancelled transaction into the domain error naming the command that lost."""
        if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
            return error
        reasons = error.response.get("CancellationReasons") or []
        for position, reason in enumerate(reasons):
            if reason.get("Code") not in _RACE_CODES:
                continue
            if position >= len(accepted) * _WRITES_PER_COMMAND:
                return ExtraPutRefusedError("the item written with the command was refused by its condition")
            entry = accepted[position // _WRITES_PER_COMMAND]
            old = reason.get("Item") or {}
            actual: int | None = int(old["version"]["N"]) if "version" in old else None
            if actual is None:
                stored = self._data.get_item(entry.item.pk, entry.item.sk)
                actual = stored.version if stored else 0
            return self._mismatch(entry, single, actual)
        return error

    @staticmethod
    def _mismatch(entry: _Accepted, single: bool, actual: int | None) -> VersionMismatchError:
        item = entry.item
        if single:
            return VersionMismatchError(item.pk, item.sk, entry.expected_version, actual)
        return CommandConflictError(entry.index, item.pk, item.sk, entry.expected_version, actual)


def _logged(item: Item) -> dict[str, Any]:
    """The command-log (and history) form of an accepted item: its key carries the version."""
    return {**item.to_dict(), "sk": versioned_sk(item.sk, item.version)}


def _normalized(value: Any) -> Any:
    if isinstance(value, float | int) and not isinstance(value, bool):
        return Decimal(str(value))
    if isinstance(value, Mapping):
        return {k: _normalized(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_normalized(v) for v in value]
    return value


def _changes(command: Command, current: Item) -> bool:
    """A command is 'dirty' when it changes the name or any attribute (numbers compared by value)."""
    return command.name != current.name or _normalized(command.attributes) != _normalized(current.attributes)
