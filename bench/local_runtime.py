"""The local runtime's figures: time to `ready`, resident memory, orders/s and reservation latency.

Runs `python -m local` as a subprocess (DynamoDB Local persisting in a temporary state directory,
as `make run` does, free ports), with the template already synthesized (a warm install), and:

- **ready**: from spawning the process to its `ready` line (first start on an empty state, and
  a restart on the state the first run left);
- **memory**: resident set of the whole local system (the runtime's Python process, with moto
  and the handlers in it, plus the DynamoDB Local JVM), after the load below;
- **orders/s**: N clients (threads, each with its own keep-alive connection and a demo user's
  token), each looping POST /orders (one line) then GET /orders/{code} (read back), for a fixed
  time; orders/s = orders created and read back / elapsed;
- **reservation visible**: N clients, each posting an order then polling GET /orders/{code}
  every 20 ms until `attributes.inventoryStatus` is `reserved`; p50/p99 of POST-sent -> first
  GET that shows it. This is the asynchronous path: command stream -> projector, data stream ->
  data-sync reservation -> the order's inventoryStatus.

Both at 1 and 8 clients, with the template's batching window (as deployed: the stream pollers
wait up to `MaximumBatchingWindowInSeconds` to fill a batch) and with `--max-batching-window 0`.

Run: `python -m bench.local_runtime [--quick]`.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import PROJECT_ROOT
from bench._common import Figure, parse_quick, percentile, print_table, say

sys.path.insert(0, str(PROJECT_ROOT))

from harness.runtime_process import Api, RuntimeProcess, token_for, wait_for  # noqa: E402
from harness.seed import order_body  # noqa: E402
from infra.names import DEFAULT_STAGE  # noqa: E402
from local.template import ensure_template  # noqa: E402

PRODUCTS = ("PRD-001", "PRD-002", "PRD-003")
POLL_S = 0.02
RESERVATION_TIMEOUT_S = 30.0


@dataclass
class Load:
    clients: int
    orders: int
    seconds: float
    last_codes: list[str]

    @property
    def per_second(self) -> float:
        return self.orders / self.seconds if self.seconds else 0.0


def rss_kb(pid: int) -> int:
    """Resident memory of `pid` and all its descendants, in KB (from /proc)."""
    total, todo, seen = 0, [pid], set()
    for _ in range(10_000):
        if not todo:
            break
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == current:
                    todo.append(int(stat.parent.name))
            except (OSError, ValueError, IndexError):
                continue
    return total


def tokens(outputs: dict[str, Any]) -> list[str]:
    return [token_for(outputs, tenant, role) for tenant in ("shop-a", "shop-b") for role in ("admin", "staff")]


def restock(outputs: dict[str, Any], quantity: int) -> None:
    """Enough stock that no order of the run is refused for shortage."""
    for tenant in ("shop-a", "shop-b"):
        api = Api(outputs["ApiUrl"], token_for(outputs, tenant, "admin"))
        try:
            for product in PRODUCTS:
                status, body = api.get(f"/inventory/{product}")
                assert status == 200, body
                status, body = api.patch(f"/inventory/{product}", {"version": body["version"], "quantity": quantity})
                assert status == 200, body
        finally:
            api.close()


def throughput(outputs: dict[str, Any], all_tokens: list[str], clients: int, seconds: float) -> Load:
    """Orders created and read back per second, `clients` closed loops for `seconds`."""
    done = [0] * clients
    last: list[str] = [""] * clients
    errors: list[str] = []
    start = threading.Barrier(clients + 1)
    deadline: list[float] = [0.0]

    def client(index: int) -> None:
        api = Api(outputs["ApiUrl"], all_tokens[index % len(all_tokens)])
        try:
            start.wait()
            for n in range(1_000_000):  # bounded by the deadline
                if time.monotonic() >= deadline[0]:
                    break
                status, body = api.post("/orders", order_body((PRODUCTS[(index + n) % len(PRODUCTS)], 1)))
                if status != 201:
                    errors.append(f"POST {status} {body}")
                    break
                status, read = api.get(f"/orders/{body['code']}")
                if status != 200:
                    errors.append(f"GET {status} {read}")
                    break
                done[index] += 1
                last[index] = body["code"]
        finally:
            api.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    deadline[0] = time.monotonic() + seconds
    began = time.monotonic()
    start.wait()
    for thread in threads:
        thread.join(seconds + 60)
    elapsed = time.monotonic() - began
    if errors:
        raise RuntimeError(f"throughput run failed: {errors[:3]}")
    return Load(clients, sum(done), elapsed, [code for code in last if code])


def drain(outputs: dict[str, Any], all_tokens: list[str], load: Load, timeout: float = 300.0) -> float:
    """Seconds until the last order of every client shows its reservation (the backlog is gone)."""
    began = time.monotonic()
    for index, code in enumerate(load.last_codes):
        api = Api(outputs["ApiUrl"], all_tokens[index % len(all_tokens)])
        try:
            wait_for(
                lambda api=api, code=code: (
                    api.get(f"/orders/{code}")[1]["attributes"].get("inventoryStatus") == "reserved"
                ),
                timeout=max(1.0, timeout - (time.monotonic() - began)),
                interval=0.2,
                message=f"{code} reserved",
            )
        finally:
            api.close()
    return time.monotonic() - began


def reservation_latencies(outputs: dict[str, Any], all_tokens: list[str], clients: int, per_client: int) -> list[float]:
    """Seconds from sending POST /orders to the first GET that shows the reservation."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(clients)

    def client(index: int) -> None:
        api = Api(outputs["ApiUrl"], all_tokens[index % len(all_tokens)])
        try:
            start.wait()
            for n in range(per_client):
                sent = time.monotonic()
                status, body = api.post("/orders", order_body((PRODUCTS[(index + n) % len(PRODUCTS)], 1)))
                if status != 201:
                    errors.append(f"POST {status} {body}")
                    return
                code = body["code"]
                deadline = sent + RESERVATION_TIMEOUT_S
                while time.monotonic() < deadline:
                    status, order = api.get(f"/orders/{code}")
                    if status == 200 and order["attributes"].get("inventoryStatus") == "reserved":
                        with lock:
                            latencies.append(time.monotonic() - sent)
                        break
                    time.sleep(POLL_S)
                else:
                    errors.append(f"{code} not reserved within {RESERVATION_TIMEOUT_S} s")
                    return
        finally:
            api.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(per_client * RESERVATION_TIMEOUT_S + 60)
    if errors:
        raise RuntimeError(f"reservation run failed: {errors[:3]}")
    return latencies


