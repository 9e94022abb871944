"""The local runtime's figures: time to `ready`, resident memory, orders/s and reservation latency.

Runs `python -m local` as a subprocess (DynamoDB Local persisting in a temporary state directory,
as `make run` does, free ports), with the template already synthesized (a warm install), and:

- **ready**: from spawning the process to its `ready` line (first start on an empty state, and
  a restart on the state the first run left);
- **memory**: the resident memory of the whole local system (the runtime's Python process with
  moto, the DynamoDB Local JVM, the zygote and every worker process), sampled every 0.5 s during
  the loads below, as the sum of each process's PSS: a page shared by several processes (the
  libraries and preloaded objects the workers share copy-on-write with the zygote) is counted
  once, split between them, so the sum is the memory the system occupies. That is the headline
  figure. The sum of RSS is printed beside it for reference only: it counts a shared page once
  per process that maps it (eight workers sharing 40 MB of libraries add 320 MB), so it
  overstates what the system holds;
- **GET /orders/{code}**: N clients reading one existing order each in a closed loop (req/s),
  at 1 and 8 clients, and the ratio 8/1 (how much the API's execution environments run at once);
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
from collections.abc import Callable
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


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (from /proc): the runtime, the JVM, the zygote, the workers."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    for _ in range(10_000):
        if not todo:
            break
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def _field_kb(path: Path, name: str) -> int:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(name):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of the whole process tree in KB. RSS counts a page shared by several processes
    (the workers share the zygote's libraries copy-on-write) once per process; PSS splits it
    between them, so PSS is what the tree really occupies."""
    tree = process_tree(pid)
    rss = sum(_field_kb(Path(f"/proc/{p}/status"), "VmRSS:") for p in tree)
    pss = sum(_field_kb(Path(f"/proc/{p}/smaps_rollup"), "Pss:") for p in tree)
    return rss, pss


