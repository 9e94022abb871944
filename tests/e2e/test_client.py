"""The operator tool and API client (`python -m client`) against the local runtime, with real tokens.

A new tenant `shop-c` is created with the tool, its admin logs in through the client, and every
command group is driven as a user would: in-process through `client.cli.main(argv)`, and once as
a `python -m client` subprocess for the exit code and stderr a shell sees.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from client.api import dumps
from client.cli import main
from client.errors import ClientError
from client.outputs import parse_outputs
from client.users import validate_tenant_code
from cqrs.errors import ValidationError
from cqrs.keys import validate_tenant_code as api_validate_tenant_code
from harness.runtime_process import PROJECT_ROOT, RuntimeProcess, wait_for

pytestmark = pytest.mark.e2e

TENANT = "shop-c"
ADMIN = "owner@shop-c.example.com"
STAFF = "clerk@shop-c.example.com"
PASSWORD = "ShopC-Owner-Pass1!"
STAFF_PASSWORD = "ShopC-Clerk-Pass1!"
OPERATOR = "operator@example.com"  # the demo's operator (system_admin, tenant common)
OPERATOR_PASSWORD = "Operator-Pass1!"
ADDRESS = ["--street", "1 Main St", "--city", "Springfield", "--postal-code", "12345", "--country", "US"]
SUBPROCESS_TIMEOUT_S = 60


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        assert self.code == 0, f"exit {self.code}: {self.err}"
        return json.loads(self.out)


Cli = Callable[..., Result]


@pytest.fixture(scope="module")
def outputs_path(local_runtime: RuntimeProcess) -> Path:
    return local_runtime.state_dir / "outputs.json"


@pytest.fixture(scope="module")
def cli(outputs_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """`python -m client --outputs <runtime's file> --cache-dir <private> ARGS`, in-process."""
    default_cache = tmp_path_factory.mktemp("client-cache")

    def run(*args: str, cache_dir: Path | None = None, outputs: Path | None = None) -> Result:
        out, err = io.StringIO(), io.StringIO()
        argv = ["--outputs", str(outputs or outputs_path), "--cache-dir", str(cache_dir or default_cache), *args]
        with redirect_stdout(out), redirect_stderr(err):
            code = main(argv)
        return Result(code, out.getvalue(), err.getvalue())

    return run


@pytest.fixture(scope="module")
def shop_c(cli: Cli) -> Cli:
    """Given tenant shop-c created with the tool by the operator, and its admin logged in through the client."""
    operator = cli("login", "--username", OPERATOR, "--password", OPERATOR_PASSWORD).json()
    assert (operator["tenant"], operator["role"]) == ("common", "system_admin")
    created = cli("tenant", "create", TENANT, "--admin-email", ADMIN, "--password", PASSWORD).json()
    assert created["tenant"] == TENANT
    assert (created["registry"]["code"], created["registry"]["attributes"]["status"]) == (TENANT, "active")
    assert (created["admin"]["tenant"], created["admin"]["role"]) == (TENANT, "admin")
    assert created["admin"]["status"] == "CONFIRMED" and created["admin"]["enabled"] is True

    session = cli("login", "--username", ADMIN, "--password", PASSWORD).json()
    assert (session["tenant"], session["role"]) == (TENANT, "admin")
    return cli


def product_args(code: str, price: str = "12.50") -> list[str]:
    return ["--code", code, "--name", f"Product {code}", "--category", "CAT-C", "--sku", f"SKU-{code}"] + [
        "--price",
        price,
        "--currency",
        "USD",
    ]


# -- tenant onboarding -----------------------------------------------------------------------------


def test_a_new_tenants_admin_works_its_own_catalogue_orders_and_stock(shop_c: Cli) -> None:
    # When the admin creates a product and sets its stock
    product = shop_c("products", "create", *product_args("C-MUG", "12.50")).json()
    assert product["pk"] == f"TENANT#{TENANT}" and product["version"] == 1
    stock = shop_c("inventory", "set", "C-MUG", "--quantity", "20", "--version", "0", "--warehouse", "WH-C").json()
    assert stock["attributes"]["quantity"] == 20
    restocked = shop_c("inventory", "restock", "C-MUG", "--add", "5").json()  # reads the version itself
    assert restocked["attributes"]["quantity"] == 25
    assert shop_c("products", "get", "C-MUG").json()["attributes"]["price"] == 12.5

    # And creates three orders, one from a body file
    codes = [
        shop_c("orders", "create", "--product", "C-MUG:2", "--customer", "CUST-C1", *ADDRESS).json()["code"]
        for _ in range(2)
    ]
    first = shop_c("orders", "get", codes[0]).json()
    assert (first["attributes"]["subtotal"], first["attributes"]["tax"], first["attributes"]["total"]) == (
        25,
        2.5,
        27.5,
    )

    # Then --all follows nextCursor through one-item pages to every order of the tenant, and only those
    listed = shop_c("orders", "list", "--all", "--limit", "1").json()
    assert sorted(order["code"] for order in listed["items"]) == sorted(codes)
    assert listed["nextCursor"] is None
    assert {order["pk"] for order in listed["items"]} == {f"TENANT#{TENANT}"}
    one_page = shop_c("orders", "list", "--limit", "1").json()
    assert len(one_page["items"]) == 1 and one_page["nextCursor"]

    # And the reservation shows on the order, after which its status moves along the lifecycle
    wait_for(
        lambda: shop_c("orders", "get", codes[0]).json()["attributes"].get("inventoryStatus") == "reserved",
        timeout=20,
        message="order reserved",
    )
    confirmed = shop_c("orders", "status", codes[0], "confirmed").json()
    assert confirmed["attributes"]["status"] == "confirmed"
    stale = shop_c("orders", "status", codes[0], "processing", "--version", "1")
    assert stale.code == 1 and "HTTP 409" in stale.err
    assert [o["code"] for o in shop_c("orders", "list", "--status", "confirmed", "--all").json()["items"]] == [codes[0]]


def test_the_list_filters_and_histories_from_the_command_line(shop_c: Cli) -> None:
    shop_c("products", "create", *product_args("C-LIST", "3.00"))
    shop_c("inventory", "set", "C-LIST", "--quantity", "7", "--version", "0")
    codes = [
        shop_c("orders", "create", "--product", "C-LIST:1", "--customer", customer, *ADDRESS).json()["code"]
        for customer in ("CUST-L1", "CUST-L2", "CUST-L1")
    ]

    def listed(*args: str) -> list[str]:
        return [item["code"] for item in shop_c(*args, "--all").json()["items"]]

    assert listed("orders", "list", "--customer", "CUST-L1") == [codes[2], codes[0]]
    assert listed("orders", "list", "--customer", "CUST-L1", "--order", "asc") == [codes[0], codes[2]]
    assert listed("orders", "list", "--customer", "CUST-L2", "--from", "2000-01-01", "--to", "2999-01-01") == [codes[1]]
    assert listed("orders", "list", "--customer", "CUST-L2", "--to", "2000-01-01") == []
    assert "C-LIST" in listed("products", "list", "--category", "CAT-C", "--active")
    assert "C-LIST" not in listed("products", "list", "--inactive")
    assert "C-LIST" in listed("inventory", "list", "--below", "8")

    history = shop_c("orders", "history", codes[1], "--all", "--limit", "1").json()
    assert history["items"][-1]["version"] == 1 and history["nextCursor"] is None
    assert history["items"][-1]["changes"]["attributes.customerId"] == {"from": None, "to": "CUST-L2"}
    assert [v["version"] for v in shop_c("products", "history", "C-LIST").json()["items"]] == [1]
    assert shop_c("inventory", "history", "C-LIST").json()["items"][-1]["changes"]["attributes.quantity"] == {
        "from": None,
        "to": 7,
    }
    refused = shop_c("inventory", "list", "--below", "0")
    assert refused.code == 1 and "availableBelow" in refused.err


def test_orders_create_from_a_body_file(shop_c: Cli, tmp_path: Path) -> None:
    shop_c("products", "create", *product_args("C-PEN", "2.00"))
    shop_c("inventory", "set", "C-PEN", "--quantity", "10", "--version", "0")
    body = {
        "customerId": "CUST-C2",
        "items": [{"productCode": "C-PEN", "quantity": 3}],
        "shippingAddress": {"street": "2 Side St", "city": "Springfield", "postalCode": "12345", "country": "US"},
        "paymentMethod": "credit_card",
    }
    (tmp_path / "body.json").write_text(json.dumps(body))
    order = shop_c("orders", "create", "--file", str(tmp_path / "body.json")).json()
    assert order["attributes"]["customerId"] == "CUST-C2" and order["attributes"]["total"] == 6.6


def test_an_api_error_shows_the_apis_message_and_exits_non_zero(
    shop_c: Cli, outputs_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # As a shell sees it: a subprocess, with the session the admin's login left in the cache
    cache = tmp_path_factory.mktemp("subprocess-cache")
    shop_c("login", "--username", ADMIN, "--password", PASSWORD, cache_dir=cache).json()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "client", "--outputs", str(outputs_path), "--cache-dir", str(cache), *args]
        return subprocess.run(
            argv, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT_S, check=False
        )

    missing = run("orders", "get", "ORD-999999")
    assert missing.returncode == 1, missing
    assert missing.stdout == ""
    assert "HTTP 404" in missing.stderr and "not found" in missing.stderr.lower()

    # A forbidden transition: the API's own message reaches the user
    order = shop_c("orders", "create", "--product", "C-MUG:1", "--customer", "CUST-C3", *ADDRESS).json()
    jump = run("orders", "status", order["code"], "delivered")
    assert jump.returncode == 1
    assert "Cannot transition from pending to delivered" in jump.stderr

    # A usage mistake is exit code 2, named on stderr
    usage = run("orders", "create", "--product", "C-MUG", "--customer", "CUST-C3", *ADDRESS)
    assert usage.returncode == 2 and "CODE:QUANTITY" in usage.stderr


@pytest.mark.parametrize("code", ["shop#c", "shop c", "-shop", "", "s" * 65, "shop/c", "TENANT#x"])
def test_invalid_tenant_codes_are_refused_with_a_clear_message(cli: Cli, code: str) -> None:
    # ("--" so that a code starting with "-" reaches the tool as a code, as a user would have to write it)
    result = cli("tenant", "create", "--admin-email", "someone@bad.example.com", "--password", PASSWORD, "--", code)
    assert result.code == 1
    assert "invalid tenant code" in result.err
    assert not [u for u in cli("user", "list").json() if u["email"] == "someone@bad.example.com"]


@pytest.mark.parametrize("code", ["shop#c", "shop c", "-shop", "", "s" * 64, "s" * 65, "a.b_c-D9", "é", "shop-c"])
def test_the_tools_tenant_rule_is_the_apis(code: str) -> None:
    try:
        api_validate_tenant_code(code)
        api_ok = True
    except ValidationError:
        api_ok = False
    try:
        validate_tenant_code(code)
        tool_ok = True
    except ClientError:
        tool_ok = False
    assert tool_ok == api_ok


def test_a_second_first_admin_is_refused(shop_c: Cli, tmp_path: Path) -> None:
    shop_c("login", "--username", OPERATOR, "--password", OPERATOR_PASSWORD, cache_dir=tmp_path).json()
    again = shop_c(
        "tenant", "create", TENANT, "--admin-email", "other@shop-c.example.com", "--password", PASSWORD,
        cache_dir=tmp_path,
    )  # fmt: skip
    assert again.code == 1 and "already has" in again.err


def test_only_an_operator_registers_a_tenant(shop_c: Cli) -> None:
    refused = shop_c("tenant", "create", "shop-x", "--admin-email", "x@shop-x.example.com", "--password", PASSWORD)
    assert refused.code == 1 and "HTTP 403" in refused.err


def test_an_operator_configures_suspends_and_works_in_a_tenant(cli: Cli, tmp_path: Path) -> None:
    # Given shop-d registered by the operator with its own tax rate and order numbers
    operator, owner = tmp_path / "operator", tmp_path / "owner"
    cli("login", "--username", OPERATOR, "--password", OPERATOR_PASSWORD, cache_dir=operator).json()
    created = cli(
        "tenant", "create", "shop-d", "--name", "Shop D", "--admin-email", "owner@shop-d.example.com",
        "--password", PASSWORD, "--tax-rate", "0.08", "--order-prefix", "D-", "--order-width", "4",
        cache_dir=operator,
    ).json()  # fmt: skip
    assert created["registry"]["attributes"]["settings"]["taxRate"] == 0.08
    assert "shop-d" in [t["code"] for t in cli("tenant", "list", "--all", cache_dir=operator).json()["items"]]

    # When its admin orders, the order is numbered and taxed the tenant's way
    cli("login", "--username", "owner@shop-d.example.com", "--password", PASSWORD, cache_dir=owner).json()
    cli("products", "create", *product_args("D-1", "29.99"), cache_dir=owner).json()
    cli("inventory", "set", "D-1", "--quantity", "5", "--version", "0", cache_dir=owner).json()
    order = cli("orders", "create", "--product", "D-1:2", "--customer", "C1", *ADDRESS, cache_dir=owner).json()
    assert order["code"] == "D-0001"
    assert (order["attributes"]["tax"], order["attributes"]["total"]) == (4.80, 64.78)

    # And the operator reads it only by naming the tenant
    assert cli("orders", "get", "D-0001", cache_dir=operator).code == 1
    assert cli("orders", "get", "D-0001", "--tenant", "shop-d", cache_dir=operator).json()["code"] == "D-0001"

    # And a new rate applies to the next order only
    settings = cli("tenant", "settings", "shop-d", "--tax-rate", "0.1", cache_dir=operator).json()
    assert settings["attributes"]["settings"]["taxRate"] == 0.1
    second = cli("orders", "create", "--product", "D-1:2", "--customer", "C1", *ADDRESS, cache_dir=owner).json()
    assert (second["code"], second["attributes"]["tax"]) == ("D-0002", 6.00)
    assert cli("orders", "get", "D-0001", cache_dir=owner).json()["attributes"]["tax"] == 4.80

    # And a suspension refuses the tenant's users until it is resumed
    assert cli("tenant", "suspend", "shop-d", cache_dir=operator).json()["attributes"]["status"] == "suspended"
    suspended = wait_for(
        lambda: (lambda r: r if r.code == 1 else None)(cli("orders", "get", "D-0001", cache_dir=owner)),
        timeout=45,
        message="the suspension bites (registry cache TTL 30 s)",
    )
    assert "HTTP 403" in suspended.err and "tenant suspended" in suspended.err
    assert cli("tenant", "resume", "shop-d", cache_dir=operator).json()["attributes"]["status"] == "active"
    wait_for(lambda: cli("orders", "get", "D-0001", cache_dir=owner).code == 0, timeout=45, message="resumed")
    history = cli("tenant", "history", "shop-d", cache_dir=operator).json()["items"]
    assert [(v["version"], v["changes"].get("attributes.status")) for v in history] == [
        (4, {"from": "suspended", "to": "active"}),
        (3, {"from": "active", "to": "suspended"}),
        (2, None),
        (1, {"from": None, "to": "active"}),
    ]


# -- users -----------------------------------------------------------------------------------------


def test_users_are_added_listed_and_disabled(shop_c: Cli, tmp_path: Path) -> None:
    # Given a staff user added to shop-c
    added = shop_c("user", "add", STAFF, "--tenant", TENANT, "--role", "staff", "--password", STAFF_PASSWORD).json()
    assert (added["tenant"], added["role"], added["enabled"]) == (TENANT, "staff", True)

    # Then the tenant lists its two users and no one else's
    users = shop_c("user", "list", "--tenant", TENANT).json()
    assert {(u["email"], u["role"]) for u in users} == {(ADMIN, "admin"), (STAFF, "staff")}
    everyone = {u["tenant"] for u in shop_c("user", "list").json()}
    assert {"shop-a", "shop-b", TENANT} <= everyone

    # And the staff user logs in, reads, and is refused admin work with the API's message
    staff_cache = tmp_path / "staff"
    assert (
        shop_c("login", "--username", STAFF, "--password", STAFF_PASSWORD, cache_dir=staff_cache).json()["role"]
        == "staff"
    )
    assert shop_c("orders", "list", cache_dir=staff_cache).code == 0
    refused = shop_c("products", "create", *product_args("C-NOPE"), cache_dir=staff_cache)
    assert refused.code == 1 and "HTTP 403" in refused.err and "may not POST /products" in refused.err

    # When the staff user is disabled
    disabled = shop_c("user", "disable", STAFF).json()
    assert disabled["enabled"] is False

    # Then they cannot log in any more, nor refresh the session they had
    again = shop_c("login", "--username", STAFF, "--password", STAFF_PASSWORD, cache_dir=tmp_path / "again")
    assert again.code == 1 and "disabled" in again.err.lower()
    expire(staff_cache)
    stale = shop_c("orders", "list", cache_dir=staff_cache)
    assert stale.code == 1 and "log in again" in stale.err

    # And enabling them again lets them back in
    assert shop_c("user", "enable", STAFF).json()["enabled"] is True
    assert shop_c("login", "--username", STAFF, "--password", STAFF_PASSWORD, cache_dir=tmp_path / "back").code == 0


def test_a_user_without_a_password_must_choose_one_at_first_sign_in(shop_c: Cli, tmp_path: Path) -> None:
    added = shop_c("user", "add", "new@shop-c.example.com", "--tenant", TENANT, "--role", "staff").json()
    assert added["status"] == "FORCE_CHANGE_PASSWORD"
    bad = shop_c("user", "add", "x@shop-c.example.com", "--tenant", "shop#c", "--role", "staff")
    assert bad.code == 1 and "invalid tenant code" in bad.err
    wrong_role = shop_c("user", "add", "x@shop-c.example.com", "--tenant", TENANT, "--role", "owner")
    assert wrong_role.code == 2


def test_a_wrong_password_is_refused(cli: Cli, shop_c: Cli, tmp_path: Path) -> None:
    result = cli("login", "--username", ADMIN, "--password", "Wrong-Pass-123!", cache_dir=tmp_path)
    assert result.code == 1 and "error:" in result.err
    assert not list(tmp_path.glob("*.json"))  # no session kept


# -- the session -----------------------------------------------------------------------------------


def expire(cache_dir: Path) -> None:
    """Make the cached ID token unusable and past its expiry: only a refresh can bring it back."""
    (path,) = cache_dir.glob("*.json")
    session = json.loads(path.read_text())
    session.update(expires_at=0, id_token="not.a.token")
    path.write_text(json.dumps(session))


def test_an_expired_token_is_refreshed_with_the_refresh_token(shop_c: Cli, tmp_path: Path) -> None:
    shop_c("login", "--username", ADMIN, "--password", PASSWORD, cache_dir=tmp_path).json()
    expire(tmp_path)

    assert shop_c("products", "get", "C-MUG", cache_dir=tmp_path).json()["code"] == "C-MUG"
    (path,) = tmp_path.glob("*.json")
    assert json.loads(path.read_text())["id_token"] != "not.a.token"
    assert path.stat().st_mode & 0o077 == 0  # private to the user


def test_commands_need_a_login(cli: Cli, tmp_path: Path) -> None:
    result = cli("orders", "list", cache_dir=tmp_path)
    assert result.code == 1 and "not logged in" in result.err


# -- outputs files ---------------------------------------------------------------------------------


def test_a_flat_outputs_file_works_the_same(shop_c: Cli, outputs_path: Path, tmp_path: Path) -> None:
    (values,) = json.loads(outputs_path.read_text()).values()
    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps(values))
    assert shop_c("products", "get", "C-MUG", outputs=flat).json()["code"] == "C-MUG"


def test_outputs_shapes_are_read_and_ambiguity_is_refused() -> None:
    values = {"ApiUrl": "https://x.example/prod/", "UserPoolId": "p", "UserPoolClientId": "c", "Region": "eu-west-1"}
    deployed = parse_outputs({"CqrsShop-dev": values, "Other": {"BucketName": "b"}})
    assert (deployed.name, deployed.is_local, deployed.api_url) == ("CqrsShop-dev", False, values["ApiUrl"])
    assert parse_outputs(values).client_id == "c"
    with pytest.raises(ClientError, match="--stack"):
        parse_outputs({"CqrsShop-dev": values, "CqrsShop-prod": values})
    assert parse_outputs({"CqrsShop-dev": values, "CqrsShop-prod": values}, stack="CqrsShop-prod").name == (
        "CqrsShop-prod"
    )
    with pytest.raises(ClientError, match="missing Region"):
        parse_outputs({"CqrsShop-dev": {**values, "Region": ""}})


def test_the_missing_outputs_file_is_named(cli: Cli, tmp_path: Path) -> None:
    result = cli("user", "list", outputs=tmp_path / "nope.json")
    assert result.code == 1 and "nope.json" in result.err


def test_money_prints_with_its_precision() -> None:
    from decimal import Decimal

    assert dumps({"tax": Decimal("6.00"), "n": [Decimal("59.98")]}, indent=None) == '{"tax": 6.00, "n": [59.98]}'


# -- seeding a catalogue ---------------------------------------------------------------------------


def test_a_catalogue_is_seeded_with_per_row_errors(shop_c: Cli, tmp_path: Path) -> None:
    catalogue = tmp_path / "catalogue.csv"
    catalogue.write_text(
        "code,name,categoryCode,sku,price,currency,stock,warehouseCode\n"
        "C-CUP,Cup,CAT-C,SKU-CUP,4.50,USD,30,WH-C\n"
        "C-BAD,Bad price,CAT-C,SKU-BAD,abc,USD,5,\n"
        "C-BOWL,Bowl,CAT-C,SKU-BOWL,7.25,usd,5,\n"
        "C-PLATE,Plate,CAT-C,SKU-PLATE,9.00,USD,12,\n"
    )
    result = shop_c("tenant", "seed", TENANT, "--file", str(catalogue))

    # Then the bad rows are reported with their row and field, and the good ones are created anyway
    assert result.code == 1
    assert "row 2 (C-BAD)" in result.err and "price" in result.err
    assert "row 3 (C-BOWL)" in result.err and "currency" in result.err
    outcome = json.loads(result.out)
    assert (outcome["rows"], outcome["ok"], outcome["failed"]) == (4, 2, 2)
    assert shop_c("inventory", "get", "C-CUP").json()["attributes"]["quantity"] == 30
    assert shop_c("inventory", "get", "C-PLATE").json()["attributes"]["quantity"] == 12
    assert shop_c("products", "get", "C-BAD").code == 1

    # And seeding again changes nothing and reports no error (products and stock exist)
    good = tmp_path / "good.json"
    good.write_text(json.dumps([{"code": "C-CUP", "name": "Cup", "categoryCode": "CAT-C", "sku": "SKU-CUP",
                                 "price": 4.5, "currency": "USD", "stock": 99}]))  # fmt: skip
    rerun = shop_c("tenant", "seed", TENANT, "--file", str(good)).json()
    assert rerun["results"][0] | {} == rerun["results"][0] and rerun["results"][0]["product"] == "exists"
    assert rerun["results"][0]["stock"] == "skipped"
    assert shop_c("inventory", "get", "C-CUP").json()["attributes"]["quantity"] == 30

    # And a seed for another tenant than the login's is refused
    other = shop_c("tenant", "seed", "shop-a", "--file", str(good))
    assert other.code == 1 and "logged in to tenant 'shop-c'" in other.err


def test_an_operator_is_added_as_a_system_admin_of_common(cli: Cli, tmp_path: Path) -> None:
    refused = cli("user", "add", "ops@shop-a.example.com", "--tenant", "shop-a", "--role", "system_admin")
    assert refused.code == 1 and "role system_admin is for operators" in refused.err

    added = cli(
        "user", "add", "ops2@example.com", "--tenant", "common", "--role", "system_admin", "--password", PASSWORD
    ).json()  # fmt: skip
    assert (added["tenant"], added["role"]) == ("common", "system_admin")
    session = cli("login", "--username", "ops2@example.com", "--password", PASSWORD, cache_dir=tmp_path).json()
    assert (session["tenant"], session["role"]) == ("common", "system_admin")
    registered = {t["code"] for t in cli("tenant", "list", "--all", cache_dir=tmp_path).json()["items"]}
    assert {"shop-a", "shop-b"} <= registered


def test_a_tenant_with_users_but_no_record_is_registered_without_an_admin(cli: Cli, tmp_path: Path) -> None:
    cli("user", "add", "first@shop-e.example.com", "--tenant", "shop-e", "--role", "admin", "--password", PASSWORD)
    cli("login", "--username", OPERATOR, "--password", OPERATOR_PASSWORD, cache_dir=tmp_path).json()

    registered = cli("tenant", "create", "shop-e", "--name", "Shop E", cache_dir=tmp_path).json()

    assert (registered["registry"]["name"], registered["admin"]) == ("Shop E", None)
    assert [u["email"] for u in cli("user", "list", "--tenant", "shop-e").json()] == ["first@shop-e.example.com"]
