"""At-least-once streams on DynamoDB Local (accurate streams: one record per real change).

A whole set of lifecycles runs through the real stream handlers; then every record they were fed
is fed again, three times over, and once more one by one in reverse order: the tables, the
streams and the notifications must not change at all.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from cqrs.context import UserContext
from cqrs.dynamo import deserialize
from harness.seed import add_stocked_product, place_order
from harness.streams import LocalShop, failures, local_shop
from shop.models import UpdateStatusRequest
from shop.status import OrderStatus
from shop.wiring import Shop, shop

pytestmark = pytest.mark.ddb_local
CTX = UserContext(tenant_code="shop-a", user_id="user-1")


@pytest.fixture
def local(
    ddb_local_env: str, ddb_local_client: Any, ddb_local_streams_client: Any, monkeypatch: pytest.MonkeyPatch
) -> LocalShop:
    return local_shop(ddb_local_client, ddb_local_streams_client, monkeypatch)


def add_product(app: Shop, code: str, quantity: int) -> None:
    add_stocked_product(app, CTX, code, quantity, price="10.00")


def place(app: Shop, lines: dict[str, int]) -> str:
    return str(place_order(app, CTX, lines).code)


def move(app: Shop, code: str, status: str) -> None:
    app.orders.update_status(code, UpdateStatusRequest(status=OrderStatus(status)), CTX)


def snapshot(local: LocalShop) -> list[dict[str, Any]]:
    """Every item of the data, command and history tables, in key order."""
    out = []
    for table in (local.tables.data, local.tables.command, local.tables.history):
        items = local.client.scan(TableName=table, ConsistentRead=True)["Items"]
        out += sorted(({"table": table, **deserialize(i)} for i in items), key=lambda i: (i["pk"], i["sk"]))
    return out


def test_every_record_replayed_three_times_changes_nothing(local: LocalShop) -> None:
    app = shop()
    add_product(app, "PRD-001", 10)
    add_product(app, "PRD-002", 5)
    local.pump.drain()

    # A: the whole lifecycle, two lines
    a = place(app, {"PRD-001": 2, "PRD-002": 1})
    local.pump.drain()
    for status in ("confirmed", "processing", "shipped", "delivered"):
        move(app, a, status)
        local.pump.drain()
    # B: reserved, then cancelled
    b = place(app, {"PRD-001": 1})
    local.pump.drain()
    move(app, b, "cancelled")
    local.pump.drain()
    # C: a line is short: fails, then cancelled
    c = place(app, {"PRD-001": 1, "PRD-002": 50})
    local.pump.drain()
    move(app, c, "cancelled")
    local.pump.drain()
    # D: cancelled before the stream got to it
    d = place(app, {"PRD-002": 1})
    move(app, d, "cancelled")
    local.pump.drain()
    # E: reserved and confirmed, still open (its replays must not reserve again)
    e = place(app, {"PRD-001": 1, "PRD-002": 1})
    local.pump.drain()
    move(app, e, "confirmed")
    local.pump.drain()

    def level(code: str) -> tuple[int, int]:
        item = app.inventory.get_stock(code, CTX)
        return int(item.attributes["quantity"]), int(item.attributes["reservedQuantity"])

    def inventory_status(code: str) -> str:
        return str(app.orders.get_order(code, CTX).attributes["inventoryStatus"])

    assert level("PRD-001") == (8, 1) and level("PRD-002") == (4, 1)
    assert [inventory_status(x) for x in (a, b, c, d, e)] == ["deducted", "released", "failed", "skipped", "reserved"]
    expected = Counter(
        {
            ("order_confirmation", "shop-a", a): 1,
            ("shipping_notification", "shop-a", a): 1,
            ("delivery_confirmation", "shop-a", a): 1,
            ("order_confirmation", "shop-a", b): 1,
            ("cancellation_notice", "shop-a", b): 1,
            ("inventory_reservation_failed", "shop-a", c): 1,
            ("order_confirmation", "shop-a", c): 1,
            ("cancellation_notice", "shop-a", c): 1,
            ("cancellation_notice", "shop-a", d): 1,
            ("order_confirmation", "shop-a", e): 1,
        }
    )
    assert Counter(local.sns.effects()) == expected

    # The data stream carried exactly one record per change of order A: created, reserved,
    # confirmed, processing, shipped, deducted, delivered (DynamoDB Local streams like AWS)
    a_records = [
        r
        for fed in local.pump.fed
        if fed.function == "data_sync"
        for r in fed.event["Records"]
        if r["dynamodb"]["Keys"]["sk"]["S"] == f"ORDER#{a}"
    ]
    assert [r["eventName"] for r in a_records] == ["INSERT"] + ["MODIFY"] * 6
    assert [deserialize(r["dynamodb"]["NewImage"])["version"] for r in a_records] == list(range(1, 8))

    before = snapshot(local)
    original = list(local.pump.fed)
    fed_records = sum(len(f.event["Records"]) for f in original)
    assert fed_records > 30

    # When every event is fed again, three times over
    responses = local.pump.replay(times=3)
    # And once more, record by record, newest first (the worst order a retry could take)
    for fed in reversed(original):
        for record in reversed(fed.event["Records"]):
            responses.append(local.pump.invoke(fed.function, {"Records": [record]}))

    # Then nothing failed, nothing changed, nothing was written, nothing was sent again
    assert len(responses) == 3 * len(original) + fed_records
    assert all(not failures(r) for r in responses)
    assert snapshot(local) == before
    assert local.pump.command.read_new() == []
    assert local.pump.data.read_new() == []
    assert Counter(local.sns.effects()) == expected
