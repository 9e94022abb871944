"""GET /orders, /products and /inventory: every filter, both orders, and every cursor edge.

Orders are placed at chosen moments (the shop's clock is replaced), so the expected lists are
written out literally.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest

from harness.seed import CATALOGUE, order_body
from shop import wiring
from tests.integration.conftest import AwsEnv

Api = Callable[..., Any]


class FixedClock:
    """A clock that stands still at `now` until the test moves it."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(aws: AwsEnv, monkeypatch: pytest.MonkeyPatch) -> FixedClock:
    """The shop's clock; tests move `clock.now` to place orders when they choose."""
    fixed = FixedClock()
    monkeypatch.setattr(wiring, "build_shop", partial(wiring.build_shop, clock=fixed))
    wiring.reset()
    return fixed


@pytest.fixture
def stocked(clock: FixedClock, api: Api) -> Api:
    """shop-a's catalogue (PRD-001..003; PRD-003 inactive) with 1,000 units of PRD-001 and PRD-002."""
    for product in CATALOGUE:
        assert api("POST", "/products", product).status == 201
    for code in ("PRD-001", "PRD-002"):
        assert api("PATCH", f"/inventory/{code}", {"version": 0, "quantity": 1000}).status == 200
    return api


@pytest.fixture
def pump(aws: AwsEnv) -> Any:
    """The stream functions fed from moto's streams: the data-sync handler reserves new orders' stock."""
    import boto3
    from botocore.config import Config

    from harness.streams import build_pump
    from tests.integration.conftest import REGION

    # moto routes the streams API only without account-based endpoints.
    streams = boto3.client("dynamodbstreams", region_name=REGION, config=Config(account_id_endpoint_mode="disabled"))
    return build_pump(aws.client, streams, aws.tables.command, aws.tables.data)


def place(
    api: Api, clock: FixedClock, day: int, customer: str = "CUST-001", status: str | None = None, pump: Any = None
) -> str:
    """An order placed on 2026-03-<day> at noon UTC, moved to `status`; its code. Beyond
    `confirmed` the stock must be reserved first: `pump` runs the data-sync handler."""
    clock.now = datetime(2026, 3, day, 12, tzinfo=UTC)
    created = api("POST", "/orders", order_body(("PRD-001", 1), customerId=customer))
    assert created.status == 201, created.body
    code: str = created.body["code"]
    if status in ("processing", "shipped", "delivered"):
        pump.drain()
    path = ["confirmed", "processing", "shipped", "delivered"]
    for step in path[: path.index(status) + 1] if status in path else ([status] if status else []):
        assert api("PATCH", f"/orders/{code}/status", {"status": step}).status == 200
    return code


def codes(api: Api, path: str, **query: str) -> list[str]:
    answer = api("GET", path, query=query or None)
    assert answer.status == 200, answer.body
    return [item["code"] for item in answer.body["items"]]


def all_pages(api: Api, path: str, **query: str) -> list[list[str]]:
    """Every page's codes, following nextCursor (bounded)."""
    pages: list[list[str]] = []
    cursor = None
    for _ in range(20):
        params = query | ({"cursor": cursor} if cursor else {})
        answer = api("GET", path, query=params)
        assert answer.status == 200, answer.body
        pages.append([item["code"] for item in answer.body["items"]])
        cursor = answer.body["nextCursor"]
        if cursor is None:
            return pages
    raise AssertionError("pagination did not end")


