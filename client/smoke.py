"""Post-deploy smoke test: log in, create an order, read it back, see its stock reserved, cancel it.

`python -m client.smoke --outputs outputs.json --username smoke@example.com` (the password from
`$SMOKE_PASSWORD`, so it never shows in a process list or a CI log). The user is an admin of a
tenant kept for the smoke test: the first run creates its one product and stock through the
catalogue seeder; every run leaves the stock as it found it (the order is cancelled, its
reservation released). Each step is printed as JSON; the exit code is 0 only if all passed.

It proves what a deploy can break and synth cannot: Cognito issues a token the API accepts, the
API writes and reads DynamoDB, and both stream functions run (the data-sync reserves and then
releases the order's stock, which it records on the order).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from client.api import ShopApi, dumps
from client.errors import ClientError
from client.seed import seed_catalogue

PASSWORD_ENV = "SMOKE_PASSWORD"
PRODUCT_CODE = "PRD-SMOKE"
SMOKE_PRODUCT: dict[str, Any] = {
    "code": PRODUCT_CODE,
    "name": "Smoke test item",
    "categoryCode": "SMOKE",
    "sku": "SMOKE-001",
    "price": Decimal("1.00"),
    "currency": "USD",
    "description": "Ordered and cancelled by the post-deploy smoke test",
    "stock": 1000,
}
SMOKE_ORDER: dict[str, Any] = {
    "customerId": "SMOKE",
    "items": [{"productCode": PRODUCT_CODE, "quantity": 1}],
    "shippingAddress": {"street": "1 Smoke St", "city": "Springfield", "postalCode": "12345", "country": "US"},
    "paymentMethod": "credit_card",
}
DEFAULT_WAIT_S = 60.0
POLL_INTERVAL_S = 1.0


class SmokeFailure(ClientError):
    """A step saw something other than what a working stack answers."""


@dataclass
class Step:
    name: str
    ok: bool
    detail: str


def run_smoke(
    api: ShopApi,
    username: str,
    password: str,
    wait_s: float = DEFAULT_WAIT_S,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Step]:
    """Run every step in order, stopping at the first failure; the steps taken are returned."""
    steps: list[Step] = []
    order: dict[str, Any] = {}

    def step(name: str, action: Callable[[], str]) -> bool:
        try:
            steps.append(Step(name, True, action()))
        except ClientError as error:  # ApiError and AuthError too: the API's or Cognito's answer
            steps.append(Step(name, False, str(error)))
            return False
        return True

    def login() -> str:
        api.login(username, password)
        tenant = api.whoami()["tenant"]
        return f"tenant {tenant}"

    def catalogue() -> str:
        (result,) = seed_catalogue(api, [SMOKE_PRODUCT])
        if not result.ok:
            raise SmokeFailure(f"{PRODUCT_CODE}: {result.error}")
        return f"product {result.product}, stock {result.stock}"

    def create() -> str:
        created = api.create_order(SMOKE_ORDER)
        _expect(created.get("attributes", {}).get("status"), "pending", "status")
        order.update(created)
        return f"{created['code']} version {created['version']}"

    def read_back() -> str:
        found = api.get_order(order["code"])
        _expect(found.get("code"), order["code"], "code")
        _expect(found.get("attributes", {}).get("total"), Decimal("1.10"), "total")
        return f"{found['code']} total {found['attributes']['total']}"

    def reserved() -> str:
        return _wait_for_inventory(api, order["code"], "reserved", wait_s, sleep)

    def cancel() -> str:
        cancelled = api.update_order_status(order["code"], "cancelled")
        _expect(cancelled.get("attributes", {}).get("status"), "cancelled", "status")
        return f"{cancelled['code']} cancelled"

    def released() -> str:
        return _wait_for_inventory(api, order["code"], "released", wait_s, sleep)

    for name, action in (
        ("log in", login),
        ("catalogue", catalogue),
        ("create order", create),
        ("read it back", read_back),
        ("stock reserved", reserved),
        ("cancel it", cancel),
        ("stock released", released),
    ):
        if not step(name, action):
            break
    return steps


def _expect(actual: Any, expected: Any, field: str) -> None:
    if actual != expected:
        raise SmokeFailure(f"{field}: expected {expected!r}, got {actual!r}")


def _wait_for_inventory(api: ShopApi, code: str, wanted: str, wait_s: float, sleep: Callable[[float], None]) -> str:
    """Poll the order until the data-sync function records `wanted`: bounded in time and count."""
    deadline = time.monotonic() + wait_s
    seen = None
    for attempt in range(1, int(wait_s / POLL_INTERVAL_S) + 2):
        seen = api.get_order(code).get("attributes", {}).get("inventoryStatus")
        if seen == wanted:
            return f"inventoryStatus {wanted} after {attempt} read(s)"
        if time.monotonic() >= deadline:
            break
        sleep(POLL_INTERVAL_S)
    raise SmokeFailure(f"inventoryStatus still {seen!r} after {wait_s:g} s (wanted {wanted!r})")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m client.smoke", description=__doc__.splitlines()[0])
    parser.add_argument("--outputs", type=Path, help="the stack's outputs file (cdk deploy --outputs-file)")
    parser.add_argument("--stack", help="the stack, when the outputs file holds several")
    parser.add_argument("--username", required=True, help="an admin of the tenant kept for smoke tests")
    parser.add_argument("--cache-dir", type=Path, help="where the login session is kept")
    parser.add_argument("--wait", type=float, default=DEFAULT_WAIT_S, help="seconds to wait for each stream step")
    args = parser.parse_args(argv)
    password = os.environ.get(PASSWORD_ENV)
    if not password:
        print(f"error: set {PASSWORD_ENV} to the smoke user's password", file=sys.stderr)
        return 2
    try:
        api = ShopApi.from_outputs(args.outputs, stack=args.stack, cache_dir=args.cache_dir)
    except ClientError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    steps = run_smoke(api, args.username, password, args.wait)
    passed = all(step.ok for step in steps)  # the steps stop at the first failure
    print(dumps({"passed": passed, "steps": [asdict(step) for step in steps]}))
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
