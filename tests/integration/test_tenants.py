"""The tenant registry, per-tenant settings (tax rate, order numbers) and the suspension cache."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from cqrs.context import UserContext
from cqrs.services import CqrsServices
from harness.seed import CATALOGUE, SEED_ORDER, add_stocked_product, place_order
from shop.tenant_models import CreateTenantRequest, UpdateTenantRequest
from shop.tenants import TenantService, TenantSuspendedError
from shop.wiring import build_shop
from tests.integration.conftest import AwsEnv

OPERATOR = {"tenant": "common", "role": "system_admin", "sub": "operator-1"}
ADMIN_A = {"tenant": "shop-a", "role": "admin", "sub": "admin-a"}
DEFAULT_SETTINGS = {
    "taxRate": Decimal("0.1"),
    "orderNumber": {"prefix": "ORD-", "width": 6, "rotation": "none", "fiscalStartMonth": 4},
    "lowStockThreshold": 5,
}


@pytest.fixture
def shop_a(catalogue: Callable[..., Any]) -> Callable[..., Any]:
    """shop-a registered with the default settings, its catalogue stocked."""
    created = catalogue("POST", "/tenants", {"code": "shop-a", "name": "Shop A"}, **OPERATOR)
    assert created.status == 201, created.body
    return catalogue


def test_an_unregistered_tenant_works_as_before_with_the_defaults(api: Callable[..., Any]) -> None:
    own = api("GET", "/tenant", **ADMIN_A)
    assert own.status == 200
    assert own.body == {
        "code": "shop-a",
        "registered": False,
        "name": "shop-a",
        "status": "active",
        "version": 0,
        "settings": DEFAULT_SETTINGS,
    }


def test_a_registered_tenant_starts_with_the_defaults(api: Callable[..., Any]) -> None:
    created = api("POST", "/tenants", {"code": "shop-a", "name": "Shop A"}, **OPERATOR)
    assert created.status == 201
    assert (created.body["pk"], created.body["sk"], created.body["tenantCode"]) == (
        "TENANT#common", "TENANT#shop-a", "common"
    )  # fmt: skip
    assert created.body["attributes"] == {"status": "active", "settings": DEFAULT_SETTINGS}
    assert created.body["createdBy"] == "operator-1"
    listed = api("GET", "/tenants", **OPERATOR)
    assert [item["code"] for item in listed.body["items"]] == ["shop-a"]
    assert api("GET", "/tenant", **ADMIN_A).body["registered"] is True


def test_registering_twice_or_with_a_stale_version_conflicts(api: Callable[..., Any]) -> None:
    assert api("POST", "/tenants", {"code": "shop-a", "name": "Shop A"}, **OPERATOR).status == 201
    again = api("POST", "/tenants", {"code": "shop-a", "name": "Shop A"}, **OPERATOR)
    assert again.status == 409
    assert api("PATCH", "/tenants/shop-a", {"version": 1, "name": "Shop A1"}, **OPERATOR).status == 200
    stale = api("PATCH", "/tenants/shop-a", {"version": 1, "name": "Shop A2"}, **OPERATOR)
    assert (stale.status, stale.body["currentVersion"]) == (409, 2)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "shop-x", "name": "X", "settings": {"taxRate": 1.5}}, "settings.taxRate"),
        ({"code": "shop-x", "name": "X", "settings": {"taxRate": -0.1}}, "settings.taxRate"),
        ({"code": "shop-x", "name": "X", "settings": {"taxRate": 0.12345}}, "settings.taxRate"),
        ({"code": "shop-x", "name": "X", "settings": {"orderNumber": {"prefix": "-X"}}}, "settings.orderNumber.prefix"),
        ({"code": "shop-x", "name": "X", "settings": {"orderNumber": {"width": 0}}}, "settings.orderNumber.width"),
        ({"code": "shop-x", "name": "X", "settings": {"orderNumber": {"rotation": "monthly"}}},
         "settings.orderNumber.rotation"),
        ({"code": "shop-x", "name": "X", "settings": {"orderNumber": {"fiscalStartMonth": 13}}},
         "settings.orderNumber.fiscalStartMonth"),
        ({"code": "shop-x", "name": "X", "settings": {"notificationSender": "not-an-address"}},
         "settings.notificationSender"),
        ({"code": "shop-x", "name": "X", "settings": {"lowStockThreshold": -1}}, "settings.lowStockThreshold"),
        ({"code": "common", "name": "Common"}, "code"),
        ({"code": "shop x", "name": "X"}, "code"),
        ({"code": "shop-x", "name": "X", "status": "suspended"}, "status"),
    ],
)  # fmt: skip
def test_bad_registry_input_is_refused_naming_the_field(
    api: Callable[..., Any], body: dict[str, Any], field: str
) -> None:
    answer = api("POST", "/tenants", body, **OPERATOR)
    assert answer.status == 422
    assert answer.body["field"] == field


def test_a_tenant_may_not_set_its_own_sender_address(shop_a: Callable[..., Any]) -> None:
    own = shop_a("PATCH", "/tenant/settings", {"version": 1, "notificationSender": "me@shop-a.example"}, **ADMIN_A)
    assert (own.status, own.body["field"]) == (422, "notificationSender")
    operator = shop_a(
        "PATCH", "/tenants/shop-a", {"version": 1, "settings": {"notificationSender": "shop@a.example"}}, **OPERATOR
    )
    assert operator.status == 200
    assert operator.body["attributes"]["settings"]["notificationSender"] == "shop@a.example"
    cleared = shop_a("PATCH", "/tenants/shop-a", {"version": 2, "settings": {"notificationSender": None}}, **OPERATOR)
    assert "notificationSender" not in cleared.body["attributes"]["settings"]
    null_rate = shop_a("PATCH", "/tenants/shop-a", {"version": 3, "settings": {"taxRate": None}}, **OPERATOR)
    assert (null_rate.status, null_rate.body["field"]) == (422, "settings.taxRate")


def test_an_operator_may_set_only_a_sender_the_stack_can_send_from(shop_a: Callable[..., Any]) -> None:
    # The stack (tests/integration/conftest.py) sends from orders@example.com and any address at a.example
    for refused in ("shop@b.example", "shop@sub.a.example", "a.example@evil.example"):
        answer = shop_a(
            "PATCH", "/tenants/shop-a", {"version": 1, "settings": {"notificationSender": refused}}, **OPERATOR
        )
        assert (answer.status, answer.body["field"]) == (422, "settings.notificationSender"), refused
        assert answer.body["message"] == (
            "settings.notificationSender: the stack sends only from orders@example.com or an address at a.example"
            " (its SES identities)"
        )
    new = shop_a(
        "POST",
        "/tenants",
        {"code": "shop-n", "name": "N", "settings": {"notificationSender": "x@b.example"}},
        **OPERATOR,
    )
    assert (new.status, new.body["field"]) == (422, "settings.notificationSender")
    record = shop_a("GET", "/tenants/shop-a", **OPERATOR).body
    assert (record["version"], "notificationSender" in record["attributes"]["settings"]) == (1, False)
    assert shop_a("GET", "/tenants/shop-n", **OPERATOR).status == 404
    # The stack's own sender, in any case, and an address at a.example are accepted
    for version, accepted in ((1, "Orders@Example.com"), (2, "Shop.A@A.example")):
        answer = shop_a(
            "PATCH", "/tenants/shop-a", {"version": version, "settings": {"notificationSender": accepted}}, **OPERATOR
        )
        assert (answer.status, answer.body["attributes"]["settings"]["notificationSender"]) == (200, accepted)


def test_orders_are_taxed_at_the_tenants_rate(shop_a: Callable[..., Any]) -> None:
    changed = shop_a("PATCH", "/tenant/settings", {"version": 1, "taxRate": 0.08}, **ADMIN_A)
    assert changed.status == 200
    assert changed.body["attributes"]["settings"]["taxRate"] == Decimal("0.08")

    order = shop_a("POST", "/orders", SEED_ORDER, **ADMIN_A).body["attributes"]

    # 2 x 29.99 = 59.98; 59.98 x 0.08 = 4.7984 -> 4.80; 59.98 + 4.80 = 64.78
    assert (order["subtotal"], order["tax"], order["total"], order["taxRate"]) == (
        Decimal("59.98"), Decimal("4.80"), Decimal("64.78"), Decimal("0.08")
    )  # fmt: skip


def test_an_order_keeps_its_totals_after_the_rate_changes(shop_a: Callable[..., Any]) -> None:
    before = shop_a("POST", "/orders", SEED_ORDER, **ADMIN_A).body
    assert shop_a("PATCH", "/tenant/settings", {"version": 1, "taxRate": 0.2}, **ADMIN_A).status == 200

    old = shop_a("GET", f"/orders/{before['code']}", **ADMIN_A).body["attributes"]
    new = shop_a("POST", "/orders", SEED_ORDER, **ADMIN_A).body["attributes"]

    assert (old["tax"], old["total"], old["taxRate"]) == (Decimal("6.00"), Decimal("65.98"), Decimal("0.1"))
    assert (new["tax"], new["total"], new["taxRate"]) == (Decimal("12.00"), Decimal("71.98"), Decimal("0.2"))
    # Moving the order along does not reprice it either.
    confirmed = shop_a("PATCH", f"/orders/{before['code']}/status", {"status": "confirmed"}, **ADMIN_A).body
    assert (confirmed["attributes"]["tax"], confirmed["attributes"]["total"]) == (Decimal("6.00"), Decimal("65.98"))


def test_another_tenants_rate_is_not_mine(shop_a: Callable[..., Any]) -> None:
    assert shop_a("PATCH", "/tenant/settings", {"version": 1, "taxRate": 0.2}, **ADMIN_A).status == 200
    order_b = shop_a("POST", "/orders", SEED_ORDER, tenant="shop-b", role="admin").body["attributes"]
    assert (order_b["tax"], order_b["taxRate"]) == (Decimal("6.00"), Decimal("0.1"))


def test_the_operator_is_recorded_as_the_writer(shop_a: Callable[..., Any]) -> None:
    header = {"X-Tenant-Code": "shop-a"}
    product = shop_a("POST", "/products", {**CATALOGUE[0], "code": "PRD-OP"}, headers=header, **OPERATOR).body
    assert (product["tenantCode"], product["createdBy"], product["updatedBy"]) == ("shop-a", "operator-1", "operator-1")
    order = shop_a("POST", "/orders", SEED_ORDER, **ADMIN_A).body
    shipped = shop_a("PATCH", f"/orders/{order['code']}/status", {"status": "cancelled"}, headers=header, **OPERATOR)
    assert (shipped.body["createdBy"], shipped.body["updatedBy"]) == ("admin-a", "operator-1")

    assert shop_a("PATCH", "/tenant/settings", {"version": 1, "lowStockThreshold": 2}, **ADMIN_A).status == 200
    assert shop_a("PATCH", "/tenants/shop-a", {"version": 2, "status": "suspended"}, **OPERATOR).status == 200
    history = shop_a("GET", "/tenants/shop-a/history", **OPERATOR).body
    assert history["nextCursor"] is None
    assert [(v["version"], v["by"], v["changes"].get("attributes.status")) for v in history["items"]] == [
        (3, "operator-1", {"from": "active", "to": "suspended"}),
        (2, "admin-a", None),
        (1, "operator-1", {"from": None, "to": "active"}),
    ]


def test_a_resumed_tenant_is_served_again_and_kept_its_data(shop_a: Callable[..., Any]) -> None:
    order = shop_a("POST", "/orders", SEED_ORDER, **ADMIN_A).body
    assert shop_a("PATCH", "/tenants/shop-a", {"version": 1, "status": "suspended"}, **OPERATOR).status == 200
    assert shop_a("GET", f"/orders/{order['code']}", **ADMIN_A).status == 403
    assert shop_a("PATCH", "/tenants/shop-a", {"version": 2, "status": "active"}, **OPERATOR).status == 200
    assert shop_a("GET", f"/orders/{order['code']}", **ADMIN_A).body == order


# -- the sequence format and the cache, at the service level ---------------------------------------


def at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


@pytest.mark.parametrize(
    ("number_format", "moment", "codes"),
    [
        ({"prefix": "INV-", "width": 4}, datetime(2026, 3, 1, tzinfo=UTC), ["INV-0001", "INV-0002"]),
        ({"prefix": "", "width": 3}, datetime(2026, 3, 1, tzinfo=UTC), ["001", "002"]),
        ({"prefix": "S", "width": 5, "rotation": "yearly"}, datetime(2026, 3, 1, tzinfo=UTC),
         ["S2026-00001", "S2026-00002"]),
        ({"prefix": "INV-", "width": 4, "rotation": "fiscal-yearly", "fiscalStartMonth": 4},
         datetime(2026, 3, 31, tzinfo=UTC), ["INV-FY2025-0001", "INV-FY2025-0002"]),
        ({"prefix": "INV-", "width": 4, "rotation": "fiscal-yearly", "fiscalStartMonth": 4},
         datetime(2026, 4, 1, tzinfo=UTC), ["INV-FY2026-0001", "INV-FY2026-0002"]),
    ],
)  # fmt: skip
def test_order_numbers_in_the_tenants_format(
    aws: AwsEnv, number_format: dict[str, Any], moment: datetime, codes: list[str]
) -> None:
    app = build_shop(aws.client, aws.tables, at(moment))
    operator = UserContext(tenant_code="common", user_id="operator-1", role="system_admin")
    request = {"code": "shop-a", "name": "Shop A", "settings": {"orderNumber": number_format}}
    app.tenants.create(CreateTenantRequest.model_validate(request), operator)
    admin = UserContext(tenant_code="shop-a", user_id="admin-a", role="admin")
    add_stocked_product(app, admin, "PRD-001", 10)

    placed = [place_order(app, admin, {"PRD-001": 1}).code for _ in codes]

    assert placed == codes


def test_a_new_year_restarts_a_yearly_number_without_repeating_one(aws: AwsEnv) -> None:
    now = [datetime(2026, 12, 31, 23, tzinfo=UTC)]
    app = build_shop(aws.client, aws.tables, lambda: now[0])
    operator = UserContext(tenant_code="common", user_id="operator-1", role="system_admin")
    request = {"code": "shop-a", "name": "A", "settings": {"orderNumber": {"prefix": "ORD-", "rotation": "yearly"}}}
    app.tenants.create(CreateTenantRequest.model_validate(request), operator)
    admin = UserContext(tenant_code="shop-a", user_id="admin-a", role="admin")
    add_stocked_product(app, admin, "PRD-001", 10)

    first = place_order(app, admin, {"PRD-001": 1}).code
    now[0] = datetime(2027, 1, 1, tzinfo=UTC)
    second = place_order(app, admin, {"PRD-001": 1}).code

    assert (first, second) == ("ORD-2026-000001", "ORD-2027-000001")


class CountingClient:
    """A DynamoDB client that counts the requests made through it."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.requests: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute) or name.startswith("_") or name in ("exceptions", "meta"):
            return attribute

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.requests.append(name)
            return attribute(*args, **kwargs)

        return counted


