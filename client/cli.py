"""`python -m client`: operator commands (tenant, user) and API commands (login, orders, products, inventory).

Every command reads the stack from an outputs file (`--outputs`, default `.local/outputs.json` if
present, else `outputs.json`), prints JSON on stdout, and on an error prints the message on stderr
and exits 1 (2 for a usage error).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError
from botocore.exceptions import ClientError as AwsError

from client.api import MAX_PAGES, Json, Page, ShopApi, dumps
from client.errors import ApiError, ClientError
from client.mail import DEFAULT_LIMIT, list_mail, mail_directory
from client.outputs import cognito_client, load_stack, load_values
from client.seed import read_catalogue, report, seed_catalogue
from client.users import UserAdmin, validate_tenant_code
from client.watch import DEFAULT_MAX_RECONNECTS, Watcher, websocket_url
from infra.names import COMMON_TENANT, OPERATOR_ROLE, ROLES

ORDER_STATUSES = ("pending", "confirmed", "processing", "shipped", "delivered", "cancelled")
RESTOCK_ATTEMPTS = 3
UPDATE_ATTEMPTS = 3
ROTATIONS = ("none", "yearly", "fiscal-yearly")
Handler = Callable[[argparse.Namespace], Any]


class UsageError(ClientError):
    pass


# -- the stack and the session ---------------------------------------------------------------------


def _api(args: argparse.Namespace) -> ShopApi:
    api = ShopApi.from_outputs(
        getattr(args, "outputs", None),
        stack=getattr(args, "stack", None),
        cache_dir=getattr(args, "cache_dir", None),
        timeout=getattr(args, "timeout", 30.0),
    )
    act_in = getattr(args, "act_in", None)
    if act_in is not None:
        api.tenant = validate_tenant_code(act_in)
    return api


def _admin(args: argparse.Namespace) -> UserAdmin:
    stack = load_stack(getattr(args, "outputs", None), getattr(args, "stack", None))
    return UserAdmin(cognito_client(stack), stack.user_pool_id)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ClientError(f"cannot read {path}: {error.strerror}") from None
    except ValueError as error:
        raise ClientError(f"{path}: not JSON ({error})") from None


# -- operator commands -----------------------------------------------------------------------------


def tenant_create(args: argparse.Namespace) -> Any:
    """The registry record through the API (as the logged-in operator), then the first admin in
    Cognito (unless no --admin-email is given). A record that already exists is kept, so a run that
    failed half-way can be repeated."""
    validate_tenant_code(args.code)  # before reading any file: a bad code is refused first
    api = _api(args)
    body: Json = {"code": args.code, "name": args.name or args.code}
    settings = _settings_changes(args)
    if settings:
        body["settings"] = settings
    try:
        record = api.create_tenant(body)
    except ApiError as error:
        if error.status != 409:
            raise
        record = api.get_tenant(args.code)
    if args.admin_email is None:  # a tenant whose users exist already: the record is all it lacks
        return {"tenant": args.code, "registry": record, "admin": None}
    user = _admin(args).create_tenant(args.code, args.admin_email, args.password)
    return {"tenant": args.code, "registry": record, "admin": user.to_json()}


def tenant_list(args: argparse.Namespace) -> Any:
    api = _api(args)
    if args.all:
        return _all_pages(api.iter_tenants(limit=args.limit, max_pages=args.max_pages), args.max_pages)
    return api.list_tenants(limit=args.limit, cursor=args.cursor)


def tenant_get(args: argparse.Namespace) -> Any:
    return _api(args).get_tenant(args.code)


def tenant_history(args: argparse.Namespace) -> Any:
    api = _api(args)
    return _history(args, lambda **page: api.tenant_history(args.code, **page))


def _update_tenant(args: argparse.Namespace, changes: Json) -> Any:
    """Read the record's version and patch it; a concurrent change is re-read, a few times."""
    api = _api(args)
    for attempt in range(UPDATE_ATTEMPTS):
        version = int(api.get_tenant(args.code)["version"])
        try:
            return api.update_tenant(args.code, version, changes)
        except ApiError as error:
            if error.status != 409 or attempt == UPDATE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def tenant_suspend(args: argparse.Namespace) -> Any:
    return _update_tenant(args, {"status": "suspended"})


def tenant_resume(args: argparse.Namespace) -> Any:
    return _update_tenant(args, {"status": "active"})


