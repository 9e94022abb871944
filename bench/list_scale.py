"""GET /orders at 100, 1,000 and 10,000 orders in the tenant, and sequence contention, on DynamoDB Local.

DynamoDB Local (AWS's own engine) runs in memory on a free loopback port and is stopped at the
end. The API handler runs in-process with `AWS_ENDPOINT_URL_DYNAMODB` pointing at it. Orders are
loaded fast with `BatchWriteItem` straight into the data table, cloned from an order the API
itself wrote (same attributes, new codes, statuses in turn), so a listing reads exactly what the
API would have stored.

A page is one `Query` with `Limit` and a cursor: its cost should not depend on the total. The
figures show the first page, a filtered page (`status=shipped`, 1 order in 5) and a page from
the middle (a cursor half way through), each with its DynamoDB requests per call.

Sequence contention: 8 threads create orders through the in-process handler; the check is that
every code is unique and, when no request failed, that the codes run 1..N with no gap. Lambda
never runs two requests at once in one process, and Powertools keeps per-request state in
module-level objects (the resolver's current event and context, the metric set): the threads
share them. Every request here is the same, so a swapped event changes nothing, and metrics are
off for this phase; a request that still fails or raises is counted as failed and shown.

Run: `python -m bench.list_scale [--quick]`.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from bench._common import (
    BASE_ENV,
    REGION,
    Figure,
    call_api,
    environment,
    ms,
    parse_quick,
    percentile,
    print_table,
    quiet,
    reset_wiring,
    say,
    seed_catalogue,
    table_env,
)

LIST_TENANT = "bench-list"
SEQ_TENANT = "bench-seq"
SIZES = (100, 1_000, 10_000)
STATUSES = ("pending", "confirmed", "processing", "shipped", "delivered")
BATCH = 25
LOAD_THREADS = 4
CLIENT_THREADS = 8
PAGE = 20


class OrderLoader:
    """Writes cloned orders into the data table with BatchWriteItem, growing the tenant's total."""

    def __init__(self, client: Any, table: str, template: dict[str, Any]) -> None:
        self._client = client
        self._table = table
        self._template = template
        self.count = 1  # the template order itself, ORD-000001

    def _item(self, number: int) -> dict[str, Any]:
        code = f"ORD-{number:06}"
        sk = f"ORDER#{code}"
        item = dict(self._template)
        attributes = dict(item["attributes"]["M"])
        attributes["status"] = {"S": STATUSES[number % len(STATUSES)]}
        item.update(
            sk={"S": sk},
            code={"S": code},
            id={"S": f"{item['pk']['S']}#{sk}"},
            name={"S": f"Order {code}"},
            attributes={"M": attributes},
        )
        return item

    def _write(self, numbers: range) -> None:
        request = {self._table: [{"PutRequest": {"Item": self._item(n)}} for n in numbers]}
        for attempt in range(20):  # bounded retries of throttled leftovers
            unprocessed = self._client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
            if not unprocessed:
                return
            request = unprocessed
            time.sleep(0.05 * (attempt + 1))
        raise RuntimeError("BatchWriteItem kept items unprocessed")

    def grow_to(self, total: int) -> float:
        """Load orders until the tenant holds `total`; return the seconds it took."""
        start = time.perf_counter()
        chunks = [range(n, min(n + BATCH, total + 1)) for n in range(self.count + 1, total + 1, BATCH)]
        with ThreadPoolExecutor(LOAD_THREADS) as pool:
            list(pool.map(self._write, chunks))
        self.count = max(self.count, total)
        return time.perf_counter() - start


def _timed_calls(fn: Callable[[], Any], count: int) -> list[float]:
    fn()  # warm
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - start)
        if result.status != 200:
            raise RuntimeError(f"GET /orders answered {result.status}: {result.body}")
    return samples


def measure_pages(loader: OrderLoader, counter: list[int], calls: int) -> tuple[list[list[object]], list[Figure]]:
    from cqrs.cursor import encode_cursor

    rows: list[list[object]] = []
    figures: list[Figure] = []
    for size in SIZES:
        load_s = loader.grow_to(size)
        middle = encode_cursor(f"ORDER#ORD-{size // 2:06}")
        kinds: list[tuple[str, Callable[[], Any]]] = [
            ("first page", lambda: call_api("GET", "/orders", tenant=LIST_TENANT)),
            ("status=shipped", lambda: call_api("GET", "/orders", tenant=LIST_TENANT, query={"status": "shipped"})),
            ("middle (cursor)", partial(call_api, "GET", "/orders", tenant=LIST_TENANT, query={"cursor": middle})),
        ]
        for kind, fn in kinds:
            page = fn().body
            before = counter[0]
            samples = _timed_calls(fn, calls)
            per_call = (counter[0] - before) / (calls + 1)
            p50, p99 = percentile(samples, 50), percentile(samples, 99)
            rows.append([f"{size:,}", kind, len(page["items"]), f"{per_call:.1f}", ms(p50), ms(p99), f"{load_s:.1f}"])
            figures.append(Figure("GET /orders", f"{kind}, {size:,} orders", f"p50 {ms(p50)} / p99 {ms(p99)} ms"))
    return rows, figures