def test_the_suspension_check_is_cached_and_bites_within_the_ttl(aws: AwsEnv) -> None:
    now = [1000.0]
    counting = CountingClient(aws.client)
    core = CqrsServices.build(counting, aws.tables)
    writer = TenantService(core, ttl_s=30.0, clock=lambda: now[0])  # the instance that suspends
    other = TenantService(core, ttl_s=30.0, clock=lambda: now[0])  # another warm instance
    operator = UserContext(tenant_code="common", user_id="operator-1", role="system_admin")
    writer.create(CreateTenantRequest(code="shop-a", name="Shop A"), operator)
    other.check_active("shop-a")  # loads the record: one GetItem

    counting.requests.clear()
    for _ in range(100):
        other.check_active("shop-a")
    assert counting.requests == []  # no DynamoDB request while the cache is fresh

    writer.update("shop-a", UpdateTenantRequest.model_validate({"version": 1, "status": "suspended"}), operator)
    with pytest.raises(TenantSuspendedError):
        writer.check_active("shop-a")  # at once where it was written
    now[0] += 29.9
    other.check_active("shop-a")  # still the cached record elsewhere
    now[0] += 0.2
    with pytest.raises(TenantSuspendedError):
        other.check_active("shop-a")  # within the TTL everywhere


def test_streams_keep_processing_a_suspended_tenants_orders(shop_a: Callable[..., Any], aws: AwsEnv) -> None:
    import boto3
    from botocore.config import Config

    from harness.streams import build_pump
    from tests.integration.conftest import REGION

    # moto routes the streams API only without account-based endpoints (docs/design.md, test tiers).
    streams = boto3.client("dynamodbstreams", region_name=REGION, config=Config(account_id_endpoint_mode="disabled"))
    pump = build_pump(aws.client, streams, aws.tables.command, aws.tables.data)
    pump.drain()
    order = shop_a("POST", "/orders", SEED_ORDER, **ADMIN_A).body
    assert shop_a("PATCH", "/tenants/shop-a", {"version": 1, "status": "suspended"}, **OPERATOR).status == 200

    pump.drain()  # the new order's reservation runs while the tenant is suspended

    header = {"X-Tenant-Code": "shop-a"}
    reserved = shop_a("GET", f"/orders/{order['code']}", headers=header, **OPERATOR).body
    assert reserved["attributes"]["inventoryStatus"] == "reserved"
    stock = shop_a("GET", "/inventory/PRD-001", headers=header, **OPERATOR).body["attributes"]
    assert (stock["quantity"], stock["reservedQuantity"]) == (10, 2)
    cancelled = shop_a("PATCH", f"/orders/{order['code']}/status", {"status": "cancelled"}, headers=header, **OPERATOR)
    assert cancelled.status == 200
    pump.drain()
    stock = shop_a("GET", "/inventory/PRD-001", headers=header, **OPERATOR).body["attributes"]
    assert (stock["quantity"], stock["reservedQuantity"]) == (10, 0)