@pytest.fixture
def orders(stocked: Api, clock: FixedClock, pump: Any) -> Api:
    """Eight orders of shop-a: (code, day, customer, status)

    ORD-000001 day 1 CUST-001 pending     ORD-000005 day 5 CUST-002 shipped
    ORD-000002 day 2 CUST-002 confirmed   ORD-000006 day 6 CUST-001 confirmed
    ORD-000003 day 3 CUST-001 confirmed   ORD-000007 day 7 CUST-003 pending
    ORD-000004 day 4 CUST-001 cancelled   ORD-000008 day 8 CUST-001 confirmed
    """
    for day, customer, status in [
        (1, "CUST-001", None), (2, "CUST-002", "confirmed"), (3, "CUST-001", "confirmed"),
        (4, "CUST-001", "cancelled"), (5, "CUST-002", "shipped"), (6, "CUST-001", "confirmed"),
        (7, "CUST-003", None), (8, "CUST-001", "confirmed"),
    ]:  # fmt: skip
        place(stocked, clock, day, customer, status, pump)
    return stocked


def ords(*numbers: int) -> list[str]:
    return [f"ORD-{n:06d}" for n in numbers]


# -- orders: order and filters -------------------------------------------------------------------


def test_orders_are_newest_first_by_default_and_oldest_first_on_request(orders: Api) -> None:
    assert codes(orders, "/orders") == ords(8, 7, 6, 5, 4, 3, 2, 1)
    assert codes(orders, "/orders", order="desc") == ords(8, 7, 6, 5, 4, 3, 2, 1)
    assert codes(orders, "/orders", order="asc") == ords(1, 2, 3, 4, 5, 6, 7, 8)


def test_each_single_filter(orders: Api) -> None:
    assert codes(orders, "/orders", status="confirmed") == ords(8, 6, 3, 2)
    assert codes(orders, "/orders", status="pending", order="asc") == ords(1, 7)
    assert codes(orders, "/orders", customerId="CUST-002") == ords(5, 2)
    assert codes(orders, "/orders", placedFrom="2026-03-03T12:00:00Z", placedTo="2026-03-06T12:00:00Z") == ords(5, 4, 3)


def test_placed_from_is_inclusive_and_placed_to_exclusive(orders: Api) -> None:
    # ORD-000003 was placed at exactly 2026-03-03T12:00:00.000Z: bounds on it and 1 ms after it.
    assert codes(orders, "/orders", placedFrom="2026-03-03T12:00:00Z", order="asc") == ords(3, 4, 5, 6, 7, 8)
    assert codes(orders, "/orders", placedFrom="2026-03-03T12:00:00.001Z", order="asc") == ords(4, 5, 6, 7, 8)
    assert codes(orders, "/orders", placedTo="2026-03-03T12:00:00Z", order="asc") == ords(1, 2)
    assert codes(orders, "/orders", placedTo="2026-03-03T12:00:00.001Z", order="asc") == ords(1, 2, 3)
    # An offset is honoured: 21:00 at +09:00 is noon UTC.
    assert codes(orders, "/orders", placedFrom="2026-03-07T21:00:00+09:00") == ords(8, 7)
    # A date alone is midnight UTC.
    assert codes(orders, "/orders", placedFrom="2026-03-07", placedTo="2026-03-08") == ords(7)


def test_filters_combine(orders: Api) -> None:
    assert codes(orders, "/orders", customerId="CUST-001", status="confirmed") == ords(8, 6, 3)
    assert codes(orders, "/orders", status="confirmed", placedFrom="2026-03-03", placedTo="2026-03-08") == ords(6, 3)
    assert codes(orders, "/orders", customerId="CUST-001", placedTo="2026-03-04") == ords(3, 1)
    combined = {"customerId": "CUST-001", "status": "confirmed", "placedFrom": "2026-03-04", "order": "asc"}
    assert codes(orders, "/orders", **combined) == ords(6, 8)


# -- orders: pages and cursors -------------------------------------------------------------------


def test_pages_continue_exactly_where_they_stopped(orders: Api) -> None:
    assert all_pages(orders, "/orders", limit="3") == [ords(8, 7, 6), ords(5, 4, 3), ords(2, 1)]
    assert all_pages(orders, "/orders", limit="3", order="asc") == [ords(1, 2, 3), ords(4, 5, 6), ords(7, 8)]
    assert all_pages(orders, "/orders", limit="1", status="pending") == [ords(7), ords(1)]
    assert all_pages(orders, "/orders", limit="2", customerId="CUST-001", status="confirmed") == [ords(8, 6), ords(3)]
    # A page that exactly fills the last matches: the listing says nothing follows.
    assert all_pages(orders, "/orders", limit="4", status="confirmed") == [ords(8, 6, 3, 2)]
    assert all_pages(orders, "/orders", limit="2", status="confirmed") == [ords(8, 6), ords(3, 2)]


