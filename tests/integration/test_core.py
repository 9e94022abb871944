"""The CQRS core against moto: publish, lock, no-op, atomic batches, listing, projection, sequences."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cqrs.context import UserContext
from cqrs.errors import CommandConflictError, InvalidCursorError, NotFoundError, VersionMismatchError
from cqrs.items import Command
from cqrs.projection import Projection
from cqrs.sequences import Rotation
from cqrs.services import CqrsServices
from tests.integration.conftest import AwsEnv, StepClock

CTX = UserContext(tenant_code="shop-a", user_id="u-1")
OTHER = UserContext(tenant_code="shop-b", user_id="u-2")


@pytest.fixture
def core(aws: AwsEnv) -> CqrsServices:
    return CqrsServices.build(aws.client, aws.tables, StepClock())


def command(code: str, version: int = 0, ctx: UserContext = CTX, **attributes: Any) -> Command:
    return Command(
        pk=ctx.pk,
        sk=f"ITEM#{code}",
        code=code,
        name=f"Item {code}",
        tenant_code=ctx.tenant_code,
        attributes=attributes or {"n": 1},
        version=version,
    )


def scan(aws: AwsEnv, table: str) -> list[dict[str, Any]]:
    return aws.client.scan(TableName=table)["Items"]


def test_create_writes_the_command_log_and_the_read_model_at_version_1(core: CqrsServices, aws: AwsEnv) -> None:
    item = core.commands.publish(command("A"), CTX)

    assert item.version == 1
    assert (item.created_by, item.updated_by) == ("u-1", "u-1")
    assert core.data.get_item(CTX.pk, "ITEM#A") == item
    assert [i["sk"]["S"] for i in scan(aws, aws.tables.command)] == ["ITEM#A@1"]
    # The command log is the history: the version reads back whole, under its own key.
    assert core.history.versions(CTX.pk, "ITEM#A") == [item.with_sk("ITEM#A@1")]


def test_update_needs_the_current_version(core: CqrsServices) -> None:
    core.commands.publish(command("A"), CTX)
    v2 = core.commands.publish(command("A", version=1, n=2), CTX)
    assert v2.version == 2 and v2.attributes["n"] == 2
    assert v2.created_at < v2.updated_at

    with pytest.raises(VersionMismatchError) as caught:
        core.commands.publish(command("A", version=1, n=3), CTX)
    assert (caught.value.expected, caught.value.actual) == (1, 2)
    assert core.data.get_item(CTX.pk, "ITEM#A").attributes["n"] == 2  # type: ignore[union-attr]


def test_creating_twice_is_a_conflict_and_updating_nothing_is_not_found(core: CqrsServices) -> None:
    core.commands.publish(command("A"), CTX)
    with pytest.raises(VersionMismatchError) as caught:
        core.commands.publish(command("A", n=9), CTX)
    assert (caught.value.expected, caught.value.actual) == (0, 1)
    with pytest.raises(NotFoundError):
        core.commands.publish(command("B", version=1), CTX)


def test_a_command_that_changes_nothing_is_not_a_new_version(core: CqrsServices, aws: AwsEnv) -> None:
    first = core.commands.publish(command("A", n=1), CTX)
    same = core.commands.publish(command("A", version=1, n=1.0), CTX)  # 1.0 == 1 by value
    assert same == first
    assert len(scan(aws, aws.tables.command)) == 1


def test_partial_update_merges_onto_the_latest_state(core: CqrsServices) -> None:
    core.commands.publish(command("A", a=1, b=2), CTX)
    merged = core.commands.publish_partial_update(CTX.pk, "ITEM#A", 1, {"b": 3}, CTX)
    assert merged.attributes == {"a": 1, "b": 3} and merged.version == 2
    with pytest.raises(VersionMismatchError):
        core.commands.publish_partial_update(CTX.pk, "ITEM#A", 1, {"b": 4}, CTX)


def test_a_batch_is_all_or_nothing_and_names_the_failing_command(core: CqrsServices, aws: AwsEnv) -> None:
    core.commands.publish(command("A"), CTX)
    core.commands.publish(command("B"), CTX)
    core.commands.publish(command("B", version=1, n=5), CTX)  # B is now at version 2

    with pytest.raises(CommandConflictError) as caught:
        core.commands.publish_many([command("A", 1, n=7), command("B", 1, n=7), command("C", n=7)], CTX)

    assert caught.value.index == 1 and caught.value.sk == "ITEM#B"
    assert core.data.get_item(CTX.pk, "ITEM#A").version == 1  # type: ignore[union-attr]
    assert core.data.get_item(CTX.pk, "ITEM#C") is None
    assert len(scan(aws, aws.tables.command)) == 3


def test_a_batch_losing_its_race_inside_the_transaction_writes_nothing(core: CqrsServices) -> None:
    a = core.commands.publish(command("A"), CTX)
    b = core.commands.publish(command("B"), CTX)
    core.commands.publish(command("B", version=1, n=5), CTX)
    # The caller read B at version 1: its check passes, the transaction's condition refuses it.
    with pytest.raises(CommandConflictError) as caught:
        core.commands.publish_many(
            [command("A", 1, n=8), command("B", 1, n=8)], CTX, currents={(a.pk, a.sk): a, (b.pk, b.sk): b}
        )
    assert (caught.value.index, caught.value.actual) == (1, 2)
    assert core.data.get_item(CTX.pk, "ITEM#A").attributes["n"] == 1  # type: ignore[union-attr]


def test_commands_outside_the_callers_tenant_are_refused(core: CqrsServices) -> None:
    from cqrs.errors import AuthorizationError

    with pytest.raises(AuthorizationError):
        core.commands.publish(command("A", ctx=OTHER), CTX)


def test_listing_pages_through_a_partition_with_an_opaque_cursor(core: CqrsServices) -> None:
    for i in range(7):
        core.commands.publish(command(f"{i:02d}"), CTX)
    core.commands.publish(command("99", ctx=OTHER), OTHER)

    seen, cursor, pages = [], None, 0
    while True:
        page = core.data.list_items_by_pk(CTX.pk, "ITEM#", limit=3, cursor=cursor)
        seen += [item.code for item in page.items]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [f"{i:02d}" for i in range(7)]
    assert pages == 3


def test_a_filtered_page_keeps_querying_until_it_is_full(core: CqrsServices, monkeypatch: pytest.MonkeyPatch) -> None:
    import cqrs.data

    monkeypatch.setattr(cqrs.data, "_FILTERED_QUERY_LIMIT", 4)  # force several queries per page
    for i in range(20):
        core.commands.publish(command(f"{i:02d}", colour="red" if i % 3 == 0 else "blue"), CTX)

    first = core.data.list_items_by_pk(CTX.pk, "ITEM#", limit=3, filter={"attributes.colour": "red"})
    assert [i.code for i in first.items] == ["00", "03", "06"]
    second = core.data.list_items_by_pk(
        CTX.pk, "ITEM#", limit=3, cursor=first.next_cursor, filter={"attributes.colour": "red"}
    )
    assert [i.code for i in second.items] == ["09", "12", "15"]
    last = core.data.list_items_by_pk(
        CTX.pk, "ITEM#", limit=3, cursor=second.next_cursor, filter={"attributes.colour": "red"}
    )
    assert [i.code for i in last.items] == ["18"] and last.next_cursor is None


def test_a_cursor_cannot_leave_the_listing(core: CqrsServices) -> None:
    from cqrs.cursor import encode_cursor

    with pytest.raises(InvalidCursorError):
        core.data.list_items_by_pk(CTX.pk, "ITEM#", cursor=encode_cursor("OTHER#X"))


def test_projection_is_idempotent_and_never_moves_back(core: CqrsServices, aws: AwsEnv) -> None:
    from cqrs.dynamo import deserialize

    core.commands.publish(command("A", n=1), CTX)
    core.commands.publish(command("A", 1, n=2), CTX)
    core.commands.publish(command("A", 2, n=3), CTX)
    commands = sorted((deserialize(i) for i in scan(aws, aws.tables.command)), key=lambda c: c["version"])
    # Start from an empty read model, then deliver out of order and replay every record 3 times.
    aws.client.delete_item(TableName=aws.tables.data, Key={"pk": {"S": CTX.pk}, "sk": {"S": "ITEM#A"}})
    outcomes = [core.projector.apply(c) for c in [commands[2], commands[0], commands[1]] * 3]

    assert outcomes[0] is Projection.APPLIED
    assert all(outcome is Projection.ALREADY_CURRENT for outcome in outcomes[1:])
    current = core.data.get_item(CTX.pk, "ITEM#A")
    assert current is not None and (current.version, current.attributes["n"]) == (3, 3)
    assert [v.version for v in core.history.versions(CTX.pk, "ITEM#A")] == [1, 2, 3]


def test_sequences_count_per_tenant(core: CqrsServices) -> None:
    values = [core.sequences.next("ORDER", CTX).value for _ in range(3)]
    assert values == [1, 2, 3]
    assert core.sequences.next("ORDER", OTHER).value == 1
    assert core.sequences.next("ORDER", CTX).format("ORD-{no:06}") == "ORD-000004"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("rotation", "moments", "periods"),
    [
        (Rotation.DAILY, [utc(2026, 1, 1, 23), utc(2026, 1, 2)], ["2026-01-01", "2026-01-02"]),
        (Rotation.MONTHLY, [utc(2026, 1, 31), utc(2026, 2, 1)], ["2026-01", "2026-02"]),
        (Rotation.YEARLY, [utc(2026, 12, 31), utc(2027, 1, 1)], ["2026", "2027"]),
        (Rotation.FISCAL_YEARLY, [utc(2027, 3, 31), utc(2027, 4, 1)], ["FY2026", "FY2027"]),
    ],
)
def test_rotating_sequences_restart_each_period(
    aws: AwsEnv, rotation: Rotation, moments: list[datetime], periods: list[str]
) -> None:
    clock_values = iter([moments[0], moments[0], moments[1]])
    core = CqrsServices.build(aws.client, aws.tables, lambda: next(clock_values))
    first, second, next_period = (core.sequences.next("INV", CTX, rotate=rotation) for _ in range(3))
    assert (first.value, second.value, next_period.value) == (1, 2, 1)
    assert (first.period, next_period.period) == tuple(periods)


def test_sequence_formats_with_dates_and_fiscal_year(aws: AwsEnv) -> None:
    core = CqrsServices.build(aws.client, aws.tables, lambda: datetime(2026, 2, 5, tzinfo=UTC))
    value = core.sequences.next("INV", CTX, rotate="monthly")
    assert value.format("{yyyy}-{mm}-{no:04}") == "2026-02-0001"
    assert value.format("FY{fy}/{yy}{mm}{dd}-{no}") == "FY2025/260205-1"
