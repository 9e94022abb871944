"""Runs last (file order): every order the suite saw accepted is still there, and no 5xx was seen."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.proof.ledger import LEDGER, RecordingApi, multi_line_order, new_product
from tests.proof.test_tenant_isolation import all_pages

pytestmark = pytest.mark.e2e


def test_no_accepted_order_is_lost_and_no_request_got_a_5xx(api_as: Callable[[str, str], RecordingApi]) -> None:
    # Given at least one accepted order of this test's own (never vacuous when run alone)
    admin = api_as("proof-ledger", "admin")
    status, created = admin.post("/orders", multi_line_order([new_product(admin, stock=1)]))
    assert status == 201, created

    # Then every order answered 201 in this session reads back, and is listed, in its tenant
    for tenant, codes in sorted(LEDGER.created_orders.items()):
        api = api_as(tenant, "admin")
        listed = {item["code"] for _, page in all_pages(api, "/orders") for item in page["items"]}
        for code in sorted(codes):
            LEDGER.checked_orders += 1
            status, order = api.get(f"/orders/{code}")
            if status != 200 or order.get("code") != code or code not in listed:
                LEDGER.lost_orders.append(f"{tenant} {code}")
    print(LEDGER.summary())
    assert LEDGER.lost_orders == []
    assert LEDGER.server_errors == []