def sequence_contention(per_thread: int) -> tuple[list[list[object]], Figure]:
    from tests.support.seed import order_body

    body = order_body(("PRD-001", 1))
    statuses: Counter[int] = Counter()
    codes: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client(_: int) -> None:
        for _ in range(per_thread):
            try:
                result = call_api("POST", "/orders", body, tenant=SEQ_TENANT)
            except Exception as error:  # the harness's shared Powertools state, see the docstring
                with lock:
                    statuses[0] += 1
                    errors.append(f"raised {type(error).__name__}: {error}"[:300])
                continue
            with lock:
                statuses[result.status] += 1
                if result.status == 201:
                    codes.append(result.body["code"])
                else:
                    errors.append(f"{result.status} {result.body}"[:300])

    start = time.perf_counter()
    # Powertools' Metrics is one object per process, and flushing is not thread-safe (one thread's
    # flush empties another's metric set, which then raises): metrics are off for this phase.
    with environment({"POWERTOOLS_METRICS_DISABLED": "true"}), ThreadPoolExecutor(CLIENT_THREADS) as pool:
        list(pool.map(client, range(CLIENT_THREADS)))
    elapsed = time.perf_counter() - start
    requested = CLIENT_THREADS * per_thread
    failed = requested - statuses[201]
    numbers = sorted(int(code.split("-")[1]) for code in codes)
    unique = len(set(codes)) == len(codes)
    # The tenant is fresh: its numbers must start at 1 (a rerun on the same tenant continues on).
    contiguous = bool(numbers) and numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    if not unique:
        verdict = "FAIL: duplicate codes"
    elif failed == 0:
        verdict = "ok: unique, no gaps" if contiguous else "FAIL: gaps with no failed request"
    else:
        verdict = f"unique; {failed} failed, gaps not checked" + ("" if not contiguous else " (none anyway)")
    answers = ", ".join(f"{status or 'raised'} x{n}" for status, n in sorted(statuses.items()))
    row: list[object] = [
        CLIENT_THREADS,
        requested,
        answers,
        len(set(codes)),
        f"{numbers[0]}..{numbers[-1]}" if numbers else "-",
        f"{requested / elapsed:.0f}",
        verdict,
    ]
    for error in errors[:3]:
        say(f"failed request: {error}")
    return [row], Figure("sequence", f"{CLIENT_THREADS} threads x {per_thread} POST /orders", f"{answers}; {verdict}")


def run(quick: bool = False) -> list[Figure]:
    import boto3

    from cqrs.dynamo import dynamodb_client
    from local.dynamodb_local import DynamoDBLocal
    from tests.support.tables import create_tables

    calls, per_thread = (30, 10) if quick else (200, 25)
    with DynamoDBLocal() as ddb:
        env = {**BASE_ENV, "AWS_ENDPOINT_URL_DYNAMODB": ddb.endpoint}
        with environment(env, remove=("AWS_ENDPOINT_URL",)):
            setup = boto3.client("dynamodb", region_name=REGION, endpoint_url=ddb.endpoint)
            tables, idempotency = create_tables(setup, prefix="bench")
            with environment(table_env(tables, idempotency)), quiet():
                reset_wiring()
                requests = [0]

                def count(**_: Any) -> None:
                    requests[0] += 1

                dynamodb_client().meta.events.register("before-call.dynamodb.*", count)
                from tests.support.seed import order_body

                for tenant in (LIST_TENANT, SEQ_TENANT):
                    seed_catalogue(tenant)
                first = call_api("POST", "/orders", order_body(("PRD-001", 2)), tenant=LIST_TENANT)
                if first.status != 201:
                    raise RuntimeError(f"POST /orders: {first.status} {first.body}")
                key = {"pk": {"S": first.body["pk"]}, "sk": {"S": first.body["sk"]}}
                template = setup.get_item(TableName=tables.data, Key=key, ConsistentRead=True)["Item"]
                loader = OrderLoader(setup, tables.data, template)
                page_rows, figures = measure_pages(loader, requests, calls)
                seq_rows, seq_figure = sequence_contention(per_thread)
                reset_wiring()

    print_table(
        f"GET /orders on DynamoDB Local, in-process handler, {calls} calls each (ms)",
        ["orders", "page", "items", "requests/call", "p50", "p99", "load s"],
        page_rows,
    )
    print_table(
        "Sequence contention: POST /orders from 8 threads, in-process handler, DynamoDB Local",
        ["threads", "requests", "answers", "unique codes", "numbers", "orders/s", "check"],
        seq_rows,
    )
    return [*figures, seq_figure]


def main() -> None:
    run(parse_quick(__doc__ or ""))


if __name__ == "__main__":
    main()
