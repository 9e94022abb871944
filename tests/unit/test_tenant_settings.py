"""Tenant settings, order-number formats and the operator's context: pure functions, no AWS."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from cqrs.context import UserContext
from cqrs.errors import AuthorizationError, ValidationError
from cqrs.sequences import NumberFormat, Rotation, SequenceValue
from shop.money import order_totals
from shop.tenant_settings import TenantSettings


def value(number: int, period: str | None) -> SequenceValue:
    return SequenceValue("ORDER", number, period, datetime(2026, 5, 1, tzinfo=UTC), 2026)


def test_the_default_format_is_todays_order_number() -> None:
    assert TenantSettings().order_number.render(value(1, None)) == "ORD-000001"
    assert TenantSettings().order_number.render(value(1234567, None)) == "ORD-1234567"


@pytest.mark.parametrize(
    ("number_format", "sequence", "expected"),
    [
        (NumberFormat(prefix="INV-", width=4), value(7, None), "INV-0007"),
        (NumberFormat(prefix="S", width=3, rotation=Rotation.YEARLY), value(12, "2026"), "S2026-012"),
        (NumberFormat(prefix="", width=2, rotation=Rotation.FISCAL_YEARLY), value(3, "FY2025"), "FY2025-03"),
    ],
)
def test_number_formats(number_format: NumberFormat, sequence: SequenceValue, expected: str) -> None:
    assert number_format.render(sequence) == expected


@pytest.mark.parametrize(("width", "month", "field"), [(0, 4, "width"), (13, 4, "width"), (6, 0, "fiscalStartMonth")])
def test_a_number_format_refuses_what_it_cannot_render(width: int, month: int, field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        NumberFormat(width=width, fiscal_start_month=month)
    assert refused.value.field == field


def test_settings_without_a_record_are_the_defaults() -> None:
    assert TenantSettings.from_stored(None).to_stored() == {
        "taxRate": Decimal("0.1"),
        "orderNumber": {"prefix": "ORD-", "width": 6, "rotation": "none", "fiscalStartMonth": 4},
        "lowStockThreshold": 5,
    }


def test_stored_settings_round_trip_and_merge() -> None:
    stored = {
        "taxRate": Decimal("0.0825"),
        "orderNumber": {"prefix": "B-", "width": 8, "rotation": "fiscal-yearly", "fiscalStartMonth": 7},
        "notificationSender": "shop@example.com",
        "lowStockThreshold": 0,
    }
    settings = TenantSettings.from_stored(stored)
    assert settings.tax_rate == Decimal("0.0825")
    assert settings.order_number == NumberFormat("B-", 8, Rotation.FISCAL_YEARLY, 7)
    assert settings.to_stored() == stored
    merged = settings.merged({"taxRate": Decimal("0.10"), "notificationSender": None})
    assert merged.to_stored() == {
        "taxRate": Decimal("0.1"),
        "orderNumber": {"prefix": "B-", "width": 8, "rotation": "fiscal-yearly", "fiscalStartMonth": 7},
        "lowStockThreshold": 0,
    }
    with pytest.raises(ValidationError) as refused:
        settings.merged({"lowStockThreshold": None})
    assert refused.value.field == "settings.lowStockThreshold"


def test_changing_one_part_of_the_number_format_keeps_the_others() -> None:
    current = TenantSettings.from_stored({"orderNumber": {"prefix": "D-", "width": 4, "rotation": "yearly"}})

    changed = current.merged({"orderNumber": {"prefix": "E-"}})

    assert changed.order_number == NumberFormat("E-", 4, Rotation.YEARLY, 4)


def test_totals_at_a_non_default_rate() -> None:
    totals = order_totals([(Decimal("29.99"), 2)], "USD", Decimal("0.0825"))
    # 59.98 x 0.0825 = 4.94835 -> 4.95
    assert (totals.subtotal, totals.tax, totals.total) == (Decimal("59.98"), Decimal("4.95"), Decimal("64.93"))
    zero = order_totals([(Decimal("1000"), 3)], "JPY", Decimal("0"))
    assert (zero.tax, zero.total) == (Decimal("0"), Decimal("3000"))


def test_system_admin_counts_only_in_the_common_tenant() -> None:
    operator = UserContext.from_claims({"sub": "op", "custom:tenant": "common", "custom:role": "system_admin"})
    impostor = UserContext.from_claims({"sub": "x", "custom:tenant": "shop-a", "custom:role": "system_admin"})
    assert operator.is_system_admin and not impostor.is_system_admin

    acting = operator.acting_in("shop-a")
    assert (acting.tenant_code, acting.pk, acting.user_id, acting.is_system_admin) == (
        "shop-a", "TENANT#shop-a", "op", True
    )  # fmt: skip
    with pytest.raises(AuthorizationError):
        impostor.acting_in("shop-b")


def test_the_stack_the_client_and_the_functions_agree_on_the_tenant_names() -> None:
    from cqrs.context import COMMON_TENANT, SYSTEM_ADMIN
    from handlers.access import TENANT_HEADER
    from infra import names

    assert (names.COMMON_TENANT, names.OPERATOR_ROLE, names.TENANT_HEADER) == (
        "common",
        "system_admin",
        "X-Tenant-Code",
    )
    assert (COMMON_TENANT, SYSTEM_ADMIN, TENANT_HEADER) == ("common", "system_admin", "X-Tenant-Code")