def tenant_settings(args: argparse.Namespace) -> Any:
    settings = _settings_changes(args)
    if not settings:
        return _api(args).get_tenant(args.code)["attributes"]["settings"]
    return _update_tenant(args, {"settings": settings})


def _settings_changes(args: argparse.Namespace) -> Json:
    """The settings named by flags (`--tax-rate 0.08 --order-prefix INV- ...`); `--sender none` clears."""
    settings: Json = {}
    if args.tax_rate is not None:
        settings["taxRate"] = args.tax_rate
    number = {
        name: getattr(args, flag)
        for flag, name in (
            ("order_prefix", "prefix"),
            ("order_width", "width"),
            ("order_rotation", "rotation"),
            ("fiscal_start_month", "fiscalStartMonth"),
        )
        if getattr(args, flag) is not None
    }
    if number:
        settings["orderNumber"] = number
    if args.sender is not None:
        settings["notificationSender"] = None if args.sender == "none" else args.sender
    if args.low_stock is not None:
        settings["lowStockThreshold"] = args.low_stock
    return settings


def tenant_seed(args: argparse.Namespace) -> Any:
    validate_tenant_code(args.code)
    rows = read_catalogue(args.file)
    api = _api(args)
    me = api.whoami()
    if me["tenant"] == COMMON_TENANT and me["role"] == OPERATOR_ROLE:
        api.tenant = args.code  # an operator seeds any shop by naming it
    elif me["tenant"] != args.code:
        raise ClientError(f"logged in to tenant {me['tenant']!r}, not {args.code!r}: log in as an admin of {args.code}")
    outcome = report(seed_catalogue(api, rows))
    if outcome["failed"]:
        for result in outcome["results"]:
            if not result["ok"]:
                print(f"row {result['row']} ({result['code']}): {result['error']}", file=sys.stderr)
        _print(outcome)
        raise ClientError(f"{outcome['failed']} of {outcome['rows']} rows failed")
    return outcome


def user_add(args: argparse.Namespace) -> Any:
    return _admin(args).add_user(args.email, args.tenant, args.role, args.password).to_json()


def user_list(args: argparse.Namespace) -> Any:
    return [user.to_json() for user in _admin(args).list_users(args.tenant)]


def user_disable(args: argparse.Namespace) -> Any:
    return _admin(args).disable_user(args.email).to_json()


def user_enable(args: argparse.Namespace) -> Any:
    return _admin(args).enable_user(args.email).to_json()


def ops_mail(args: argparse.Namespace) -> Any:
    return list_mail(mail_directory(getattr(args, "outputs", None), getattr(args, "stack", None)), args.limit)


def watch(args: argparse.Namespace) -> Any:
    url = websocket_url(getattr(args, "outputs", None), getattr(args, "stack", None))
    session = _api(args).session
    session.tokens()  # not logged in: say so before connecting
    watcher = Watcher(
        url,
        token=lambda refresh: session.id_token(force_refresh=refresh),
        tenant=args.tenant,
        out=sys.stdout,
        max_reconnects=args.max_reconnects,
        duration_s=args.duration,
    )
    try:
        return {"events": watcher.run()}
    except KeyboardInterrupt:
        return {"stopped": True}


# -- session commands ------------------------------------------------------------------------------


def login(args: argparse.Namespace) -> Any:
    api = _api(args)
    password = args.password if args.password is not None else getpass.getpass(f"Password for {args.username}: ")
    api.login(args.username, password, args.new_password)
    return {"loggedIn": True, **api.whoami(), "session": str(api.session.path)}


def logout(args: argparse.Namespace) -> Any:
    return {"loggedOut": _api(args).logout()}


def whoami(args: argparse.Namespace) -> Any:
    return _api(args).whoami()


# -- API commands ----------------------------------------------------------------------------------


def _all_pages(pages: Any, max_pages: int) -> Page:
    items: list[Json] = []
    last: Page = {"items": [], "nextCursor": None}
    for count, page in enumerate(pages, start=1):
        items.extend(page["items"])
        last = page
        if count >= max_pages and page["nextCursor"]:
            print(f"stopped after {max_pages} pages (--max-pages): more remain", file=sys.stderr)
    return {"items": items, "nextCursor": last["nextCursor"]}


