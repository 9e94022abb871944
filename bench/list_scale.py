"""GET /orders at 100 to 100,000 orders in the tenant, and sequence contention, on DynamoDB Local.

DynamoDB Local (AWS's own engine) runs in memory on a free loopback port and is stopped at the
end. The API handler runs in-process with `AWS_ENDPOINT_URL_DYNAMODB` pointing at it. Orders are
loaded fast with `BatchWriteItem` straight into the data table, cloned from an order the API
itself wrote and stored in the data table's form (`cqrs.indexes.data_image`: the same index keys
the API would write): order n is placed n seconds after the first, its status cycles through
the lifecycle, and 1 order in 1,000 (n % 1000 == 2) belongs to customer `CUST-RARE` and is the
only one `cancelled`.

The page cost is counted on the API's DynamoDB client: requests per page, and the read units
DynamoDB Local reports (`ReturnConsumedCapacity`, added to each request by a hook). Kinds of page:
the first page (newest first), the middle of the list (a cursor half way), `customerId=CUST-RARE`
and `status=cancelled` (1 in 1,000 each: a page of 20 at 100,000 orders, of 1 at 100), the same
with `limit=1` (equal pages at every size), and a date range. A page is flat when pages of the
same size cost the same read units from 100 to 100,000 orders; the last table prints the ratio.

Sequence contention: 8 clients create orders through the in-process handler, each in a fresh
tenant; the check is that every code is unique and, when no request failed, that the codes run
1..N with no gap. Run twice:

- 8 threads in this process, as asked. Lambda never runs two requests at once in one process,
  and Powertools keeps per-request state in module-level objects: the resolver's `context`
  (cleared by `resolve` at the end of each request, so another thread's request can lose its
  `_route` or `user` entry: a 500 before any write) and the metric set (metrics are off for this
  phase). Such failures are the harness's, and are counted and shown.
- 8 processes (spawned, each its own interpreter, like 8 Lambda execution environments): the
  clean check.

Run: `python -m bench.list_scale [--quick]` (--quick stops at 10,000 orders).
"""

from __future__ import annotations

import multiprocessing
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
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
from bench.meter import RequestMeter

LIST_TENANT = "bench-list"
SEQ_TENANTS = {"threads": "bench-seq-t", "processes": "bench-seq-p"}
SIZES = (100, 1_000, 10_000, 100_000)
QUICK_SIZES = (100, 1_000, 10_000)
STATUSES = ("pending", "confirmed", "processing", "shipped", "delivered")
RARE = 1_000  # one order in RARE is the rare customer's, and the only cancelled one
RARE_CUSTOMER = "CUST-RARE"
BATCH = 25
LOAD_THREADS = 4
CLIENT_THREADS = 8
PAGE = 20
FIRST_PLACED = datetime(2026, 1, 1, tzinfo=UTC)


class OrderLoader:
    """Writes cloned orders into the data table with BatchWriteItem, growing the tenant's total."""

    def __init__(self, client: Any, table: str, template: dict[str, Any]) -> None:
        from cqrs.dynamo import deserialize
        from cqrs.indexes import INDEX_ATTRIBUTES
        from cqrs.items import Item

        self._client = client
        self._table = table
        self._template = Item.from_dict({k: v for k, v in deserialize(template).items() if k not in INDEX_ATTRIBUTES})
        self.count = 1  # the template order itself, ORD-000001

    def _item(self, number: int) -> dict[str, Any]:
        from cqrs.clock import iso_timestamp
        from cqrs.dynamo import serialize
        from cqrs.indexes import data_image

        code = f"ORD-{number:06}"
        rare = number % RARE == 2
        attributes = {
            **self._template.attributes,
            "status": "cancelled" if rare else STATUSES[number % len(STATUSES)],
            "customerId": RARE_CUSTOMER if rare else "CUST-001",
            "placedAt": iso_timestamp(FIRST_PLACED + timedelta(seconds=number)),
        }
        order = replace(self._template, sk=f"ORDER#{code}", code=code, name=f"Order {code}", attributes=attributes)
        return serialize(data_image(order))

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


