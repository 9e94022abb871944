"""The core's own work, with DynamoDB stubbed out: microseconds per publish and per API request.

The stub client answers `transact_write_items`, `get_item`, `update_item`, `query` and
`batch_get_item` with canned minimal responses (the items were produced by the real code once,
at setup), so what is timed is our code plus Powertools' resolver, validation, logging and
metrics, never the network or an emulator. The idempotency layer is not used here.

Run: `python -m bench.core_overhead [--quick]`.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any
from unittest import mock

from bench._common import (
    BASE_ENV,
    Figure,
    call_api,
    environment,
    parse_quick,
    percentile,
    print_table,
    quiet,
    reset_wiring,
    seed_catalogue,
    table_env,
    us,
)
from cqrs.settings import Tables

TENANT = "bench-core"
TABLES = Tables(command="stub-command", data="stub-data", history="stub-history", sequences="stub-sequences")
PAGE = 20


class StubDynamoDB:
    """A low-level DynamoDB client stand-in. While `recording`, data-table puts are kept and
    served back; afterwards it answers from that frozen state, whatever is written."""

    def __init__(self, data_table: str) -> None:
        self._data_table = data_table
        self.recording = True
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.sequence = 0
        self.page: list[dict[str, Any]] = []
        self.calls = 0

    def transact_write_items(self, TransactItems: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        self.calls += 1
        if self.recording:
            for action in TransactItems:
                put = action.get("Put")
                if put and put["TableName"] == self._data_table:
                    item = put["Item"]
                    self.items[(item["pk"]["S"], item["sk"]["S"])] = item
        return {}

    def get_item(self, TableName: str, Key: dict[str, Any], **_: Any) -> dict[str, Any]:  # noqa: N803
        self.calls += 1
        item = self.items.get((Key["pk"]["S"], Key["sk"]["S"]))
        return {"Item": item} if item else {}

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803
        self.calls += 1
        responses: dict[str, list[dict[str, Any]]] = {}
        for table, request in RequestItems.items():
            keys = ((k["pk"]["S"], k["sk"]["S"]) for k in request["Keys"])
            responses[table] = [self.items[key] for key in keys if key in self.items]
        return {"Responses": responses, "UnprocessedKeys": {}}

    def update_item(self, **_: Any) -> dict[str, Any]:
        self.calls += 1
        self.sequence += 1
        return {"Attributes": {"value": {"N": str(self.sequence)}}}

    def query(self, Limit: int = PAGE + 1, **_: Any) -> dict[str, Any]:  # noqa: N803
        self.calls += 1
        return {"Items": self.page[:Limit], "Count": min(Limit, len(self.page))}


@contextmanager
def stubbed_shop(stub: StubDynamoDB) -> Iterator[None]:
    """The API's wiring built over `stub` instead of a boto3 client."""

    @lru_cache(maxsize=1)
    def stub_client() -> Any:
        return stub

    env = {**BASE_ENV, **table_env(TABLES, "stub-idempotency")}
    unset = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB")
    with environment(env, remove=unset), mock.patch("shop.wiring.dynamodb_client", stub_client):
        reset_wiring()
        try:
            yield
        finally:
            reset_wiring()


def timed(fn: Callable[[], Any], count: int, warmup: int, prepare: Callable[[], Any] | None = None) -> list[float]:
    """Seconds per call of `fn`, `count` times after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    samples: list[float] = []
    clock = time.perf_counter
    for _ in range(count):
        if prepare is not None:
            prepare()
        start = clock()
        fn()
        samples.append(clock() - start)
    return samples


def _stats(name: str, samples: list[float]) -> list[object]:
    mean = sum(samples) / len(samples)
    return [name, len(samples), us(percentile(samples, 50)), us(percentile(samples, 99)), us(mean)]


def measure_publish(stub: StubDynamoDB, order_attributes: dict[str, Any], count: int) -> list[list[object]]:
    from cqrs.commands import CommandService
    from cqrs.context import UserContext
    from cqrs.items import Command, Item

    ctx = UserContext(tenant_code=TENANT, user_id="bench")
    commands = CommandService(stub, TABLES)
    serial = iter(range(10**9))

    def create() -> Item:
        code = f"ORD-{next(serial):06}"
        command = Command(ctx.pk, f"ORDER#{code}", code, f"Order {code}", ctx.tenant_code, order_attributes)
        return commands.publish(command, ctx)

    current = create()
    statuses = iter(["confirmed", "pending"] * (count + 200))

    def update() -> Item:
        attributes = {**order_attributes, "status": next(statuses)}
        command = Command(current.pk, current.sk, current.code, current.name, ctx.tenant_code, attributes, 1)
        return commands.publish(command, ctx, current=current)

    return [
        _stats("publish, create (order-sized item)", timed(create, count, warmup=200)),
        _stats("publish, update with current given", timed(update, count, warmup=200)),
    ]


def measure_routes(stub: StubDynamoDB, order_code: str, count: int) -> list[list[object]]:
    from harness.seed import order_body

    body = order_body(("PRD-001", 2), ("PRD-002", 1))
    routes: list[tuple[str, Callable[[], Any]]] = [
        ("POST /orders (2 lines)", lambda: call_api("POST", "/orders", body, tenant=TENANT)),
        ("GET /orders/{code}", lambda: call_api("GET", f"/orders/{order_code}", tenant=TENANT)),
        (f"GET /orders (page of {PAGE})", lambda: call_api("GET", "/orders", tenant=TENANT)),
        (
            "PATCH /orders/{code}/status",
            lambda: call_api("PATCH", f"/orders/{order_code}/status", {"status": "confirmed"}, tenant=TENANT),
        ),
    ]
    rows = []
    for name, fn in routes:
        status = fn().status
        if status >= 400:
            raise RuntimeError(f"{name} answered {status} on the stub")
        rows.append(_stats(name, timed(fn, count, warmup=max(20, count // 20))))
    return rows


def run(quick: bool = False) -> list[Figure]:
    publishes, requests = (1_000, 300) if quick else (5_000, 2_000)
    stub = StubDynamoDB(TABLES.data)
    with stubbed_shop(stub), quiet():
        # Setup through the real code: the stub keeps what it was asked to write.
        seed_catalogue(TENANT)
        from harness.seed import order_body

        created = call_api("POST", "/orders", order_body(("PRD-001", 2), ("PRD-002", 1)), tenant=TENANT)
        if created.status != 201:
            raise RuntimeError(f"POST /orders on the stub: {created.status} {created.body}")
        order_key = (created.body["pk"], created.body["sk"])
        stub.page = [stub.items[order_key]] * (PAGE + 1)
        stub.recording = False
        order_attributes = dict(created.body["attributes"])
        gc.collect()
        publish_rows = measure_publish(stub, order_attributes, publishes)
        route_rows = measure_routes(stub, created.body["code"], requests)

    headers = ["operation (DynamoDB stubbed)", "calls", "p50 µs", "p99 µs", "mean µs"]
    print_table("The core's own work per publish", headers, publish_rows)
    print_table("In-process API handler per request (no idempotency key)", headers, route_rows)
    figures = [Figure("core µs", str(r[0]), f"p50 {r[2]} / p99 {r[3]} µs") for r in publish_rows]
    figures += [Figure("handler µs", str(r[0]), f"p50 {r[2]} / p99 {r[3]} µs") for r in route_rows]
    return figures


def main() -> None:
    run(parse_quick(__doc__ or ""))


if __name__ == "__main__":
    main()
