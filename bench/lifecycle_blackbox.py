"""Write units of one order's lifecycle, counted black-box through the local runtime.

`python -m local` runs as a subprocess (the API over HTTP with real tokens, the stream pollers
feeding the projector and the data-sync functions), its DynamoDB pointed at a counting proxy in
front of DynamoDB Local:

- **tables**: the proxy asks for `ReturnConsumedCapacity=INDEXES` on every request that accepts
  it and adds up the table capacity DynamoDB Local reports, except for `TransactWriteItems`:
  DynamoDB Local reports 2 units per table touched whatever the number and size of the items
  (measured: 1 or 3 puts to one table, 2.0 either way), so a transaction's units are computed
  from its request by AWS's published rule, 2 per started KB of each item (`bench.meter`);
- **indexes**: DynamoDB Local's index figures inherit that flaw, so the list indexes' units are
  taken from the data table's stream instead, read straight from DynamoDB Local, with the rules
  `bench.order_lifecycle` applies (`bench.index_cost`: 1 to put or delete an entry, 2 when its
  keys change).

A refused conditional write is billed by AWS but reported by nobody: these are the figures of a
lifecycle where no write is refused, as here.

The lifecycle is the one of `bench.order_lifecycle`: a 2-line order (PRD-001 x 2, PRD-002 x 1),
created, then confirmed, processing, shipped, delivered, each step waited for (the reservation,
the deduction) as a client would; the count stops when no write has come for a quiet period.
Reads are counted too, but the client's polling adds some.

Run: `python -m bench.lifecycle_blackbox` (the figures do not depend on `--quick`).
"""

from __future__ import annotations

import http.client
import json
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench import PROJECT_ROOT
from bench._common import Figure, parse_quick, print_table, say

sys.path.insert(0, str(PROJECT_ROOT))

from bench.index_cost import stream_index_write_units  # noqa: E402
from bench.meter import write_units  # noqa: E402
from harness.runtime_process import Api, RuntimeProcess, token_for, wait_for  # noqa: E402
from infra.names import DEFAULT_STAGE  # noqa: E402
from local.dynamodb_local import LOOPBACK, DynamoDBLocal  # noqa: E402
from local.template import ensure_template  # noqa: E402

LINES = {"PRD-001": 2, "PRD-002": 1}
STEPS = ("confirmed", "processing", "shipped", "delivered")
TARGET_WCU = 50
QUIET_S = 3.0
SETTLE_TIMEOUT_S = 60.0
_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
_READS = {"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"}
_TARGET_PREFIX = "DynamoDB_20120810."


@dataclass
class Tally:
    """Requests and table capacity units by operation (see the module docstring)."""

    requests: Counter[str] = field(default_factory=Counter)
    units: Counter[str] = field(default_factory=Counter)
    last_write: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, operation: str, units: float) -> None:
        with self.lock:
            self.requests[operation] += 1
            self.units[operation] += units
            if operation in _WRITES:
                self.last_write = time.monotonic()

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.units.clear()
            self.last_write = time.monotonic()

    def total(self, operations: set[str]) -> float:
        with self.lock:
            return sum(units for op, units in self.units.items() if op in operations)


def table_units(operation: str, request: dict[str, Any], answer: dict[str, Any]) -> float:
    """The tables' capacity units of one request: computed for a transaction, else reported."""
    if operation == "TransactWriteItems":
        return sum(
            write_units(action["Put"]["Item"], transactional=True) if "Put" in action else 2
            for action in request["TransactItems"]
        )
    consumed = answer.get("ConsumedCapacity")
    entries = consumed if isinstance(consumed, list) else [consumed] if consumed else []
    return sum(float((entry.get("Table") or entry).get("CapacityUnits", 0)) for entry in entries)


class DataStreamTap:
    """Reads the data table's stream from a marked point on, straight from DynamoDB Local."""

    def __init__(self, endpoint: str) -> None:
        import boto3

        keys = {"region_name": "us-east-1", "aws_access_key_id": "local", "aws_secret_access_key": "local"}
        self._dynamodb = boto3.client("dynamodb", endpoint_url=endpoint, **keys)  # noqa: S106
        self._streams = boto3.client("dynamodbstreams", endpoint_url=endpoint, **keys)  # noqa: S106
        (table,) = [t for t in self._dynamodb.list_tables()["TableNames"] if "TablesData" in t]
        self._arn = self._dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]

    def mark(self) -> dict[str, str]:
        """An iterator per shard at its end: `read` returns what comes after."""
        shards = self._streams.describe_stream(StreamArn=self._arn)["StreamDescription"]["Shards"]
        return {
            shard["ShardId"]: self._streams.get_shard_iterator(
                StreamArn=self._arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST"
            )["ShardIterator"]
            for shard in shards
            if "EndingSequenceNumber" not in shard["SequenceNumberRange"]
        }

    def read(self, mark: dict[str, str]) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        for iterator in mark.values():
            for _ in range(100):  # bounded: a page per call, and these steps write a few records
                page = self._streams.get_records(ShardIterator=iterator, Limit=1000)
                records += page["Records"]
                iterator = page.get("NextShardIterator")
                if not page["Records"] or not iterator:
                    break
        return records