def _page_kinds(size: int) -> list[tuple[str, dict[str, str]]]:
    from cqrs.clock import iso_timestamp
    from cqrs.context import UserContext
    from cqrs.cursor import encode_index_cursor
    from shop.listing import order_query

    # The cursor a client holds after reading down to the middle order, newest first.
    half = size // 2
    query_id = order_query(UserContext(tenant_code=LIST_TENANT, user_id="bench")).query_id
    placed = iso_timestamp(FIRST_PLACED + timedelta(seconds=half))
    middle = encode_index_cursor(f"ORDER#ORD-{half:06}", f"{placed}#ORD-{half:06}", query_id)
    last_day = FIRST_PLACED + timedelta(seconds=size - 200)
    kinds: list[tuple[str, dict[str, str]]] = [
        ("first page", {}),
        (f"customerId={RARE_CUSTOMER}", {"customerId": RARE_CUSTOMER}),
        ("status=cancelled", {"status": "cancelled"}),
        (f"customerId={RARE_CUSTOMER}, limit=1", {"customerId": RARE_CUSTOMER, "limit": "1"}),
        ("status=cancelled, limit=1", {"status": "cancelled", "limit": "1"}),
        ("placedFrom (last 200 s)", {"placedFrom": last_day.isoformat()}),
    ]
    kinds.insert(1, ("middle (cursor)", {"cursor": middle}))
    return kinds


def measure_pages(
    loader: OrderLoader, meter: RequestMeter, calls: int, sizes: tuple[int, ...]
) -> tuple[list[list[object]], list[list[object]], list[Figure]]:
    """The cost of each kind of page at each size, and how flat it stays across sizes."""
    rows: list[list[object]] = []
    figures: list[Figure] = []
    costs: dict[str, dict[int, tuple[int, float]]] = {}  # kind -> size -> (items, RCU per page)
    for size in sizes:
        load_s = loader.grow_to(size)
        for kind, query in _page_kinds(size):

            def fn(query: dict[str, str] = query) -> Any:
                return call_api("GET", "/orders", tenant=LIST_TENANT, query=query or None)

            items = len(fn().body["items"])
            with meter.measure() as usage:
                samples = _timed_calls(fn, calls)
            requests = usage.total / (calls + 1)  # the calls and the warm-up before them
            units = usage.rcu / (calls + 1)
            costs.setdefault(kind, {})[size] = (items, units)
            p50, p99 = percentile(samples, 50), percentile(samples, 99)
            rows.append(
                [f"{size:,}", kind, items, f"{requests:.1f}", f"{units:.1f}",
                 f"{units / items:.2f}" if items else "-", ms(p50), ms(p99), f"{load_s:.1f}"]
            )  # fmt: skip
            figures.append(
                Figure("GET /orders", f"{kind}, {size:,} orders", f"{requests:.1f} requests, {units:.1f} RCU/page")
            )
    flat_rows: list[list[object]] = []
    for kind, by_size in costs.items():
        # Only pages of the same size compare: at 1 in 1,000 a page of 20 holds 1 order at 100
        # orders and 20 at 100,000, so those kinds are compared through their limit=1 variants.
        if len(by_size) < 2 or len({items for items, _ in by_size.values()}) != 1:
            continue
        values = [units for _, units in by_size.values()]
        ratio = max(values) / min(values)
        span = f"{min(by_size):,} to {max(by_size):,}"
        flat_rows.append(
            [kind, by_size[min(by_size)][0], span, f"{min(values):.2f}", f"{max(values):.2f}", f"{ratio:.2f}x"]
        )
        figures.append(Figure("GET /orders", f"{kind}: RCU per page, {span} orders", f"max/min {ratio:.2f}x"))
    return rows, flat_rows, figures


def _create_orders(tenant: str, count: int) -> list[tuple[int, str]]:
    """`count` POST /orders through the in-process handler: (status, code or error) each."""
    from harness.seed import order_body

    body = order_body(("PRD-001", 1))
    out: list[tuple[int, str]] = []
    for _ in range(count):
        try:
            result = call_api("POST", "/orders", body, tenant=tenant)
        except Exception as error:  # shared Powertools state under threads, see the docstring
            out.append((0, f"raised {type(error).__name__}: {error}"[:300]))
            continue
        out.append((result.status, result.body["code"] if result.status == 201 else f"{result.body}"[:300]))
    return out


def _process_client(tenant: str, count: int) -> tuple[list[tuple[int, str]], float, float]:
    """One client process (its own interpreter, as one Lambda execution environment): its results
    and when its requests started and ended (wall clock, so the parent can leave start-up out)."""
    import handlers.api  # noqa: F401 - the import is start-up, before the clock starts

    with quiet():
        start = time.time()
        results = _create_orders(tenant, count)
        return results, start, time.time()


