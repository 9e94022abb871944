"""Each guard of the write path, in a case where it alone refuses the write.

The command log's `attribute_not_exists(sk@version)` and the read model's version condition
usually refuse the same stale write together, hiding each other. Here the two tables disagree on
purpose, as after a restore or import (the read model ahead of the log) or after a lost
projection (the log ahead of the read model), so that only one guard stands in the way.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from cqrs.context import UserContext
from cqrs.dynamo import deserialize, serialize
from cqrs.errors import CommandConflictError, VersionMismatchError
from cqrs.items import Command, Item
from cqrs.projection import Projection
from cqrs.services import CqrsServices
from tests.integration.conftest import AwsEnv, StepClock

CTX = UserContext(tenant_code="shop-a", user_id="u-1")


@pytest.fixture
def core(aws: AwsEnv) -> CqrsServices:
    return CqrsServices.build(aws.client, aws.tables, StepClock())


def command(code: str, version: int = 0, **attributes: Any) -> Command:
    return Command(
        pk=CTX.pk,
        sk=f"ITEM#{code}",
        code=code,
        name=f"Item {code}",
        tenant_code="shop-a",
        attributes=attributes or {"n": 1},
        version=version,
    )


def log_keys(aws: AwsEnv) -> list[str]:
    return sorted(i["sk"]["S"] for i in aws.client.scan(TableName=aws.tables.command, ConsistentRead=True)["Items"])


def logged(aws: AwsEnv, versioned_sk: str) -> dict[str, Any]:
    key = {"pk": {"S": CTX.pk}, "sk": {"S": versioned_sk}}
    return deserialize(aws.client.get_item(TableName=aws.tables.command, Key=key, ConsistentRead=True)["Item"])


def import_read_model(aws: AwsEnv, item: Item) -> None:
    """Write the read model directly, as a restore or an import would (no command logged)."""
    aws.client.put_item(TableName=aws.tables.data, Item=serialize(item.to_dict()))


def lose_read_model(aws: AwsEnv, code: str) -> None:
    aws.client.delete_item(TableName=aws.tables.data, Key={"pk": {"S": CTX.pk}, "sk": {"S": f"ITEM#{code}"}})


@dataclass
class Crash:
    """While `on`, every PutItem on the data table fails with a service error.

    For the write path this is the same as a function that stops between its two puts: the
    command is logged, the read model is not written.
    """

    on: bool = True
    failed: list[str] = field(default_factory=list)


@pytest.fixture
def crash(aws: AwsEnv) -> Iterator[Crash]:
    state = Crash()

    def fail(params: dict[str, Any], **_: Any) -> None:
        if state.on and params.get("TableName") == aws.tables.data:
            state.failed.append(params["Item"]["sk"]["S"])
            error = {"Error": {"Code": "InternalServerError", "Message": "the read-model put failed"}}
            raise ClientError(error, "PutItem")

    aws.client.meta.events.register("provide-client-params.dynamodb.PutItem", fail)
    yield state
    aws.client.meta.events.unregister("provide-client-params.dynamodb.PutItem", fail)


# ---- the read model ahead of the command log: only the read model's condition refuses -----------


def test_an_update_from_a_version_the_read_model_has_left_is_refused(core: CqrsServices, aws: AwsEnv) -> None:
    # Given an item at version 2 in both tables, then a restored read model at version 5
    core.commands.publish(command("A", n=1), CTX)
    v2 = core.commands.publish(command("A", 1, n=2), CTX)
    import_read_model(aws, Item.from_dict({**v2.to_dict(), "version": 5, "attributes": {"n": 5}}))

    # When a caller who read version 2 updates it (the log has no version 3: its lock passes)
    with pytest.raises(VersionMismatchError) as caught:
        core.commands.publish(command("A", 2, n=3), CTX, current=v2)

    # Then the read model keeps version 5
    assert caught.value.expected == 2
    stored = core.data.get_item(CTX.pk, "ITEM#A")
    assert stored is not None and (stored.version, stored.attributes["n"]) == (5, 5)


def test_a_refused_update_leaves_no_version_in_the_log_or_the_history(core: CqrsServices, aws: AwsEnv) -> None:
    core.commands.publish(command("A", n=1), CTX)
    v2 = core.commands.publish(command("A", 1, n=2), CTX)
    import_read_model(aws, Item.from_dict({**v2.to_dict(), "version": 5, "attributes": {"n": 5}}))

    with pytest.raises(VersionMismatchError):
        core.commands.publish(command("A", 2, n=3), CTX, current=v2)

    # The version 3 the lock let through never became state: it is gone from log and history
    assert log_keys(aws) == ["ITEM#A@1", "ITEM#A@2"]
    assert [v.version for v in core.history.versions(CTX.pk, "ITEM#A")] == [1, 2]


def test_an_imported_read_model_at_exactly_the_next_version_is_not_taken_for_the_writers(
    core: CqrsServices, aws: AwsEnv
) -> None:
    # Given a read model imported at version 3 while the log ends at version 2
    core.commands.publish(command("A", n=1), CTX)
    v2 = core.commands.publish(command("A", 1, n=2), CTX)
    import_read_model(aws, Item.from_dict({**v2.to_dict(), "version": 3, "attributes": {"n": 33}}))

    # When a caller who read version 2 writes version 3 (its lock passes: the log has no @3)
    with pytest.raises(VersionMismatchError):
        core.commands.publish(command("A", 2, n=3), CTX, current=v2)

    # Then its version 3 left the log: the read model's version 3 is the import's, not the writer's
    assert log_keys(aws) == ["ITEM#A@1", "ITEM#A@2"]
    stored = core.data.get_item(CTX.pk, "ITEM#A")
    assert stored is not None and (stored.version, stored.attributes["n"]) == (3, 33)


def test_creating_over_an_imported_read_model_row_is_refused(core: CqrsServices, aws: AwsEnv) -> None:
    # Given a read-model row with no command logged for it
    first = core.commands.publish(command("A", n=1), CTX)
    import_read_model(aws, Item.from_dict({**first.to_dict(), "sk": "ITEM#B", "code": "B", "version": 3}))

    # When it is created again from version 0 (the log has no ITEM#B@1: its lock passes)
    with pytest.raises(VersionMismatchError):
        core.commands.publish(command("B", n=9), CTX, current=None)

    # Then nothing was written
    assert log_keys(aws) == ["ITEM#A@1"]
    stored = core.data.get_item(CTX.pk, "ITEM#B")
    assert stored is not None and (stored.version, stored.attributes["n"]) == (3, 1)


def test_a_batch_naming_a_version_the_read_model_has_left_writes_nothing(core: CqrsServices, aws: AwsEnv) -> None:
    a = core.commands.publish(command("A", n=1), CTX)
    b = core.commands.publish(command("B", n=1), CTX)
    import_read_model(aws, Item.from_dict({**b.to_dict(), "version": 4, "attributes": {"n": 4}}))

    with pytest.raises(CommandConflictError) as caught:
        core.commands.publish_many(
            [command("A", 1, n=2), command("B", 1, n=2)], CTX, currents={(a.pk, a.sk): a, (b.pk, b.sk): b}
        )

    assert caught.value.index == 1
    assert log_keys(aws) == ["ITEM#A@1", "ITEM#B@1"]
    assert core.data.get_item(CTX.pk, "ITEM#A") == a


# ---- the command log ahead of the read model (a lost projection): only the log's lock refuses ----


def test_recreating_an_entity_whose_read_model_row_is_lost_is_refused(core: CqrsServices, aws: AwsEnv) -> None:
    # Given an entity with two logged versions whose read-model row is gone
    core.commands.publish(command("A", n=1), CTX)
    core.commands.publish(command("A", 1, n=2), CTX)
    lose_read_model(aws, "A")

    # When someone creates it anew (the read model's attribute_not_exists passes)
    with pytest.raises(VersionMismatchError):
        core.commands.publish(command("A", n=99), CTX)

    # Then version 1 keeps its original content and no read-model row appears
    assert logged(aws, "ITEM#A@1")["attributes"] == {"n": 1}
    assert core.data.get_item(CTX.pk, "ITEM#A") is None


def test_an_update_racing_a_version_not_yet_projected_is_refused(core: CqrsServices, aws: AwsEnv) -> None:
    # Given version 3 logged while the read model still holds version 2 (its put was lost)
    core.commands.publish(command("A", n=1), CTX)
    v2 = core.commands.publish(command("A", 1, n=2), CTX)
    core.commands.publish(command("A", 2, n=3), CTX)
    import_read_model(aws, v2)

    # When a caller who read version 2 updates it (the read model's condition passes)
    with pytest.raises(VersionMismatchError) as refused:
        core.commands.publish(command("A", 2, n=30), CTX)

    # Then the refusal names the version that won (3), although the read model still shows 2
    assert refused.value.actual == 3
    # And the logged version 3 is untouched and the read model did not move
    assert logged(aws, "ITEM#A@3")["attributes"] == {"n": 3}
    assert core.data.get_item(CTX.pk, "ITEM#A") == v2


# ---- a writer that dies between its two puts ------------------------------------------------------


def test_a_version_whose_read_model_put_never_happened_stays_logged_and_locked(
    core: CqrsServices, aws: AwsEnv, crash: Crash
) -> None:
    v1 = core.commands.publish(command("A", n=1), CTX)  # a create: one transaction, not a PutItem

    # When the read-model put of version 2 fails after the command was logged
    with pytest.raises(ClientError):
        core.commands.publish(command("A", 1, n=2), CTX)
    assert crash.failed == ["ITEM#A"]

    # Then version 2 stays in the log, the read model still shows version 1 ...
    assert log_keys(aws) == ["ITEM#A@1", "ITEM#A@2"]
    assert core.data.get_item(CTX.pk, "ITEM#A") == v1
    # ... and a caller still at version 1 cannot overwrite it
    crash.on = False
    with pytest.raises(VersionMismatchError):
        core.commands.publish(command("A", 1, n=20), CTX)


def test_the_projector_catches_up_a_version_whose_read_model_put_never_happened(
    core: CqrsServices, aws: AwsEnv, crash: Crash
) -> None:
    core.commands.publish(command("A", n=1), CTX)
    with pytest.raises(ClientError):
        core.commands.publish(command("A", 1, n=2), CTX)

    # When the command stream delivers the logged version, the read model catches up
    crash.on = False
    assert core.projector.apply(logged(aws, "ITEM#A@2")) is Projection.APPLIED
    current = core.data.get_item(CTX.pk, "ITEM#A")
    assert current is not None and (current.version, current.attributes["n"]) == (2, 2)


# ---- the projector between a writer's two puts ----------------------------------------------------


@dataclass
class ProjectorFirst:
    """Before the writer's read-model put, the projector applies the version just logged (it read
    the command stream in between), and `then` may run another writer on top of it."""

    then: Any = None
    ran: list[str] = field(default_factory=list)


@pytest.fixture
def projector_first(aws: AwsEnv) -> Iterator[ProjectorFirst]:
    state = ProjectorFirst()
    other = boto3.client("dynamodb", region_name=aws.client.meta.region_name)  # the projector's own
    projector = CqrsServices.build(other, aws.tables).projector

    def project_first(params: dict[str, Any], **_: Any) -> None:
        is_writers_put = params.get("ConditionExpression") == "version = :expected"
        if params.get("TableName") != aws.tables.data or not is_writers_put or state.ran:
            return
        versioned_sk = f"{params['Item']['sk']['S']}@{params['Item']['version']['N']}"
        state.ran.append(versioned_sk)
        assert projector.apply(logged(aws, versioned_sk)) is Projection.APPLIED
        if state.then is not None:
            state.then()

    aws.client.meta.events.register("provide-client-params.dynamodb.PutItem", project_first)
    yield state
    aws.client.meta.events.unregister("provide-client-params.dynamodb.PutItem", project_first)


def test_a_version_the_projector_applied_between_the_two_puts_is_accepted(
    core: CqrsServices, aws: AwsEnv, projector_first: ProjectorFirst
) -> None:
    v1 = core.commands.publish(command("A", n=1), CTX)  # a create: one transaction

    # When the projector writes version 2 to the read model before the writer's own put does
    v2 = core.commands.publish(command("A", 1, n=2), CTX, current=v1)

    # Then the writer is told its version was accepted, and it stays in the log and the history
    assert projector_first.ran == ["ITEM#A@2"]
    assert (v2.version, v2.attributes["n"]) == (2, 2)
    assert log_keys(aws) == ["ITEM#A@1", "ITEM#A@2"]
    assert [v.version for v in core.history.versions(CTX.pk, "ITEM#A")] == [1, 2]
    stored = core.data.get_item(CTX.pk, "ITEM#A")
    assert stored is not None and (stored.version, stored.attributes["n"]) == (2, 2)


def test_a_version_applied_and_then_built_on_by_another_writer_is_accepted(
    core: CqrsServices, aws: AwsEnv, projector_first: ProjectorFirst
) -> None:
    v1 = core.commands.publish(command("A", n=1), CTX)
    other = CqrsServices.build(boto3.client("dynamodb", region_name=aws.client.meta.region_name), aws.tables)
    projector_first.then = lambda: other.commands.publish(command("A", 2, n=3), CTX)

    # When the projector applies version 2 and another writer puts version 3 on it, all before
    # the first writer's own read-model put
    v2 = core.commands.publish(command("A", 1, n=2), CTX, current=v1)

    # Then version 2 is accepted and kept: the history has every version
    assert v2.version == 2
    assert log_keys(aws) == ["ITEM#A@1", "ITEM#A@2", "ITEM#A@3"]
    stored = core.data.get_item(CTX.pk, "ITEM#A")
    assert stored is not None and (stored.version, stored.attributes["n"]) == (3, 3)
