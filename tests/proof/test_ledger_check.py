"""The check the `ledger` fixture runs when the session ends: an accepted order that does not read
back in its tenant is reported lost; one that does is not."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.proof.ledger import RecordingApi, lost_orders, multi_line_order, new_product

pytestmark = pytest.mark.e2e

TENANT = "proof-ledger"


def test_an_order_that_reads_back_is_not_lost_and_one_that_does_not_is(
    api_as: Callable[[str, str], RecordingApi],
) -> None:
    # Given an order accepted in a tenant of this test's own
    admin = api_as(TENANT, "admin")
    status, created = admin.post("/orders", multi_line_order([new_product(admin, stock=1)]))
    assert status == 201, created

    def admin_of(tenant: str) -> RecordingApi:
        return api_as(tenant, "admin")

    # Then it is found, and a code the API never accepted there is reported lost
    assert lost_orders({TENANT: {created["code"]}}, admin_of) == []
    assert lost_orders({TENANT: {created["code"], "ORD-999999"}}, admin_of) == [f"{TENANT} ORD-999999"]
