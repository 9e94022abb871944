"""DynamoDB requests per operation: the core's services and the API's request path (moto in-process).

Two counters run side by side:

- a botocore event hook (`before-call.dynamodb.*`) on the core's own client: what the core asks;
- a wrapper around `BaseClient._make_api_call`: every client in the process, including the one
  Powertools' idempotency layer builds for itself.

Run: `python -m bench.requests` (the counts do not depend on `--quick`).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bench._common import (
    BASE_ENV,
    REGION,
    Figure,
    call_api,
    environment,
    parse_quick,
    print_table,
    quiet,
    reset_wiring,
    say,
    seed_catalogue,
    table_env,
)

TENANT = "bench-req"
POST_ORDERS_TARGET = 3
IDEMPOTENCY_EXTRA_TARGET = 2


@dataclass
class Counted:
    core: list[str] = field(default_factory=list)  # operations seen by the core client's hook
    every: list[str] = field(default_factory=list)  # `service.Operation` seen on any client
    labelled: list[str] = field(default_factory=list)  # DynamoDB operations, other clients' marked

    def ops(self, calls: list[str]) -> str:
        counts = Counter(calls)
        return ", ".join(f"{op} x{n}" if n > 1 else op for op, n in counts.items()) or "-"


class RequestCounter:
    """Counts DynamoDB requests per measured block, on the core's client and on every client."""

    def __init__(self) -> None:
        self._current: Counted | None = None
        self.core_client: Any = None

    def hook(self, event_name: str, **_: Any) -> None:
        # event_name: before-call.dynamodb.<Operation>
        if self._current is not None:
            self._current.core.append(event_name.rsplit(".", 1)[-1])

    @contextlib.contextmanager
    def patched(self) -> Iterator[None]:
        from botocore.client import BaseClient

        original: Callable[..., Any] = BaseClient._make_api_call
        counter = self

        def counting(client: BaseClient, operation_name: str, api_params: Any) -> Any:
            if counter._current is not None:
                service = client.meta.service_model.service_name
                counter._current.every.append(f"{service}.{operation_name}")
                if service == "dynamodb":
                    own = client is counter.core_client
                    counter._current.labelled.append(operation_name if own else f"{operation_name} (other client)")
            return original(client, operation_name, api_params)

        BaseClient._make_api_call = counting
        try:
            yield
        finally:
            BaseClient._make_api_call = original

    @contextlib.contextmanager
    def measure(self) -> Iterator[Counted]:
        counted = Counted()
        self._current = counted
        try:
            yield counted
        finally:
            self._current = None


def _row(name: str, counted: Counted, target: str = "") -> list[object]:
    dynamo_all = [c.split(".", 1)[1] for c in counted.every if c.startswith("dynamodb.")]
    return [name, len(counted.core), len(dynamo_all), counted.ops(counted.labelled), target]


def measure_core(counter: RequestCounter, client: Any) -> list[list[object]]:
    from cqrs.context import UserContext
    from cqrs.items import Command
    from cqrs.keys import generate_sk
    from cqrs.services import CqrsServices
    from tests.support.tables import create_tables

    tables, _ = create_tables(client, prefix="core")
    core = CqrsServices.build(client, tables)
    ctx = UserContext(tenant_code=TENANT, user_id="bench")

    def command(code: str, version: int = 0, **attributes: Any) -> Command:
        return Command(
            pk=ctx.pk,
            sk=generate_sk("ITEM", code),
            code=code,
            name=f"Item {code}",
            tenant_code=ctx.tenant_code,
            attributes={"n": 1, **attributes},
            version=version,
        )

    rows: list[list[object]] = []
    with counter.measure() as c:
        created = core.commands.publish(command("I-0001"), ctx)
    rows.append(_row("CommandService.publish (create)", c))
    with counter.measure() as c:
        updated = core.commands.publish(command("I-0001", created.version, n=2), ctx)
    rows.append(_row("CommandService.publish (update, reads current)", c))
    with counter.measure() as c:
        updated = core.commands.publish(command("I-0001", updated.version, n=3), ctx, current=updated)
    rows.append(_row("CommandService.publish (update, current given)", c))
    with counter.measure() as c:
        core.commands.publish(command("I-0001", updated.version, n=3), ctx)
    rows.append(_row("CommandService.publish (no change: not a version)", c))
    with counter.measure() as c:
        core.commands.publish_partial_update(ctx.pk, updated.sk, updated.version, {"m": 1}, ctx)
    rows.append(_row("CommandService.publish_partial_update", c))
    with counter.measure() as c:
        core.commands.publish_many([command(f"I-01{i:02}") for i in range(3)], ctx)
    rows.append(_row("CommandService.publish_many (3 new, atomic)", c))
    with counter.measure() as c:
        core.data.get_item(ctx.pk, updated.sk)
    rows.append(_row("DataService.get_item", c))

    for i in range(45):
        core.commands.publish(command(f"L-{i:04}", colour="red" if i % 5 == 0 else "blue"), ctx)
    with counter.measure() as c:
        page = core.data.list_items_by_pk(ctx.pk, "ITEM#L-", limit=20)
    rows.append(_row("DataService.list_items_by_pk (20 of 45)", c))
    with counter.measure() as c:
        core.data.list_items_by_pk(ctx.pk, "ITEM#L-", limit=20, cursor=page.next_cursor)
    rows.append(_row("DataService.list_items_by_pk (next page, cursor)", c))
    with counter.measure() as c:
        core.data.list_items_by_pk(ctx.pk, "ITEM#L-", limit=5, filter={"attributes.colour": "red"})
    rows.append(_row("DataService.list_items_by_pk (filter, 1 in 5 match)", c))
    with counter.measure() as c:
        core.sequences.next("ORDER", ctx)
    rows.append(_row("SequenceService.next", c))
    return rows