def _order_lines(specs: list[str]) -> list[Json]:
    lines = []
    for spec in specs:
        code, sep, quantity = spec.rpartition(":")
        if not sep or not code or not quantity.isdigit():
            raise UsageError(f"--product {spec!r}: expected CODE:QUANTITY, e.g. PRD-001:2")
        lines.append({"productCode": code, "quantity": int(quantity)})
    return lines


def orders_create(args: argparse.Namespace) -> Any:
    if args.file:
        if args.product:
            raise UsageError("give either --file or --product, not both")
        body = _read_json(args.file)
    else:
        if not args.product:
            raise UsageError("give --file BODY.json, or --product CODE:QTY (repeatable) with --customer and an address")
        missing = [
            flag
            for flag, value in (
                ("--customer", args.customer),
                ("--street", args.street),
                ("--city", args.city),
                ("--postal-code", args.postal_code),
                ("--country", args.country),
            )
            if not value
        ]
        if missing:
            raise UsageError(f"--product needs {', '.join(missing)}")
        address = {"street": args.street, "city": args.city, "postalCode": args.postal_code, "country": args.country}
        if args.state:
            address["state"] = args.state
        body = {
            "customerId": args.customer,
            "items": _order_lines(args.product),
            "shippingAddress": address,
            "paymentMethod": args.payment_method,
        }
        if args.email:
            body["customerEmail"] = args.email
    return _api(args).create_order(body, args.idempotency_key)


def _list(args: argparse.Namespace, pages: Any, page: Any, **filters: Any) -> Any:
    """One page, or with --all every page (bounded by --max-pages)."""
    if args.all:
        return _all_pages(pages(limit=args.limit, max_pages=args.max_pages, **filters), args.max_pages)
    return page(limit=args.limit, cursor=args.cursor, **filters)


def _history(args: argparse.Namespace, read: Any) -> Any:
    """One page of versions, or with --all every page (bounded by --max-pages)."""
    if not args.all:
        return read(limit=args.limit, cursor=args.cursor)

    def pages(limit: int | None, max_pages: int) -> Any:
        cursor = None
        for _ in range(max_pages):
            page = read(limit=limit, cursor=cursor)
            yield page
            cursor = page["nextCursor"]
            if not cursor:
                return

    return _all_pages(pages(args.limit, args.max_pages), args.max_pages)


def orders_list(args: argparse.Namespace) -> Any:
    api = _api(args)
    filters = {
        "status": args.status,
        "customerId": args.customer,
        "placedFrom": args.placed_from,
        "placedTo": args.placed_to,
        "order": args.order,
    }
    return _list(args, api.iter_orders, api.list_orders, **filters)


def orders_history(args: argparse.Namespace) -> Any:
    api = _api(args)
    return _history(args, lambda **page: api.order_history(args.code, **page))


def orders_get(args: argparse.Namespace) -> Any:
    return _api(args).get_order(args.code)


def orders_status(args: argparse.Namespace) -> Any:
    return _api(args).update_order_status(args.code, args.status, args.version)


_PRODUCT_FLAGS = {
    "name": "name",
    "category": "categoryCode",
    "sku": "sku",
    "price": "price",
    "currency": "currency",
    "description": "description",
}


def _product_fields(args: argparse.Namespace) -> Json:
    fields: Json = {}
    if args.file:
        document = _read_json(args.file)
        if not isinstance(document, dict):
            raise UsageError(f"{args.file}: expected a JSON object")
        fields.update(document)
    for flag, name in _PRODUCT_FLAGS.items():
        value = getattr(args, flag)
        if value is not None:
            fields[name] = value
    if args.active is not None:
        fields["isActive"] = args.active
    return fields


def products_create(args: argparse.Namespace) -> Any:
    body = _product_fields(args)
    if args.code:
        body["code"] = args.code
    return _api(args).create_product(body)


def products_list(args: argparse.Namespace) -> Any:
    api = _api(args)
    return _list(args, api.iter_products, api.list_products, categoryCode=args.category, isActive=args.active)


def products_history(args: argparse.Namespace) -> Any:
    api = _api(args)
    return _history(args, lambda **page: api.product_history(args.code, **page))


def products_get(args: argparse.Namespace) -> Any:
    return _api(args).get_product(args.code)


def products_update(args: argparse.Namespace) -> Any:
    changes = _product_fields(args)
    changes.pop("version", None)
    if not changes:
        raise UsageError("nothing to update: give --name, --price, ... or --file")
    return _api(args).update_product(args.code, args.version, changes)


