"""List index keys, list cursors, history diffs and the index write-cost rules: pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bench.index_cost import index_write_units
from cqrs.context import UserContext
from cqrs.cursor import decode_cursor, decode_index_cursor, encode_cursor, encode_index_cursor
from cqrs.errors import InvalidCursorError, ValidationError
from cqrs.history import changes_between
from cqrs.indexes import data_image
from cqrs.items import Item
from shop.listing import low_stock_query, order_query, product_query
from shop.status import OrderStatus

CTX = UserContext(tenant_code="shop-a", user_id="u")


def item(sk: str, attributes: dict[str, object], version: int = 1, name: str = "N") -> Item:
    return Item(
        pk="TENANT#shop-a",
        sk=sk,
        code=sk.split("#", 1)[1],
        name=name,
        tenant_code="shop-a",
        version=version,
        attributes=attributes,
        created_at="2026-03-01T12:00:00.000Z",
        created_by="u",
        updated_at="2026-03-01T12:00:00.000Z",
        updated_by="u",
    )


ORDER = item(
    "ORDER#ORD-000007",
    {"status": "pending", "customerId": "CUST-9", "placedAt": "2026-03-01T12:00:00.000Z", "items": []},
)


def test_an_order_is_in_three_indexes_under_its_tenant() -> None:
    image = data_image(ORDER)
    assert image["gsi1pk"] == "TENANT#shop-a#ORDER"
    assert image["gsi2pk"] == "TENANT#shop-a#ORDER#status#pending"
    assert image["gsi3pk"] == "TENANT#shop-a#ORDER#customer#CUST-9"
    assert image["gsisk"] == "2026-03-01T12:00:00.000Z#ORD-000007"
    assert image["sk"] == "ORDER#ORD-000007" and image["attributes"]["status"] == "pending"


def test_products_by_category_and_active_state() -> None:
    product = item("PRODUCT#PRD-1", {"categoryCode": "CAT-A", "isActive": False, "price": 1})
    image = data_image(product)
    assert (image["gsi1pk"], image["gsi2pk"], image["gsisk"]) == (
        "TENANT#shop-a#PRODUCT#category#CAT-A",
        "TENANT#shop-a#PRODUCT#active#false",
        "PRD-1",
    )
    assert "gsi3pk" not in image


def test_only_low_stock_records_are_in_the_low_stock_index() -> None:
    low = data_image(item("INVENTORY#PRD-1", {"quantity": 120, "reservedQuantity": 21}))
    plenty = data_image(item("INVENTORY#PRD-2", {"quantity": 120, "reservedQuantity": 20}))
    assert (low["gsi1pk"], low["gsisk"]) == ("TENANT#shop-a#INVENTORY#low", "0000000099#PRD-1")
    assert not {"gsi1pk", "gsi2pk", "gsi3pk", "gsisk"} & set(plenty)


def test_an_unregistered_type_has_no_index_attributes() -> None:
    assert set(data_image(item("ITEM#A", {"x": 1}))) == {
        "pk", "sk", "id", "code", "name", "tenantCode", "type", "version", "attributes",
        "createdAt", "createdBy", "updatedAt", "updatedBy",
    }  # fmt: skip


def test_order_queries_pick_the_key_that_serves_the_filter() -> None:
    assert order_query(CTX).index.name == "gsi1" and order_query(CTX).descending
    by_status = order_query(CTX, status=OrderStatus.SHIPPED, descending=False)
    assert (by_status.index.name, by_status.partition, by_status.combined) == (
        "gsi2",
        "TENANT#shop-a#ORDER#status#shipped",
        False,
    )
    both = order_query(CTX, status=OrderStatus.SHIPPED, customer_id="C1")
    assert (both.index.name, both.partition, both.combined) == ("gsi3", "TENANT#shop-a#ORDER#customer#C1", True)
    assert both.keep is not None and not both.keep(ORDER)  # ORDER is pending, C9's


def test_date_bounds_become_utc_key_bounds() -> None:
    tokyo = timezone(timedelta(hours=9))
    query = order_query(
        CTX, placed_from=datetime(2026, 3, 1, 21, tzinfo=tokyo), placed_to=datetime(2026, 3, 2, tzinfo=UTC)
    )
    assert (query.lower, query.upper) == ("2026-03-01T12:00:00.000Z", "2026-03-02T00:00:00.000Z")
    assert query.keep is not None and query.keep(ORDER)  # placed exactly at the inclusive lower bound
    with pytest.raises(ValidationError) as refused:
        order_query(CTX, placed_from=datetime(2026, 3, 2, tzinfo=UTC), placed_to=datetime(2026, 3, 2, tzinfo=UTC))
    assert refused.value.field == "placedTo"


def test_each_filter_has_its_own_cursor_identity() -> None:
    ids = {
        order_query(CTX).query_id,
        order_query(CTX, descending=False).query_id,
        order_query(CTX, status=OrderStatus.PENDING).query_id,
        order_query(CTX, customer_id="C1").query_id,
        order_query(CTX, customer_id="C1", status=OrderStatus.PENDING).query_id,
        order_query(UserContext(tenant_code="shop-b", user_id="u")).query_id,
        product_query(CTX, category_code="C1").query_id,
        low_stock_query(CTX, 5).query_id,
        low_stock_query(CTX, 6).query_id,
    }
    assert len(ids) == 9
    assert (
        order_query(CTX, status=OrderStatus.PENDING).query_id == order_query(CTX, status=OrderStatus.PENDING).query_id
    )


def test_index_cursors_round_trip_and_refuse_every_other_kind() -> None:
    cursor = encode_index_cursor("ORDER#ORD-1", "2026#ORD-1", "q1")
    assert decode_index_cursor(cursor, "ORDER#", "q1") == ("ORDER#ORD-1", "2026#ORD-1")
    for bad, prefix, query_id in [
        (cursor, "ORDER#", "q2"),  # another filter
        (cursor, "PRODUCT#", "q1"),  # another entity type
        (encode_cursor("ORDER#ORD-1"), "ORDER#", "q1"),  # a table listing's cursor
        ("%%%", "ORDER#", "q1"),
        ("", "ORDER#", "q1"),
    ]:
        with pytest.raises(InvalidCursorError):
            decode_index_cursor(bad, prefix, query_id)
    with pytest.raises(InvalidCursorError):
        decode_cursor(cursor, "ORDER#")  # an index cursor on a table listing


def test_low_stock_threshold_bounds() -> None:
    assert low_stock_query(CTX, 100).upper == "0000000100"
    for value in (0, 101):
        with pytest.raises(ValidationError) as refused:
            low_stock_query(CTX, value)
        assert refused.value.field == "availableBelow"


def test_changes_between_versions_walk_maps_and_keep_lists_whole() -> None:
    before = item("ORDER#O", {"status": "pending", "address": {"city": "Tokyo", "zip": "1"}, "lines": [1]}, name="A")
    after = item("ORDER#O", {"status": "shipped", "address": {"city": "Osaka", "zip": "1"}, "lines": [1, 2]}, 2, "A")
    assert changes_between(before, after) == {
        "attributes.address.city": {"from": "Tokyo", "to": "Osaka"},
        "attributes.lines": {"from": [1], "to": [1, 2]},
        "attributes.status": {"from": "pending", "to": "shipped"},
    }
    assert changes_between(None, item("ITEM#A", {"n": 1})) == {
        "attributes.n": {"from": None, "to": 1},
        "name": {"from": None, "to": "N"},
    }
    removed = changes_between(item("ITEM#A", {"n": 1, "gone": "x"}), item("ITEM#A", {"n": 1}, 2))
    assert removed == {"attributes.gone": {"from": "x", "to": None}}


def _typed(image: dict[str, str]) -> dict[str, dict[str, str]]:
    return {k: {"S": v} for k, v in image.items()}


def test_index_write_units_follow_dynamodbs_rules() -> None:
    pending = _typed({"gsi1pk": "A", "gsi2pk": "S#pending", "gsisk": "t#1", "status": "pending"})
    confirmed = _typed({"gsi1pk": "A", "gsi2pk": "S#confirmed", "gsisk": "t#1", "status": "confirmed"})
    reserved = {**pending, "inventoryStatus": {"S": "reserved"}}
    assert index_write_units(None, pending) == 2  # two entries put
    assert index_write_units(pending, reserved) == 0  # keys unchanged: KEYS_ONLY projects nothing else
    assert index_write_units(pending, confirmed) == 2  # gsi2 key moved: delete + put
    assert index_write_units(confirmed, _typed({"x": "no index"})) == 2  # both entries deleted
    assert index_write_units(_typed({"x": "a"}), _typed({"x": "b"})) == 0
