"""Races on DynamoDB Local (moto is not linearizable under concurrency: docs/design.md, test tiers)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from cqrs.context import UserContext
from cqrs.errors import VersionMismatchError
from cqrs.items import Command
from cqrs.services import CqrsServices
from tests.support.tables import create_tables

pytestmark = pytest.mark.ddb_local
CTX = UserContext(tenant_code="shop-a", user_id="racer")


@pytest.fixture
def core(ddb_local_client: Any) -> CqrsServices:
    tables, _ = create_tables(ddb_local_client)
    return CqrsServices.build(ddb_local_client, tables)


def test_publishers_racing_with_the_same_version_exactly_one_wins(core: CqrsServices) -> None:
    base = Command(pk=CTX.pk, sk="ITEM#A", code="A", name="A", tenant_code="shop-a", attributes={"n": 0})
    core.commands.publish(base, CTX)

    def update(n: int) -> str:
        try:
            core.commands.publish(
                Command(
                    pk=CTX.pk, sk="ITEM#A", code="A", name="A", tenant_code="shop-a", attributes={"n": n}, version=1
                ),
                CTX,
            )
            return "won"
        except VersionMismatchError:
            return "lost"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(update, range(1, 9)))

    assert outcomes.count("won") == 1 and outcomes.count("lost") == 7
    assert [v.version for v in core.history.versions(CTX.pk, "ITEM#A")] == [1, 2]
    current = core.data.get_item(CTX.pk, "ITEM#A")
    assert current is not None and current.version == 2


def test_concurrent_sequence_callers_never_share_a_value(core: CqrsServices) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        values = list(pool.map(lambda _: core.sequences.next("ORDER", CTX).value, range(20)))
    assert sorted(values) == list(range(1, 21))