def test_the_registry_is_listed_page_by_page(api: Callable[..., Any]) -> None:
    for code in ("shop-1", "shop-2", "shop-3"):
        assert api("POST", "/tenants", {"code": code, "name": code.title()}, **OPERATOR).status == 201

    first = api("GET", "/tenants", query={"limit": "2"}, **OPERATOR).body
    rest = api("GET", "/tenants", query={"limit": "2", "cursor": first["nextCursor"]}, **OPERATOR).body

    assert [t["code"] for t in first["items"]] == ["shop-1", "shop-2"]
    assert ([t["code"] for t in rest["items"]], rest["nextCursor"]) == (["shop-3"], None)


def test_other_code_reads_a_tenants_effective_settings(shop_a: Callable[..., Any]) -> None:
    from shop.wiring import tenant_settings

    assert (tenant_settings("shop-a").notification_sender, tenant_settings("shop-a").low_stock_threshold) == (None, 5)
    changed = {"version": 1, "settings": {"notificationSender": "shop@a.example", "lowStockThreshold": 2}}
    assert shop_a("PATCH", "/tenants/shop-a", changed, **OPERATOR).status == 200

    settings = tenant_settings("shop-a")  # the writing instance's cache holds the new record

    assert (settings.notification_sender, settings.low_stock_threshold) == ("shop@a.example", 2)
    assert tenant_settings("shop-unregistered").tax_rate == Decimal("0.1")


def test_a_settings_change_keeps_what_it_does_not_name(shop_a: Callable[..., Any]) -> None:
    first = {"version": 1, "taxRate": 0.07, "orderNumber": {"prefix": "A-", "width": 4, "rotation": "yearly"}}
    assert shop_a("PATCH", "/tenant/settings", first, **ADMIN_A).status == 200

    second = shop_a("PATCH", "/tenant/settings", {"version": 2, "orderNumber": {"width": 8}}, **ADMIN_A)

    assert second.body["attributes"]["settings"] == {
        "taxRate": Decimal("0.07"),
        "orderNumber": {"prefix": "A-", "width": 8, "rotation": "yearly", "fiscalStartMonth": 4},
        "lowStockThreshold": 5,
    }