def test_an_index_entry_that_lags_its_item_is_dropped_and_the_next_page_misses_nothing(
    orders: Api, aws: AwsEnv, clock: FixedClock
) -> None:
    from cqrs.dynamo import serialize
    from cqrs.indexes import data_image
    from shop.wiring import shop

    # ORD-000009 is confirmed, but its status index entry still says pending (as an eventually
    # consistent index may show for a moment after the change).
    code = place(orders, clock, 9, status="confirmed")
    stored = shop().orders.get_order(code, _ctx())
    lagging = data_image(stored) | {"gsi2pk": "TENANT#shop-a#ORDER#status#pending"}
    aws.client.put_item(TableName=aws.tables.data, Item=serialize(lagging))
    assert stored.attributes["status"] == "confirmed"

    assert all_pages(orders, "/orders", limit="1", status="pending") == [[], ords(7), ords(1)]
    assert all_pages(orders, "/orders", limit="2", status="pending") == [ords(7), ords(1)]
    assert codes(orders, "/orders", status="pending") == ords(7, 1)


def _ctx() -> Any:
    from cqrs.context import UserContext

    return UserContext(tenant_code="shop-a", user_id="user-1")


def test_an_empty_listing_is_one_empty_page(orders: Api) -> None:
    assert orders("GET", "/orders", query={"status": "delivered"}).body == {"items": [], "nextCursor": None}
    assert orders("GET", "/orders", query={"customerId": "NOBODY"}).body == {"items": [], "nextCursor": None}
    assert orders("GET", "/orders", query={"placedFrom": "2027-01-01"}).body == {"items": [], "nextCursor": None}
    combined = {"customerId": "CUST-003", "status": "confirmed"}
    assert orders("GET", "/orders", query=combined).body == {"items": [], "nextCursor": None}


@pytest.mark.parametrize(
    ("issued_for", "used_with"),
    [
        ({"status": "confirmed"}, {"status": "pending"}),
        ({"status": "confirmed"}, {}),
        ({}, {"order": "asc"}),
        ({"customerId": "CUST-001"}, {"customerId": "CUST-002"}),
        ({"customerId": "CUST-001"}, {"customerId": "CUST-001", "status": "confirmed"}),
        ({"placedFrom": "2026-03-02"}, {"placedFrom": "2026-03-03"}),
    ],
)
def test_a_cursor_from_another_filter_is_refused(
    orders: Api, issued_for: dict[str, str], used_with: dict[str, str]
) -> None:
    cursor = orders("GET", "/orders", query={"limit": "1", **issued_for}).body["nextCursor"]
    assert cursor is not None
    refused = orders("GET", "/orders", query={"limit": "1", "cursor": cursor, **used_with})
    assert refused.status == 400, refused.body
    assert refused.body["field"] == "cursor"


def test_cursors_do_not_cross_listings(orders: Api) -> None:
    order_cursor = orders("GET", "/orders", query={"limit": "1"}).body["nextCursor"]
    product_cursor = orders("GET", "/products", query={"limit": "1"}).body["nextCursor"]
    category_cursor = orders("GET", "/products", query={"limit": "1", "categoryCode": "CAT-PERIPH"}).body["nextCursor"]
    for path, query in [
        ("/products", {"cursor": order_cursor}),
        ("/products", {"cursor": category_cursor}),
        ("/products", {"cursor": product_cursor, "categoryCode": "CAT-PERIPH"}),
        ("/inventory", {"cursor": order_cursor}),
        ("/orders", {"cursor": product_cursor}),
    ]:
        refused = orders("GET", path, query=query)
        assert refused.status == 400 and refused.body["field"] == "cursor", (path, refused.body)


