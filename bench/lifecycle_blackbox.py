"""Write units of one order's lifecycle, counted black-box through the local runtime.

`python -m local` runs as a subprocess (the API over HTTP with real tokens, the stream pollers
feeding the projector and the data-sync functions), its DynamoDB pointed at a counting proxy in
front of DynamoDB Local. The proxy adds `ReturnConsumedCapacity=TOTAL` to every request that
accepts it and adds up the capacity DynamoDB Local reports. DynamoDB Local counts the items of a
`TransactWriteItems` at the plain rate while AWS bills them twice, so the proxy doubles those.
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
    """Requests and capacity units by operation, as DynamoDB Local reported them (transactions x2)."""

    requests: Counter[str] = field(default_factory=Counter)
    units: Counter[str] = field(default_factory=Counter)
    last_write: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, operation: str, units: float) -> None:
        with self.lock:
            self.requests[operation] += 1
            self.units[operation] += units * (2 if operation == "TransactWriteItems" else 1)
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


def capacity_units(answer: dict[str, Any]) -> float:
    """CapacityUnits of one answer (`ConsumedCapacity` is an object, or a list for batches)."""
    consumed = answer.get("ConsumedCapacity")
    entries = consumed if isinstance(consumed, list) else [consumed] if consumed else []
    return sum(float(entry.get("CapacityUnits", 0)) for entry in entries)


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
                if counted:
                    request = json.loads(body or b"{}")
                    request.setdefault("ReturnConsumedCapacity", "TOTAL")
                    body = json.dumps(request).encode()
                headers = {k: v for k, v in self.headers.items() if k.lower() not in {"content-length", "host"}}
                upstream = http.client.HTTPConnection(*proxy.upstream, timeout=60)
                try:
                    upstream.request("POST", self.path, body=body, headers=headers)
                    response = upstream.getresponse()
                    data = response.read()
                    if counted and response.status == 200:
                        proxy.tally.add(operation, capacity_units(json.loads(data)))
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


def lifecycle(api: Api, tally: Tally) -> dict[str, float]:
    """Run the lifecycle; return write units per step, each step counted until writes stop."""
    body = {
        "customerId": "CUST-001",
        "items": [{"productCode": code, "quantity": quantity} for code, quantity in LINES.items()],
        "shippingAddress": {"street": "1 Main St", "city": "Tokyo", "postalCode": "100-0001", "country": "JP"},
        "paymentMethod": "credit_card",
    }
    per_step: dict[str, float] = {}
    before = tally.total(_WRITES)
    # Each write on a new connection: the client re-sends a request whose kept-alive connection
    # dropped, which could apply a status change twice.
    api.close()
    status, order = api.post("/orders", body)
    if status != 201:
        raise RuntimeError(f"POST /orders: {status} {order}")
    code = order["code"]
    wait_for(lambda: _inventory_status(api, code) == "reserved", timeout=SETTLE_TIMEOUT_S, message="reserved")
    _quiet(tally)
    per_step["create + reserve + confirmation"] = tally.total(_WRITES) - before
    for step in STEPS:
        before = tally.total(_WRITES)
        api.close()
        status, answer = api.patch(f"/orders/{code}/status", {"status": step})
        if status != 200:
            raise RuntimeError(f"PATCH {step}: {status} {answer}")
        if step == "shipped":
            wait_for(lambda: _inventory_status(api, code) == "deducted", timeout=SETTLE_TIMEOUT_S, message="deducted")
        _quiet(tally)
        per_step[step] = tally.total(_WRITES) - before
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
                    per_step = lifecycle(api, proxy.tally)
                finally:
                    api.close()
            finally:
                runtime.stop()
        tally = proxy.tally

    rows: list[list[object]] = [[step, f"{units:g}"] for step, units in per_step.items()]
    writes, reads = tally.total(_WRITES), tally.total(_READS)
    rows.append(["total", f"{writes:g}"])
    print_table("Write units per step (local runtime, counted at DynamoDB Local)", ["step", "WCU"], rows)
    by_operation = [
        [op, tally.requests[op], f"{tally.units[op]:g}"] for op in sorted(tally.requests, key=lambda o: -tally.units[o])
    ]
    print_table(
        "Requests and units by operation (transactions doubled)", ["operation", "requests", "units"], by_operation
    )
    say(f"Read units (the client's polling included): {reads:g}.")
    return [
        Figure(
            "lifecycle",
            "write units per order lifecycle, 2 lines, black-box (local runtime)",
            f"{writes:g}",
            f"<= {TARGET_WCU}",
        )
    ]


def main() -> None:
    run(parse_quick(__doc__ or ""))


if __name__ == "__main__":
    main()