def inventory_list(args: argparse.Namespace) -> Any:
    api = _api(args)
    return _list(args, api.iter_inventory, api.list_inventory, availableBelow=args.below)


def inventory_history(args: argparse.Namespace) -> Any:
    api = _api(args)
    return _history(args, lambda **page: api.inventory_history(args.product_code, **page))


def inventory_get(args: argparse.Namespace) -> Any:
    return _api(args).get_inventory(args.product_code)


def inventory_set(args: argparse.Namespace) -> Any:
    return _api(args).set_inventory(args.product_code, args.quantity, args.version, args.warehouse)


def inventory_restock(args: argparse.Namespace) -> Any:
    """Restock adds to whatever is there, so without --version it may read the version and retry
    on a conflict (a bounded number of times); with --version it is one optimistic write."""
    api = _api(args)
    if args.version is not None:
        return api.restock_inventory(args.product_code, args.add, args.version, args.warehouse)
    for attempt in range(RESTOCK_ATTEMPTS):
        version = int(api.get_inventory(args.product_code)["version"])
        try:
            return api.restock_inventory(args.product_code, args.add, version, args.warehouse)
        except ApiError as error:
            if error.status != 409 or attempt == RESTOCK_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


# -- the parser ------------------------------------------------------------------------------------


def replay_failed(args: argparse.Namespace) -> Any:
    from client.replay import Replayer

    if args.max_messages < 1:
        raise UsageError("--max-messages must be at least 1")
    outputs = load_values(getattr(args, "outputs", None), getattr(args, "stack", None))
    return Replayer(outputs, dry_run=args.dry_run, max_messages=args.max_messages).run()


