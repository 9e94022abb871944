"""Tenants and the operator over HTTP: the local runtime, real tokens from the local Cognito."""

from __future__ import annotations

from typing import Any

import pytest

from harness.runtime_process import Api

pytestmark = pytest.mark.e2e


def test_the_demo_has_an_operator_and_registers_its_shops(outputs: dict[str, Any], operator: Api) -> None:
    demo_operator = [u for u in outputs["DemoUsers"] if u["role"] == "system_admin"]
    assert [(u["tenant"], u["username"]) for u in demo_operator] == [("common", "operator@example.com")]
    status, page = operator.get("/tenants")
    assert status == 200
    registered = {item["code"]: (item["name"], item["attributes"]["status"]) for item in page["items"]}
    assert registered["shop-a"] == ("Shop A", "active") and registered["shop-b"] == ("Shop B", "active")


def test_the_operator_acts_in_a_shop_only_by_naming_it(operator: Api) -> None:
    status, body = operator.get("/products")
    assert (status, body["field"]) == (400, "X-Tenant-Code")
    status, body = operator.get("/products/PRD-001", headers={"X-Tenant-Code": "shop-a"})
    assert (status, body["tenantCode"], body["code"]) == (200, "shop-a", "PRD-001")
    status, body = operator.get("/tenant", headers={"X-Tenant-Code": "shop-b"})
    assert (status, body["code"], body["registered"]) == (200, "shop-b", True)


def test_a_shops_user_may_name_only_its_own_shop(admin_a: Api) -> None:
    assert admin_a.get("/products/PRD-001", headers={"X-Tenant-Code": "shop-a"})[0] == 200
    status, body = admin_a.get("/products/PRD-001", headers={"X-Tenant-Code": "shop-b"})
    assert (status, body["message"]) == (403, "X-Tenant-Code: you may not act in tenant 'shop-b'")
    assert admin_a.get("/tenants")[0] == 403
    status, body = admin_a.get("/tenant")
    assert (status, body["code"], body["settings"]["taxRate"]) == (200, "shop-a", 0.1)