def test_bad_list_parameters_name_their_field(orders: Api) -> None:
    for query, field in [
        ({"order": "sideways"}, "order"),
        ({"placedFrom": "yesterday"}, "placedFrom"),
        ({"placedTo": "2026-13-01"}, "placedTo"),
        ({"placedFrom": "2026-03-05", "placedTo": "2026-03-05"}, "placedTo"),
        ({"placedFrom": "2026-03-05", "placedTo": "2026-03-01"}, "placedTo"),
        ({"customerId": "a#b"}, "customerId"),
        ({"customerId": ""}, "customerId"),
    ]:
        refused = orders("GET", "/orders", query=query)
        assert refused.status == 422, (query, refused.body)
        assert refused.body["field"] == field, (query, refused.body)


def test_list_items_carry_no_index_attributes(orders: Api) -> None:
    listed = orders("GET", "/orders", query={"limit": "1"}).body["items"][0]
    single = orders("GET", f"/orders/{listed['code']}").body
    assert listed == single
    assert not {"gsi1pk", "gsi2pk", "gsi3pk", "gsisk"} & set(listed)


# -- cost: a single filter is one key, whatever share of the tenant matches ----------------------


@pytest.fixture
def requests_made(aws: AwsEnv) -> Iterator[list[str]]:
    """The DynamoDB operations the shop's client makes while the test runs."""
    made: list[str] = []

    def count(model: Any, **_: Any) -> None:
        made.append(model.name)

    client = wiring.dynamodb_client()
    client.meta.events.register("before-call.dynamodb.*", count)
    yield made
    client.meta.events.unregister("before-call.dynamodb.*", count)


def test_a_page_with_one_filter_costs_two_requests_however_rare_the_match(
    stocked: Api, clock: FixedClock, requests_made: list[str], pump: Any
) -> None:
    for day in range(1, 25):
        place(stocked, clock, day, customer="CUST-RARE" if day == 12 else "CUST-001")
    place(stocked, clock, 25, status="shipped", pump=pump)

    for query, expected in [
        ({"customerId": "CUST-RARE"}, ords(12)),
        ({"status": "shipped"}, ords(25)),
        ({"customerId": "CUST-RARE", "placedFrom": "2026-03-10"}, ords(12)),
        ({"placedFrom": "2026-03-24", "limit": "5"}, ords(25, 24)),
    ]:
        requests_made.clear()
        assert codes(stocked, "/orders", **query) == expected
        assert requests_made == ["Query", "BatchGetItem"], query


def test_a_combination_reads_a_bounded_number_of_chunks_and_resumes_after_them(
    stocked: Api, clock: FixedClock, requests_made: list[str], monkeypatch: pytest.MonkeyPatch, pump: Any
) -> None:
    from cqrs import data

    monkeypatch.setattr(data, "_COMBINATION_CHUNK", 2)
    for day in range(1, 14):  # 13 orders of CUST-001; only the first is shipped
        place(stocked, clock, day, status="shipped" if day == 1 else None, pump=pump)

    requests_made.clear()
    first = stocked("GET", "/orders", query={"customerId": "CUST-001", "status": "shipped"})
    # 5 rounds of 2 entries (orders 13..4), none shipped: an empty page that says where to go on.
    assert first.body["items"] == [] and first.body["nextCursor"] is not None
    assert requests_made == ["Query", "BatchGetItem"] * 5
    query = {"customerId": "CUST-001", "status": "shipped", "cursor": first.body["nextCursor"]}
    second = stocked("GET", "/orders", query=query)
    assert [item["code"] for item in second.body["items"]] == ords(1) and second.body["nextCursor"] is None


# -- products ------------------------------------------------------------------------------------