def measure_api(counter: RequestCounter, client: Any) -> tuple[list[list[object]], dict[str, int]]:
    from tests.support.seed import order_body

    seed_catalogue(TENANT)
    for code in ("PRD-001", "PRD-002"):
        call_api("PATCH", f"/inventory/{code}", {"version": 0, "quantity": 100}, tenant=TENANT)
    two_lines = order_body(("PRD-001", 2), ("PRD-002", 1))
    rows: list[list[object]] = []
    figures: dict[str, int] = {}

    def api(name: str, method: str, path: str, body: Any = None, target: str = "", **kwargs: Any) -> Any:
        with counter.measure() as c:
            result = call_api(method, path, body, tenant=TENANT, **kwargs)
        if result.status >= 400:
            raise RuntimeError(f"{name}: {result.status} {result.body}")
        rows.append(_row(name, c, target))
        figures[name] = len([x for x in c.every if x.startswith("dynamodb.")])
        return result.body

    order = api("POST /orders (2 lines)", "POST", "/orders", two_lines, target=f"<= {POST_ORDERS_TARGET}")
    code = order["code"]
    key = {"Idempotency-Key": "bench-key-1"}
    api(
        "POST /orders + Idempotency-Key (first)",
        "POST",
        "/orders",
        two_lines,
        target=f"<= {POST_ORDERS_TARGET}+{IDEMPOTENCY_EXTRA_TARGET}",
        headers=key,
    )
    api("POST /orders + Idempotency-Key (retry)", "POST", "/orders", two_lines, headers=key)
    api("GET /orders/{code}", "GET", f"/orders/{code}")
    for _ in range(43):
        call_api("POST", "/orders", two_lines, tenant=TENANT)
    api("GET /orders (20 of 45)", "GET", "/orders")
    api("GET /orders?status=confirmed (1 match)", "GET", "/orders", query={"status": "confirmed"})
    version = order["version"]
    # No stream runs here: settle the reservation as the data-sync would (not counted), since an
    # order may be processed only once its stock is reserved.
    from shop.wiring import shop

    shop().stock.settle(TENANT, code)
    for status in ("confirmed", "processing", "shipped", "delivered"):
        body = api(f"PATCH /orders/{{code}}/status -> {status}", "PATCH", f"/orders/{code}/status", {"status": status})
        version = body["version"]
    api("POST /products", "POST", "/products", {**_product(), "code": "PRD-900"})
    api("GET /products/{code}", "GET", "/products/PRD-900")
    api("GET /inventory/{code}", "GET", "/inventory/PRD-001")
    stock = call_api("GET", "/inventory/PRD-001", tenant=TENANT).body
    api("PATCH /inventory/{code} (restock)", "PATCH", "/inventory/PRD-001", {"version": stock["version"], "restock": 5})
    lifecycle = figures["POST /orders (2 lines)"] + sum(v for k, v in figures.items() if k.startswith("PATCH /orders"))
    figures["order lifecycle, API path"] = lifecycle
    figures["final version"] = int(version)
    return rows, figures


def _product() -> dict[str, Any]:
    from tests.support.seed import CATALOGUE

    return dict(CATALOGUE[0])


def run(quick: bool = False) -> list[Figure]:
    import boto3
    from moto import mock_aws

    from cqrs.dynamo import dynamodb_client
    from tests.support.tables import create_tables

    counter = RequestCounter()
    with environment(BASE_ENV, remove=("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB")), mock_aws():
        setup = boto3.client("dynamodb", region_name=REGION)
        tables, idempotency = create_tables(setup, prefix="api")
        with environment(table_env(tables, idempotency)):
            reset_wiring()
            core_client = dynamodb_client()
            core_client.meta.events.register("before-call.dynamodb.*", counter.hook)
            counter.core_client = core_client
            with counter.patched(), quiet():
                core_rows = measure_core(counter, core_client)
                api_rows, figures = measure_api(counter, core_client)
            reset_wiring()

    headers = ["operation", "core client", "all clients", "DynamoDB operations, in order", "target"]
    print_table("DynamoDB requests per core operation (moto in-process)", headers, core_rows)
    print_table("DynamoDB requests per API request (in-process handler, moto)", headers, api_rows)
    say(
        f"Order lifecycle on the API path (create + 4 status changes): {figures['order lifecycle, API path']} "
        "requests; the data-sync reactions (reserve, deduct, notify) are not counted here."
    )
    post = figures["POST /orders (2 lines)"]
    keyed = figures["POST /orders + Idempotency-Key (first)"]
    retry = "POST /orders + Idempotency-Key (retry)"
    return [
        Figure("requests", "POST /orders", str(post), f"<= {POST_ORDERS_TARGET}"),
        Figure("requests", "POST /orders + Idempotency-Key (first)", str(keyed), f"<= {POST_ORDERS_TARGET + 2}"),
        Figure("requests", "POST /orders + Idempotency-Key (retry)", str(figures[retry])),
        Figure("requests", "GET /orders/{code}", str(figures["GET /orders/{code}"])),
        Figure("requests", "GET /orders (page of 20)", str(figures["GET /orders (20 of 45)"])),
        Figure("requests", "PATCH /orders/{code}/status", str(figures["PATCH /orders/{code}/status -> confirmed"])),
        Figure("requests", "order lifecycle (API path)", str(figures["order lifecycle, API path"])),
    ]


def main() -> None:
    run(parse_quick(__doc__ or ""))


if __name__ == "__main__":
    main()