def start_runtime(template: Path, state_dir: Path, extra: list[str]) -> tuple[RuntimeProcess, float]:
    runtime = RuntimeProcess(state_dir=state_dir, template=template, extra_args=extra)
    began = time.monotonic()
    runtime.start()
    return runtime, time.monotonic() - began


def run(quick: bool = False) -> list[Figure]:
    seconds = 5.0 if quick else 15.0
    per_client = {1: 10 if quick else 40, 8: 4 if quick else 15}
    template = ensure_template(PROJECT_ROOT / "cdk.out", DEFAULT_STAGE)
    figures: list[Figure] = []
    load_rows: list[list[object]] = []
    with tempfile.TemporaryDirectory(prefix="bench-local-") as tmp:
        state = Path(tmp) / "state"

        # Ready: a first start on an empty state, then a restart on what it left.
        runtime, first_ready = start_runtime(template, state, [])
        runtime.stop()
        runtime, restart_ready = start_runtime(template, state, [])
        memory_ready = rss_kb(runtime.process.pid) if runtime.process else 0
        say(
            f"ready: first start {first_ready:.1f} s, restart {restart_ready:.1f} s "
            f"(load average {os.getloadavg()[0]:.1f})"
        )
        figures.append(
            Figure("local runtime", "make run -> ready (warm install, first start)", f"{first_ready:.1f} s", "< 20 s")
        )
        figures.append(
            Figure("local runtime", "make run -> ready (restart on existing state)", f"{restart_ready:.1f} s", "< 20 s")
        )

        peak_memory = memory_ready
        try:
            for label, extra in (("template window", []), ("window 0", ["--max-batching-window", "0"])):
                if extra:
                    runtime.stop()
                    runtime, _ = start_runtime(template, state, extra)
                outputs = runtime.outputs
                restock(outputs, 1_000_000)
                all_tokens = tokens(outputs)
                for clients in (1, 8):
                    load = throughput(outputs, all_tokens, clients, seconds)
                    # The streams may lag behind a burst: let them drain, so that the latency run
                    # below measures the pipeline, not the backlog this run left.
                    drained = drain(outputs, all_tokens, load)
                    latencies = reservation_latencies(outputs, all_tokens, clients, per_client[clients])
                    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
                    load_rows.append(
                        [
                            label,
                            clients,
                            f"{load.per_second:.1f}",
                            f"{drained:.1f}",
                            len(latencies),
                            f"{p50 * 1000:.0f}",
                            f"{p99 * 1000:.0f}",
                            f"{max(latencies) * 1000:.0f}",
                        ]
                    )
                    figures.append(
                        Figure(
                            "local runtime",
                            f"orders/s over HTTP (create + read back), {clients} client(s), {label}",
                            f"{load.per_second:.1f}",
                        )
                    )
                    figures.append(
                        Figure(
                            "local runtime",
                            f"POST /orders -> reservation visible p50/p99, {clients} client(s), {label}",
                            f"{p50 * 1000:.0f} / {p99 * 1000:.0f} ms",
                            "p99 < 1 s at 8 clients",
                        )
                    )
                    if runtime.process:
                        peak_memory = max(peak_memory, rss_kb(runtime.process.pid))
        finally:
            runtime.stop()

    say(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (other work on the machine)")
    print_table(
        "Local runtime under load (DynamoDB Local, persisted; POST + GET read back; reservation via the streams)",
        [
            "batching",
            "clients",
            "orders/s",
            "backlog drained in s",
            "orders timed",
            "reserved p50 ms",
            "p99 ms",
            "max ms",
        ],
        load_rows,
    )
    say(
        f"resident memory of the whole local system: {memory_ready / 1024:.0f} MB after ready, "
        f"{peak_memory / 1024:.0f} MB peak under load"
    )
    figures.append(
        Figure("local runtime", "resident memory (runtime + JVM), peak under load", f"{peak_memory / 1024:.0f} MB")
    )
    return figures


if __name__ == "__main__":
    for figure in run(parse_quick(__doc__ or "")):
        print(f"{figure.what}: {figure.value} {figure.target}".rstrip())