def test_products_by_category_and_active_state(stocked: Api) -> None:
    assert codes(stocked, "/products") == ["PRD-001", "PRD-002", "PRD-003"]
    assert codes(stocked, "/products", categoryCode="CAT-PERIPH") == ["PRD-001", "PRD-002"]
    assert codes(stocked, "/products", categoryCode="CAT-CABLE") == ["PRD-003"]
    assert codes(stocked, "/products", isActive="true") == ["PRD-001", "PRD-002"]
    assert codes(stocked, "/products", isActive="false") == ["PRD-003"]
    assert codes(stocked, "/products", categoryCode="CAT-CABLE", isActive="true") == []
    assert codes(stocked, "/products", categoryCode="CAT-PERIPH", isActive="true") == ["PRD-001", "PRD-002"]
    assert all_pages(stocked, "/products", limit="1", categoryCode="CAT-PERIPH") == [["PRD-001"], ["PRD-002"]]
    assert codes(stocked, "/products", categoryCode="CAT-NONE") == []


def test_a_product_moves_between_lists_when_it_changes(stocked: Api) -> None:
    moved = stocked("PATCH", "/products/PRD-001", {"version": 1, "categoryCode": "CAT-CABLE", "isActive": False})
    assert moved.status == 200, moved.body
    assert codes(stocked, "/products", categoryCode="CAT-PERIPH") == ["PRD-002"]
    assert codes(stocked, "/products", categoryCode="CAT-CABLE") == ["PRD-001", "PRD-003"]
    assert codes(stocked, "/products", isActive="false") == ["PRD-001", "PRD-003"]


def test_product_filters_are_validated(stocked: Api) -> None:
    for query, field in [({"isActive": "maybe"}, "isActive"), ({"categoryCode": "a b"}, "categoryCode")]:
        refused = stocked("GET", "/products", query=query)
        assert refused.status == 422 and refused.body["field"] == field, refused.body


# -- inventory -----------------------------------------------------------------------------------


def test_inventory_lists_every_record_and_the_low_stock_ones(stocked: Api) -> None:
    assert stocked("PATCH", "/inventory/PRD-003", {"version": 0, "quantity": 4}).status == 200
    assert stocked("PATCH", "/inventory/PRD-002", {"version": 1, "quantity": 60}).status == 200
    assert codes(stocked, "/inventory") == ["PRD-001", "PRD-002", "PRD-003"]  # 1000, 60, 4 units
    assert codes(stocked, "/inventory", availableBelow="100") == ["PRD-003", "PRD-002"]  # fewest first
    assert codes(stocked, "/inventory", availableBelow="60") == ["PRD-003"]
    assert codes(stocked, "/inventory", availableBelow="61") == ["PRD-003", "PRD-002"]
    assert codes(stocked, "/inventory", availableBelow="4") == []
    assert all_pages(stocked, "/inventory", availableBelow="100", limit="1") == [["PRD-003"], ["PRD-002"]]
    listed = stocked("GET", "/inventory", query={"availableBelow": "5"}).body["items"][0]
    assert listed["attributes"]["available"] == 4 and listed["attributes"]["quantity"] == 4


def test_reservations_move_a_record_into_the_low_stock_list(stocked: Api, pump: Any) -> None:
    pump.drain()
    assert stocked("PATCH", "/inventory/PRD-002", {"version": 1, "quantity": 101}).status == 200
    assert codes(stocked, "/inventory", availableBelow="100") == []
    assert stocked("POST", "/orders", order_body(("PRD-002", 2))).status == 201
    pump.drain()  # the data-sync handler reserves the stock: 99 available
    assert codes(stocked, "/inventory", availableBelow="100") == ["PRD-002"]
    assert codes(stocked, "/inventory", availableBelow="99") == []


def test_low_stock_threshold_is_validated(stocked: Api) -> None:
    for value in ("0", "101", "-1", "x"):
        refused = stocked("GET", "/inventory", query={"availableBelow": value})
        assert refused.status == 422 and refused.body["field"] == "availableBelow", refused.body
