"""Live staff screens: from the API's write to the message on every staff screen, at 8 clients.

Runs `python -m local` as a subprocess (as `make run` does: DynamoDB Local persisting in a
temporary state directory, free loopback ports), connects 8 staff screens of shop-a to its
WebSocket API, and has 8 writer clients (threads, each with its own keep-alive connection and
token) post orders at the same time. For every (order, screen) pair it takes the time from just
before the POST is sent to the screen's receipt of:

- `order.created`: the write -> data stream -> pusher -> @connections -> screen path;
- `order.stock`: the same after the data-sync function reserved the stock (one more stream hop).

Two starting points: the write itself (the order's `createdAt`, stamped by the API function
when it writes, on this machine's clock: the figure the goal is about), and the moment the
client sent its POST (which adds the wait for the API function: locally one invocation runs at a
time, so 8 writers queue for it).

Printed: p50 / p99 / max of each, and how many messages were expected and received (every screen
must get every order: a missing message is a failure, not a slow sample).

Run: `python -m bench.live_latency [--quick]`.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import PROJECT_ROOT
from bench._common import Figure, parse_quick, percentile, print_table, say

sys.path.insert(0, str(PROJECT_ROOT))

from harness.runtime_process import Api, RuntimeProcess, token_for  # noqa: E402
from harness.seed import order_body  # noqa: E402
from infra.names import DEFAULT_STAGE  # noqa: E402
from local.template import ensure_template  # noqa: E402

CLIENTS = 8
ARRIVAL_TIMEOUT_S = 60.0


class Screen:
    """One staff screen: a WebSocket client recording when each (type, order) message arrived."""

    def __init__(self, url: str) -> None:
        from websockets.sync.client import connect

        self.socket = connect(url, open_timeout=30)
        self.arrivals: dict[tuple[str, str], float] = {}
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            while True:
                message = json.loads(self.socket.recv())
                key = (str(message.get("type")), str(message.get("orderCode")))
                self.arrivals.setdefault(key, time.time())
        except ConnectionClosed:
            return

    def close(self) -> None:
        self.socket.close()
        self._thread.join(5)


def epoch(timestamp: str) -> float:
    return datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()


def write_orders(
    outputs: dict[str, Any], token: str, per_client: int
) -> tuple[dict[str, float], dict[str, float], list[str]]:
    """`per_client` orders from each of CLIENTS threads at once; order code -> time the POST was
    sent, and order code -> time of the write (`createdAt`), both epoch seconds."""
    sent: dict[str, float] = {}
    written: dict[str, float] = {}
    errors: list[str] = []
    lock = threading.Lock()

    def client() -> None:
        api = Api(outputs["ApiUrl"], token)
        try:
            for _ in range(per_client):
                began = time.time()
                status, body = api.post("/orders", order_body(("PRD-001", 1)))
                with lock:
                    if status == 201:
                        sent[str(body["code"])] = began
                        written[str(body["code"])] = epoch(str(body["createdAt"]))
                    else:
                        errors.append(f"{status} {body}")
        finally:
            api.close()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(per_client * 30 + 60)
    return sent, written, errors


def restock(outputs: dict[str, Any], token: str) -> None:
    api = Api(outputs["ApiUrl"], token)
    try:
        status, stock = api.get("/inventory/PRD-001")
        version = stock["version"] if status == 200 else 0
        status, body = api.patch("/inventory/PRD-001", {"version": version, "quantity": 1_000_000})
        if status != 200:
            raise RuntimeError(f"restock failed: {status} {body}")
    finally:
        api.close()


def latencies(screens: list[Screen], sent: dict[str, float], kind: str) -> tuple[list[float], int]:
    """Seconds from POST to arrival for every (order, screen); and how many never arrived."""
    deadline = time.monotonic() + ARRIVAL_TIMEOUT_S  # the bound of the wait (arrivals are epoch times)
    wanted = [(screen, code) for screen in screens for code in sent]
    while time.monotonic() < deadline and any((kind, code) not in s.arrivals for s, code in wanted):
        time.sleep(0.05)
    got = [s.arrivals[(kind, code)] - sent[code] for s, code in wanted if (kind, code) in s.arrivals]
    return got, len(wanted) - len(got)


def run(quick: bool = False) -> list[Figure]:
    per_client = 3 if quick else 10
    template = ensure_template(PROJECT_ROOT / "cdk.out", DEFAULT_STAGE)
    rows: list[list[object]] = []
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp:
        runtime = RuntimeProcess(state_dir=Path(tmp) / "state", template=template)
        runtime.start()
        screens: list[Screen] = []
        try:
            outputs = runtime.outputs
            admin = token_for(outputs, "shop-a", "admin")
            restock(outputs, admin)
            staff = token_for(outputs, "shop-a", "staff")
            screens = [Screen(f"{outputs['WebSocketUrl']}?token={staff}") for _ in range(CLIENTS)]
            sent, written, errors = write_orders(outputs, admin, per_client)
            if errors:
                raise RuntimeError(f"{len(errors)} writes failed: {errors[:3]}")
            for start, kind, label in (
                (written, "order.created", "write -> order.created"),
                (written, "order.stock", "write -> order.stock"),
                (sent, "order.created", "POST sent -> order.created"),
            ):
                values, missing = latencies(screens, start, kind)
                if missing:
                    raise RuntimeError(f"{missing} {kind} messages never reached their screen")
                p50, p99 = percentile(values, 50), percentile(values, 99)
                rows.append([label, len(values), f"{p50 * 1000:.0f}", f"{p99 * 1000:.0f}", f"{max(values) * 1000:.0f}"])
                figures.append(
                    Figure(
                        "live screens",
                        f"{label} on {CLIENTS} screens, {CLIENTS} writers, p50/p99",
                        f"{p50 * 1000:.0f} / {p99 * 1000:.0f} ms",
                        "p99 < 1 s" if label == "write -> order.created" else "",
                    )
                )
        finally:
            for screen in screens:
                screen.close()
            runtime.stop()
    say(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (other work on the machine)")
    print_table(
        f"Live screens: {CLIENTS} writers posting orders at once, {CLIENTS} staff screens of the tenant",
        ["path", "messages", "p50 ms", "p99 ms", "max ms"],
        rows,
    )
    return figures


if __name__ == "__main__":
    for figure in run(parse_quick(__doc__ or "")):
        print(f"{figure.what}: {figure.value} {figure.target}".rstrip())