class MemorySampler:
    """Samples the tree's memory every 0.5 s while a load runs; keeps the peaks."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_rss = self.peak_pss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        for _ in range(100_000):  # bounded; stopped with the load
            rss, pss = memory_kb(self.pid)
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)
            if self._stop.wait(0.5):
                return

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


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


def closed_loops(clients: int, seconds: float, step: Callable[[int, int], str | None], what: str) -> float:
    """Run `clients` threads, all started together, each calling `step(client, n)` for n = 0, 1,
    ... until `seconds` have passed; a step returns an error text to stop the run. Elapsed seconds."""
    errors: list[str] = []
    start = threading.Barrier(clients + 1)
    deadline: list[float] = [0.0]

    def client(index: int) -> None:
        start.wait()
        for n in range(1_000_000):  # bounded by the deadline
            if time.monotonic() >= deadline[0]:
                break
            error = step(index, n)
            if error:
                errors.append(error)
                break

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
        raise RuntimeError(f"{what} run failed: {errors[:3]}")
    return elapsed


def throughput(outputs: dict[str, Any], all_tokens: list[str], clients: int, seconds: float) -> Load:
    """Orders created and read back per second, `clients` closed loops for `seconds`."""
    done = [0] * clients
    last: list[str] = [""] * clients
    apis = [Api(outputs["ApiUrl"], all_tokens[i % len(all_tokens)]) for i in range(clients)]

    def step(index: int, n: int) -> str | None:
        api = apis[index]
        status, body = api.post("/orders", order_body((PRODUCTS[(index + n) % len(PRODUCTS)], 1)))
        if status != 201:
            return f"POST {status} {body}"
        status, read = api.get(f"/orders/{body['code']}")
        if status != 200:
            return f"GET {status} {read}"
        done[index] += 1
        last[index] = body["code"]
        return None

    try:
        elapsed = closed_loops(clients, seconds, step, "throughput")
    finally:
        for api in apis:
            api.close()
    return Load(clients, sum(done), elapsed, [code for code in last if code])


def reads(outputs: dict[str, Any], all_tokens: list[str], codes: list[str], clients: int, seconds: float) -> float:
    """GET /orders/{code} per second: `clients` closed loops for `seconds`, each reading an order
    of its own tenant (`codes[i]` was created with `all_tokens[i]`)."""
    done = [0] * clients
    apis = [Api(outputs["ApiUrl"], all_tokens[i % len(codes)]) for i in range(clients)]

    def step(index: int, _: int) -> str | None:
        code = codes[index % len(codes)]
        status, body = apis[index].get(f"/orders/{code}")
        if status != 200:
            return f"GET {status} {body}"
        done[index] += 1
        return None

    try:
        elapsed = closed_loops(clients, seconds, step, "read")
    finally:
        for api in apis:
            api.close()
    return sum(done) / elapsed if elapsed else 0.0


def one_order_per_token(outputs: dict[str, Any], all_tokens: list[str]) -> list[str]:
    codes = []
    for token in all_tokens:
        api = Api(outputs["ApiUrl"], token)
        try:
            status, body = api.post("/orders", order_body((PRODUCTS[0], 1)))
            assert status == 201, body
            codes.append(body["code"])
        finally:
            api.close()
    return codes


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


def checkpoint_times(state: Path) -> list[tuple[str, int]]:
    times = []
    for path in (state / "checkpoints").glob("*.json"):
        try:
            times.append((path.name, path.stat().st_mtime_ns))
        except OSError:  # replaced between the listing and the stat: it changed
            times.append((path.name, -1))
    return sorted(times)


def settle_streams(state: Path, quiet_s: float = 1.0, timeout: float = 120.0) -> float:
    """Seconds until no stream poller has finished a batch for `quiet_s` (each finished batch
    rewrites its mapping's checkpoint in `<state>/checkpoints/`): the projector and the live
    pusher may still work through a burst after every order is reserved, and that work would
    compete with the next run."""
    began = time.monotonic()
    last_change, last_seen = began, None
    while time.monotonic() - began < timeout:
        seen = checkpoint_times(state)
        if seen != last_seen:
            last_change, last_seen = time.monotonic(), seen
        elif time.monotonic() - last_change >= quiet_s:
            break
        time.sleep(0.1)
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
        memory_ready = memory_kb(runtime.process.pid) if runtime.process else (0, 0)
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

        peak_rss, peak_pss = memory_ready
        read_rates: dict[int, float] = {}
        order_rates: dict[int, float] = {}
        try:
            for label, extra in (("template window", []), ("window 0", ["--max-batching-window", "0"])):
                if extra:
                    runtime.stop()
                    runtime, _ = start_runtime(template, state, extra)
                outputs = runtime.outputs
                restock(outputs, 1_000_000)
                all_tokens = tokens(outputs)
                if not extra:
                    codes = one_order_per_token(outputs, all_tokens)
                    for clients in (1, 8):
                        read_rates[clients] = reads(outputs, all_tokens, codes, clients, seconds)
                        say(f"GET /orders/{{code}}, {clients} client(s): {read_rates[clients]:.1f} req/s")
                for clients in (1, 8):
                    assert runtime.process is not None
                    with MemorySampler(runtime.process.pid) as sampler:
                        load = throughput(outputs, all_tokens, clients, seconds)
                    peak_rss, peak_pss = max(peak_rss, sampler.peak_rss), max(peak_pss, sampler.peak_pss)
                    if not extra:
                        order_rates[clients] = load.per_second
                    # The streams may lag behind a burst: let them drain (every order reserved, then
                    # no poller busy), so that the latency run below measures the pipeline, not the
                    # backlog this run left.
                    drained = drain(outputs, all_tokens, load)
                    drained += settle_streams(state)
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
        f"resident memory of the whole local system (runtime, JVM, zygote, workers; sum of PSS): "
        f"{peak_pss / 1024:.0f} MB peak under load, {memory_ready[1] / 1024:.0f} MB after ready "
        f"(for reference, summed RSS, which counts each shared page once per process: "
        f"{peak_rss / 1024:.0f} MB and {memory_ready[0] / 1024:.0f} MB)"
    )
    read_ratio = read_rates[8] / read_rates[1] if read_rates.get(1) else 0.0
    order_ratio = order_rates[8] / order_rates[1] if order_rates.get(1) else 0.0
    say(
        f"8 clients / 1 client: GET /orders/{{code}} {read_ratio:.2f}x, orders {order_ratio:.2f}x "
        f"(on {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})"
    )
    figures += [
        Figure("local runtime", "GET /orders/{code} req/s, 1 client", f"{read_rates[1]:.1f}"),
        Figure("local runtime", "GET /orders/{code} req/s, 8 clients", f"{read_rates[8]:.1f}"),
        Figure("local runtime", "GET /orders/{code} req/s, 8 clients / 1 client", f"{read_ratio:.2f}x", ">= 1.6x"),
        Figure("local runtime", "orders/s, 8 clients / 1 client (template window)", f"{order_ratio:.2f}x"),
        Figure(
            "local runtime",
            "resident memory of the whole local system, peak under load (sum of PSS)",
            f"{peak_pss / 1024:.0f} MB",
            "<= 600 MB",
        ),
    ]
    return figures


if __name__ == "__main__":
    for figure in run(parse_quick(__doc__ or "")):
        print(f"{figure.what}: {figure.value} {figure.target}".rstrip())
