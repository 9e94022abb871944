"""The demo: tenants shop-a and shop-b, an admin and a staff user in each, products with stock,
and an operator (`operator@example.com`, role system_admin, tenant common).

Users go into the local user pool through its admin API on every start, idempotently (a user
that exists keeps its account; its password is set again). The tenants' registry records,
products and stock go through the system's own API handler, as the operator or an admin of the
tenant would send them (POST /tenants, POST /products, PATCH /inventory/{code}), and only when
missing: a restart neither duplicates nor resets them.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import asdict, dataclass
from typing import Any

from client.seed import Call, CallApi
from client.seed import seed_catalogue as seed_catalogue_rows
from infra.names import COMMON_TENANT, OPERATOR_ROLE, ROLE_ATTRIBUTE, TENANT_ATTRIBUTE

log = logging.getLogger("local")

TENANTS = ("shop-a", "shop-b")


@dataclass(frozen=True)
class DemoUser:
    tenant: str
    username: str
    password: str
    role: str


def demo_user(tenant: str, role: str) -> DemoUser:
    """`<role>@<tenant>.example.com` with a password that meets the stack's policy (12+
    characters, upper, lower, digit, symbol)."""
    return DemoUser(
        tenant=tenant,
        username=f"{role}@{tenant}.example.com",
        password=f"{tenant.title().replace('-', '')}-{role.title()}-Pass1!",
        role=role,
    )


# One line per demo user: a new one is one more line.
DEMO_USERS: tuple[DemoUser, ...] = (
    demo_user("shop-a", "admin"),
    demo_user("shop-a", "staff"),
    demo_user("shop-b", "admin"),
    demo_user("shop-b", "staff"),
    DemoUser(tenant=COMMON_TENANT, username="operator@example.com", password="Operator-Pass1!", role=OPERATOR_ROLE),
)
TENANT_NAMES = {"shop-a": "Shop A", "shop-b": "Shop B"}

# PRD-001 is the seed's example product (2 x 29.99 -> subtotal 59.98, tax 6.00, total 65.98).
DEMO_PRODUCTS: tuple[dict[str, Any], ...] = (
    {
        "code": "PRD-001",
        "name": "Wireless Mouse",
        "categoryCode": "CAT-PERIPHERALS",
        "sku": "SKU-MOUSE-001",
        "price": 29.99,
        "currency": "USD",
        "description": "A two-button wireless mouse",
        "stock": 100,
        "warehouseCode": "WH-01",
    },
    {
        "code": "PRD-002",
        "name": "Mechanical Keyboard",
        "categoryCode": "CAT-PERIPHERALS",
        "sku": "SKU-KEYB-002",
        "price": 89.00,
        "currency": "USD",
        "description": "Tenkeyless, brown switches",
        "stock": 50,
        "warehouseCode": "WH-01",
    },
    {
        "code": "PRD-003",
        "name": "USB-C Hub",
        "categoryCode": "CAT-ACCESSORIES",
        "sku": "SKU-HUB-003",
        "price": 45.50,
        "currency": "USD",
        "description": "Seven ports",
        "stock": 10,
        "warehouseCode": "WH-01",
    },
)


def create_users(cognito: Any, pool_id: str, groups: set[str]) -> list[DemoUser]:
    """Create (or reset) the demo users with permanent passwords; idempotent."""
    for user in DEMO_USERS:
        attributes = [
            {"Name": "email", "Value": user.username},
            {"Name": "email_verified", "Value": "true"},
            {"Name": f"custom:{TENANT_ATTRIBUTE}", "Value": user.tenant},
            {"Name": f"custom:{ROLE_ATTRIBUTE}", "Value": user.role},
        ]
        with contextlib.suppress(cognito.exceptions.UsernameExistsException):
            cognito.admin_create_user(
                UserPoolId=pool_id, Username=user.username, UserAttributes=attributes, MessageAction="SUPPRESS"
            )
        cognito.admin_set_user_password(
            UserPoolId=pool_id, Username=user.username, Password=user.password, Permanent=True
        )
        if user.role in groups:
            cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=user.username, GroupName=user.role)
    return list(DEMO_USERS)


def admin_claims(tenant: str) -> dict[str, str]:
    """The claims an admin of `tenant` would carry (as API Gateway flattens them)."""
    return {
        "sub": f"demo-seed-{tenant}",
        "cognito:username": f"demo-seed-{tenant}",
        "email": f"seed@{tenant}.example.com",
        f"custom:{TENANT_ATTRIBUTE}": tenant,
        f"custom:{ROLE_ATTRIBUTE}": "admin",
        "cognito:groups": "admin",
        "token_use": "id",
    }


def operator_claims() -> dict[str, str]:
    """The claims of the demo's operator (as API Gateway flattens them)."""
    return {
        "sub": "demo-seed-operator",
        "cognito:username": "demo-seed-operator",
        "email": "operator@example.com",
        f"custom:{TENANT_ATTRIBUTE}": COMMON_TENANT,
        f"custom:{ROLE_ATTRIBUTE}": OPERATOR_ROLE,
        "token_use": "id",
    }


class SeedError(RuntimeError):
    pass


def seed_tenants(call: Any) -> int:
    """Register the demo tenants where missing (POST /tenants as the operator); returns the writes."""
    writes = 0
    for tenant in TENANTS:
        status, _ = call("GET", f"/tenants/{tenant}", None, operator_claims())
        if status == 404:
            body = {"code": tenant, "name": TENANT_NAMES[tenant]}
            status, answer = call("POST", "/tenants", body, operator_claims())
            if status != 201:
                raise SeedError(f"POST /tenants {tenant}: {status} {str(answer)[:300]}")
            writes += 1
        elif status != 200:
            raise SeedError(f"GET /tenants/{tenant}: {status}")
    return writes


def _as_admin(call: Any, tenant: str) -> Call:
    claims = admin_claims(tenant)

    def send(method: str, path: str, body: Any) -> tuple[int, Any]:
        status, answer = call(method, path, body, claims)
        return int(status), answer

    return send


def seed_catalogue(call: Any) -> int:
    """Create the demo products and their stock where missing, with the project's catalogue seeder.
    `call(method, path, body, claims)` invokes the API handler and returns (status, json body).
    Returns how many writes it made."""
    writes = 0
    for tenant in TENANTS:
        api = CallApi(_as_admin(call, tenant))
        for result in seed_catalogue_rows(api, [dict(product) for product in DEMO_PRODUCTS]):
            if not result.ok:
                raise SeedError(f"demo catalogue of {tenant}, {result.code}: {result.error}")
            writes += (result.product == "created") + (result.stock == "set")
    return writes


def users_for_outputs(users: list[DemoUser]) -> list[dict[str, str]]:
    return [asdict(user) for user in users]