def _common() -> argparse.ArgumentParser:
    """Options every command takes, before or after the command name."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--outputs",
        type=Path,
        default=argparse.SUPPRESS,
        help="the stack's outputs file (default: .local/outputs.json if present, else outputs.json)",
    )
    common.add_argument("--stack", default=argparse.SUPPRESS, help="the stack, when the outputs file holds several")
    common.add_argument(
        "--cache-dir", type=Path, default=argparse.SUPPRESS, help="where the login session is kept (~/.cache/cqrs-shop)"
    )
    common.add_argument("--timeout", type=float, default=argparse.SUPPRESS, help="HTTP timeout in seconds (30)")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(prog="python -m client", description=__doc__, parents=[common])
    groups = parser.add_subparsers(dest="group", required=True, metavar="COMMAND")

    def command(
        sub: Any, name: str, handler: Handler, help_text: str, *, in_tenant: bool = False
    ) -> argparse.ArgumentParser:
        """A leaf command; `in_tenant`: an API command an operator runs in a shop it names."""
        leaf: argparse.ArgumentParser = sub.add_parser(name, help=help_text, description=help_text, parents=[common])
        leaf.set_defaults(handler=handler)
        if in_tenant:
            leaf.add_argument(
                "--tenant", dest="act_in", metavar="CODE", help="operators: the tenant to act in (X-Tenant-Code)"
            )
        return leaf

    def group(name: str, help_text: str) -> Any:
        return groups.add_parser(name, help=help_text, description=help_text).add_subparsers(
            dest="command", required=True, metavar="COMMAND"
        )

    # tenant
    tenant = group("tenant", "operator: register, list, suspend and configure tenants; seed a catalogue")
    p = _settings_options(
        command(tenant, "create", tenant_create, "register a tenant (as an operator) and create its first admin")
    )
    p.add_argument("code", help="tenant code: letters, digits, '.', '_', '-' (at most 64; it never changes)")
    p.add_argument("--name", help="the shop's name (default: the code)")
    p.add_argument("--admin-email", help="its first admin (omit to register a tenant that has users already)")
    p.add_argument("--password", help="a permanent password (else Cognito e-mails a temporary one)")
    _list_options(command(tenant, "list", tenant_list, "list registered tenants"))
    p = command(tenant, "get", tenant_get, "one tenant's registry record")
    p.add_argument("code")
    p = _list_options(command(tenant, "history", tenant_history, "a tenant's registry record, newest version first"))
    p.add_argument("code")
    p = command(tenant, "suspend", tenant_suspend, "refuse every request of the tenant's users (403)")
    p.add_argument("code")
    p = command(tenant, "resume", tenant_resume, "serve a suspended tenant's users again")
    p.add_argument("code")
    p = _settings_options(
        command(tenant, "settings", tenant_settings, "show a tenant's settings, or change those given")
    )
    p.add_argument("code")
    p = command(
        tenant, "seed", tenant_seed, "create products and stock from a JSON or CSV file (as its admin or an operator)"
    )
    p.add_argument("code")
    p.add_argument("--file", type=Path, required=True, help="catalogue.json or catalogue.csv")

    # user
    user = group("user", "operator: add, list, disable and enable users")
    p = command(user, "add", user_add, "add a user to a tenant")
    p.add_argument("email")
    p.add_argument("--tenant", required=True)
    p.add_argument(
        "--role", required=True, choices=(*ROLES, OPERATOR_ROLE), help="system_admin: an operator (tenant common)"
    )
    p.add_argument("--password", help="a permanent password (else Cognito e-mails a temporary one)")
    p = command(user, "list", user_list, "list users (of one tenant)")
    p.add_argument("--tenant")
    p = command(user, "disable", user_disable, "disable a user and revoke their refresh tokens")
    p.add_argument("email")
    p = command(user, "enable", user_enable, "enable a disabled user")
    p.add_argument("email")

    # ops
    ops = group("ops", "operator: what the system did, and recovering from failures")
    p = command(ops, "mail", ops_mail, "the e-mails the local runtime sent, newest first")
    p.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help=f"at most this many ({DEFAULT_LIMIT})")
    p = command(
        ops,
        "replay-failed",
        replay_failed,
        "re-drive the stream records in the on-failure queues (from the stream, else the command log)",
    )
    p.add_argument("--dry-run", action="store_true", help="read and report; re-drive and delete nothing")
    p.add_argument("--max-messages", type=int, default=100, help="per queue (100)")

    # session (top-level commands)
    p = command(groups, "login", login, "log in (USER_PASSWORD_AUTH) and keep the session")
    p.add_argument("--username", required=True)
    p.add_argument("--password", help="prompted for when omitted")
    p.add_argument("--new-password", help="your own password, when the first sign-in asks for one")
    command(groups, "logout", logout, "forget the session")
    command(groups, "whoami", whoami, "the logged-in user, tenant and role")
    p = command(groups, "watch", watch, "print the tenant's order and stock events live, one line each")
    p.add_argument("--tenant", help="another tenant's events (system_admin only)")
    p.add_argument("--duration", type=float, help="stop after this many seconds (default: run until Ctrl-C)")
    p.add_argument(
        "--max-reconnects",
        type=int,
        default=DEFAULT_MAX_RECONNECTS,
        help=f"give up after this many reconnections ({DEFAULT_MAX_RECONNECTS})",
    )

    # orders
    orders = group("orders", "create, list, read orders and change their status")
    p = command(orders, "create", orders_create, "create an order", in_tenant=True)
    p.add_argument("--file", type=Path, help="the request body (JSON)")
    p.add_argument("--product", action="append", metavar="CODE:QTY", help="an order line (repeatable)")
    p.add_argument("--customer")
    p.add_argument("--email", help="the customer's e-mail address (order e-mails go there)")
    p.add_argument("--street")
    p.add_argument("--city")
    p.add_argument("--postal-code")
    p.add_argument("--state")
    p.add_argument("--country", help="ISO 3166-1 alpha-2, e.g. US")
    p.add_argument("--payment-method", default="credit_card")
    p.add_argument("--idempotency-key", help="retry-safe creation (a new key is made when omitted)")
    p = _list_options(
        command(orders, "list", orders_list, "list orders, newest first unless --order asc", in_tenant=True)
    )
    p.add_argument("--status", choices=ORDER_STATUSES)
    p.add_argument("--customer", help="customerId")
    p.add_argument("--from", dest="placed_from", metavar="ISO8601", help="placed at or after (UTC if no offset)")
    p.add_argument("--to", dest="placed_to", metavar="ISO8601", help="placed before (UTC if no offset)")
    p.add_argument("--order", choices=("asc", "desc"), help="by placedAt (the API's default: desc)")
    p = _list_options(command(orders, "history", orders_history, "an order's versions, newest first", in_tenant=True))
    p.add_argument("code")
    p = command(orders, "get", orders_get, "one order", in_tenant=True)
    p.add_argument("code")
    p = command(orders, "status", orders_status, "change an order's status", in_tenant=True)
    p.add_argument("code")
    p.add_argument("status", choices=ORDER_STATUSES)
    p.add_argument("--version", type=int, help="the version you read (a stale one is refused)")

    # products
    products = group("products", "create, list, read and update products")
    p = _product_options(command(products, "create", products_create, "create a product", in_tenant=True))
    p.add_argument("--code")
    p = _list_options(command(products, "list", products_list, "list products", in_tenant=True))
    p.add_argument("--category", help="categoryCode")
    active = p.add_mutually_exclusive_group()
    active.add_argument("--active", dest="active", action="store_true", default=None, help="active products only")
    active.add_argument("--inactive", dest="active", action="store_false", help="inactive products only")
    p = _list_options(
        command(products, "history", products_history, "a product's versions, newest first", in_tenant=True)
    )
    p.add_argument("code")
    p = command(products, "get", products_get, "one product", in_tenant=True)
    p.add_argument("code")
    p = _product_options(command(products, "update", products_update, "update a product's fields", in_tenant=True))
    p.add_argument("code")
    p.add_argument("--version", type=int, required=True, help="the version you read")

    # inventory
    inventory = group("inventory", "list, read and change stock")
    p = _list_options(command(inventory, "list", inventory_list, "list stock records", in_tenant=True))
    p.add_argument("--below", type=int, metavar="N", help="only records with fewer than N units available (1-100)")
    p = _list_options(
        command(inventory, "history", inventory_history, "a stock record's versions, newest first", in_tenant=True)
    )
    p.add_argument("product_code")
    p = command(inventory, "get", inventory_get, "a product's stock", in_tenant=True)
    p.add_argument("product_code")
    p = command(
        inventory, "set", inventory_set, "set the quantity on hand (version 0 creates the record)", in_tenant=True
    )
    p.add_argument("product_code")
    p.add_argument("--quantity", type=int, required=True)
    p.add_argument("--version", type=int, required=True, help="the version you read; 0 creates the stock record")
    p.add_argument("--warehouse")
    p = command(inventory, "restock", inventory_restock, "add to the quantity on hand", in_tenant=True)
    p.add_argument("product_code")
    p.add_argument("--add", type=int, required=True, help="units received")
    p.add_argument("--version", type=int, help="the version you read (else read and retried on conflict)")
    p.add_argument("--warehouse")

    return parser


def _list_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--limit", type=int, help="page size (1-100; the API's default is 20)")
    parser.add_argument("--cursor", help="continue from a page's nextCursor")
    parser.add_argument("--all", action="store_true", help="follow nextCursor to the end")
    parser.add_argument("--max-pages", type=int, default=MAX_PAGES, help=f"the bound on --all ({MAX_PAGES})")
    return parser


def _product_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--file", type=Path, help="the fields as JSON (flags override)")
    parser.add_argument("--name")
    parser.add_argument("--category", help="categoryCode")
    parser.add_argument("--sku")
    parser.add_argument("--price", type=_decimal)
    parser.add_argument("--currency", help="ISO 4217, e.g. USD")
    parser.add_argument("--description")
    active = parser.add_mutually_exclusive_group()
    active.add_argument("--active", dest="active", action="store_true", default=None)
    active.add_argument("--inactive", dest="active", action="store_false")
    return parser


def _settings_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--tax-rate", type=_decimal, help="a fraction: 0.08 is 8 %% (0 to 1, at most 4 places)")
    parser.add_argument("--order-prefix", help="order numbers start with this (ORD-)")
    parser.add_argument("--order-width", type=int, help="digits of the zero-padded number (6)")
    parser.add_argument("--order-rotation", choices=ROTATIONS, help="restart numbering each year (none)")
    parser.add_argument("--fiscal-start-month", type=int, help="the month a fiscal year starts (4)")
    parser.add_argument("--sender", help="operators: the From address of the tenant's mail ('none' clears it)")
    parser.add_argument("--low-stock", type=int, help="stock at or below this is low (5)")
    return parser


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def _print(value: Any) -> None:
    print(dumps(value))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # usage errors and --help: a code, not an exception, for callers of main()
        return int(exit_.code or 0)
    try:
        _print(args.handler(args))
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ClientError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except AwsError as error:  # Cognito refused an operator call (permissions, unknown pool, ...)
        details = error.response.get("Error", {})
        print(f"error: {details.get('Code', 'AWS')}: {details.get('Message', error)}", file=sys.stderr)
        return 1
    except BotoCoreError as error:  # no credentials, endpoint unreachable, ...
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0