class CountingProxy:
    """A loopback HTTP proxy to DynamoDB Local that asks for and counts consumed capacity."""

    def __init__(self, upstream: str) -> None:
        split = urlsplit(upstream)
        self.upstream = (split.hostname or LOOPBACK, split.port or 80)
        self.tally = Tally()
        self._server = ThreadingHTTPServer((LOOPBACK, 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self._server.server_address[1]}"

    def __enter__(self) -> CountingProxy:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: Any) -> None:  # quiet
                return

            def do_POST(self) -> None:  # noqa: N802 - the http.server hook's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                target = self.headers.get("X-Amz-Target", "")
                operation = target[len(_TARGET_PREFIX) :] if target.startswith(_TARGET_PREFIX) else ""
                counted = operation in _WRITES | _READS
                request: dict[str, Any] = {}
                if counted:
                    request = json.loads(body or b"{}")
                    request["ReturnConsumedCapacity"] = "INDEXES"  # the tables' units apart from the indexes'
                    body = json.dumps(request).encode()
                headers = {k: v for k, v in self.headers.items() if k.lower() not in {"content-length", "host"}}
                upstream = http.client.HTTPConnection(*proxy.upstream, timeout=60)
                try:
                    upstream.request("POST", self.path, body=body, headers=headers)
                    response = upstream.getresponse()
                    data = response.read()
                    if counted and response.status == 200:
                        proxy.tally.add(operation, table_units(operation, request, json.loads(data)))
                    self.send_response(response.status)
                    for name, value in response.getheaders():
                        if name.lower() not in {"content-length", "transfer-encoding", "connection"}:
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                finally:
                    upstream.close()

        return Handler


def lifecycle(api: Api, tally: Tally, stream: DataStreamTap) -> dict[str, tuple[float, float]]:
    """Run the lifecycle; return (tables', indexes') write units per step, each step counted
    until writes stop."""
    body = {
        "customerId": "CUST-001",
        "items": [{"productCode": code, "quantity": quantity} for code, quantity in LINES.items()],
        "shippingAddress": {"street": "1 Main St", "city": "Tokyo", "postalCode": "100-0001", "country": "JP"},
        "paymentMethod": "credit_card",
    }
    per_step: dict[str, tuple[float, float]] = {}

    def written() -> tuple[float, dict[str, str]]:
        return tally.total(_WRITES), stream.mark()

    def since(before: tuple[float, dict[str, str]]) -> tuple[float, float]:
        return tally.total(_WRITES) - before[0], stream_index_write_units(stream.read(before[1]))

    before = written()
    # Each write on a new connection: the client re-sends a request whose kept-alive connection
    # dropped, which could apply a status change twice.
    api.close()
    status, order = api.post("/orders", body)
    if status != 201:
        raise RuntimeError(f"POST /orders: {status} {order}")
    code = order["code"]
    wait_for(lambda: _inventory_status(api, code) == "reserved", timeout=SETTLE_TIMEOUT_S, message="reserved")
    _quiet(tally)
    per_step["create + reserve + confirmation"] = since(before)
    for step in STEPS:
        before = written()
        api.close()
        status, answer = api.patch(f"/orders/{code}/status", {"status": step})
        if status != 200:
            raise RuntimeError(f"PATCH {step}: {status} {answer}")
        if step == "shipped":
            wait_for(lambda: _inventory_status(api, code) == "deducted", timeout=SETTLE_TIMEOUT_S, message="deducted")
        _quiet(tally)
        per_step[step] = since(before)
    return per_step


def _inventory_status(api: Api, code: str) -> str | None:
    status, order = api.get(f"/orders/{code}")
    return order["attributes"].get("inventoryStatus") if status == 200 else None


def _quiet(tally: Tally) -> None:
    """Wait until no write has come for `QUIET_S` (the stream functions are done), bounded."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while time.monotonic() < deadline:
        if time.monotonic() - tally.last_write >= QUIET_S:
            return
        time.sleep(0.2)
    raise RuntimeError(f"writes did not stop within {SETTLE_TIMEOUT_S} s")


def run(quick: bool = False) -> list[Figure]:
    template = ensure_template(PROJECT_ROOT / "cdk.out", DEFAULT_STAGE)
    with tempfile.TemporaryDirectory(prefix="bench-blackbox-") as state, DynamoDBLocal() as ddb:
        ddb.start()
        with CountingProxy(ddb.endpoint) as proxy:
            runtime = RuntimeProcess(
                state_dir=Path(state),
                template=template,
                extra_args=["--dynamodb", proxy.endpoint, "--max-batching-window", "0"],
            )
            try:
                outputs = runtime.start()
                api = Api(outputs["ApiUrl"], token_for(outputs, "shop-a", "admin"))
                try:
                    _quiet(proxy.tally)  # the demo's own writes and reactions are not counted
                    proxy.tally.reset()
                    per_step = lifecycle(api, proxy.tally, DataStreamTap(ddb.endpoint))
                finally:
                    api.close()
            finally:
                runtime.stop()
        tally = proxy.tally

    rows: list[list[object]] = [[step, f"{table:g}", f"{index:g}"] for step, (table, index) in per_step.items()]
    writes, reads = tally.total(_WRITES), tally.total(_READS)
    index_writes = sum(index for _, index in per_step.values())
    rows.append(["total", f"{writes:g}", f"{index_writes:g}"])
    print_table(
        "Write units per step (local runtime, counted at DynamoDB Local)", ["step", "tables WCU", "indexes WCU"], rows
    )
    by_operation = [
        [op, tally.requests[op], f"{tally.units[op]:g}"] for op in sorted(tally.requests, key=lambda o: -tally.units[o])
    ]
    print_table("Requests and table units by operation", ["operation", "requests", "units"], by_operation)
    say(f"Read units (the client's polling included): {reads:g}.")
    return [
        Figure(
            "lifecycle",
            "write units per order lifecycle, 2 lines, black-box (local runtime), tables",
            f"{writes:g}",
            f"<= {TARGET_WCU}",
        ),
        Figure(
            "lifecycle",
            "write units per order lifecycle, 2 lines, black-box (local runtime), list indexes",
            f"{index_writes:g}",
        ),
    ]


def main() -> None:
    run(parse_quick(__doc__ or ""))


if __name__ == "__main__":
    main()