def sequence_contention(mode: str, tenant: str, per_client: int) -> tuple[list[object], Figure]:
    """8 clients (threads or processes) creating orders in a fresh tenant; check the codes."""
    start = time.perf_counter()
    # Powertools' Metrics is one object per process, and flushing is not thread-safe (one thread's
    # flush empties another's metric set, which then raises): metrics are off for this phase.
    with environment({"POWERTOOLS_METRICS_DISABLED": "true"}):
        if mode == "threads":
            with ThreadPoolExecutor(CLIENT_THREADS) as threads:
                batches = list(threads.map(lambda _: _create_orders(tenant, per_client), range(CLIENT_THREADS)))
        else:
            # spawn: fresh interpreters that inherit the environment (endpoint, tables), no fork of
            # a process that holds threads and a JVM's pipes.
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(CLIENT_THREADS, mp_context=context) as processes:
                futures = [processes.submit(_process_client, tenant, per_client) for _ in range(CLIENT_THREADS)]
                done = [future.result(timeout=600) for future in futures]
            batches = [results for results, _, _ in done]
    if mode == "threads":
        elapsed = time.perf_counter() - start
    else:  # from the first request to the last, interpreter start-up left out
        elapsed = max(ended for _, _, ended in done) - min(began for _, began, _ in done)
    results = [r for batch in batches for r in batch]
    statuses = Counter(status for status, _ in results)
    codes = [code for status, code in results if status == 201]
    errors = [error for status, error in results if status != 201]
    requested = len(results)
    failed = requested - statuses[201]
    numbers = sorted(int(code.split("-")[1]) for code in codes)
    unique = len(set(codes)) == len(codes)
    # The tenant is fresh: its numbers must run 1..N.
    contiguous = numbers == list(range(1, len(numbers) + 1))
    if not unique:
        verdict = "FAIL: duplicate codes"
    elif failed == 0:
        verdict = "ok: unique, no gaps" if contiguous else "FAIL: gaps with no failed request"
    else:
        verdict = f"unique; {failed} failed, so gaps allowed" + (" (none anyway)" if contiguous else "")
    answers = ", ".join(f"{status or 'raised'} x{n}" for status, n in sorted(statuses.items()))
    row: list[object] = [
        f"{CLIENT_THREADS} {mode}",
        requested,
        answers,
        len(set(codes)),
        f"{numbers[0]}..{numbers[-1]}" if numbers else "-",
        f"{requested / elapsed:.0f}",
        verdict,
    ]
    for error in errors[:3]:
        say(f"failed request ({mode}): {error}")
    what = f"{CLIENT_THREADS} {mode} x {per_client} POST /orders"
    return row, Figure("sequence", what, f"{answers}; {verdict}")


def run(quick: bool = False) -> list[Figure]:
    import boto3

    from cqrs.dynamo import dynamodb_client
    from harness.tables import create_tables
    from local.dynamodb_local import DynamoDBLocal

    calls, per_thread = (30, 10) if quick else (100, 25)
    with DynamoDBLocal() as ddb:
        env = {**BASE_ENV, "AWS_ENDPOINT_URL_DYNAMODB": ddb.endpoint}
        with environment(env, remove=("AWS_ENDPOINT_URL",)):
            setup = boto3.client("dynamodb", region_name=REGION, endpoint_url=ddb.endpoint)
            tables, idempotency = create_tables(setup, prefix="bench")
            with environment(table_env(tables, idempotency)), quiet():
                reset_wiring()
                meter = RequestMeter(dynamodb_client(), capacity=True)
                from harness.seed import order_body

                for tenant in (LIST_TENANT, *SEQ_TENANTS.values()):
                    seed_catalogue(tenant)
                first = call_api("POST", "/orders", order_body(("PRD-001", 2)), tenant=LIST_TENANT)
                if first.status != 201:
                    raise RuntimeError(f"POST /orders: {first.status} {first.body}")
                key = {"pk": {"S": first.body["pk"]}, "sk": {"S": first.body["sk"]}}
                template = setup.get_item(TableName=tables.data, Key=key, ConsistentRead=True)["Item"]
                loader = OrderLoader(setup, tables.data, template)
                page_rows, flat_rows, figures = measure_pages(loader, meter, calls, QUICK_SIZES if quick else SIZES)
                contention = [sequence_contention(mode, t, per_thread) for mode, t in SEQ_TENANTS.items()]
                reset_wiring()

    print_table(
        f"GET /orders on DynamoDB Local, in-process handler, {calls} calls each (ms)",
        ["orders", "page", "items", "requests/page", "RCU/page", "RCU/item", "p50", "p99", "load s"],
        page_rows,
    )
    print_table(
        "Page cost across tenant sizes (flat: max/min within 1.2x)",
        ["page", "items", "orders", "RCU min", "RCU max", "max/min"],
        flat_rows,
    )
    print_table(
        "Sequence contention: POST /orders from 8 clients, in-process handler, DynamoDB Local",
        ["clients", "requests", "answers", "unique codes", "numbers", "orders/s", "check"],
        [row for row, _ in contention],
    )
    return [*figures, *(figure for _, figure in contention)]


def main() -> None:
    run(parse_quick(__doc__ or ""))


if __name__ == "__main__":
    main()
