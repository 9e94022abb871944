"""`make bench`: run every benchmark, print one summary table, write docs/benchmarks.md.

`python -m bench [--quick]`; each script also runs alone: `python -m bench.<name> [--quick]`.
"""

from __future__ import annotations

import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime

from bench import PROJECT_ROOT
from bench._common import TRANSCRIPT, Figure, markdown_table, parse_quick, print_table, say

REPORT = PROJECT_ROOT / "docs/benchmarks.md"


def _scripts() -> list[tuple[str, Callable[[bool], list[Figure]]]]:
    from bench import (
        cold_start,
        core_overhead,
        lifecycle_blackbox,
        list_scale,
        live_latency,
        local_runtime,
        order_lifecycle,
        requests,
    )

    return [
        ("requests", requests.run),
        ("order_lifecycle", order_lifecycle.run),
        ("lifecycle_blackbox", lifecycle_blackbox.run),
        ("core_overhead", core_overhead.run),
        ("cold_start", cold_start.run),
        ("list_scale", list_scale.run),
        ("local_runtime", local_runtime.run),
        ("live_latency", live_latency.run),
    ]


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> str:
    return (
        f"{os.cpu_count()} CPUs ({cpu_model()}), {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def write_report(figures: list[Figure], quick: bool, started: str, loads: tuple[float, float], seconds: float) -> None:
    rows = [[f.area, f.what, f.value, f.target] for f in figures]
    text = f"""# Benchmarks

Figures printed by `make bench` (`python -m bench{" --quick" if quick else ""}`), written by it on
{started}. Nothing here is asserted by a test: these are measurements, and they move with the
machine. Each script runs alone too: `python -m bench.<name> [--quick]`.

**Machine**: {machine()}. Load average {loads[0]:.1f} at the start and {loads[1]:.1f} at the end
of the run ({seconds:.0f} s): other work shared these 2 CPUs, so timings (p99 above all) are
noisier and slower than on an idle machine; request counts and the checks are exact.

## How each figure is taken

- **requests** (`bench/requests.py`, moto in-process): DynamoDB requests per operation, counted
  twice: a botocore `before-call.dynamodb.*` hook on the core's own client, and a wrapper around
  `BaseClient._make_api_call` that sees every client, including any a library builds for
  itself ("other client").
- **core µs / handler µs** (`bench/core_overhead.py`): the DynamoDB client is a stub answering
  canned items the real code wrote once, so only our code and Powertools' resolver, validation,
  logging and metrics are timed. No idempotency key. Per call wall time, p50 and p99.
- **cold start** (`bench/cold_start.py`): what importing each handler module adds to its floor,
  its third-party imports alone as the handler uses them (boto3; pydantic's models and fields;
  Powertools' Logger/Metrics/Tracer, which loads the X-Ray SDK, and the REST resolver with
  request validation on, or the batch utilities). Each sample is a fresh interpreter
  (`PYTHONPATH=lambdas`, bytecode cached) that loads the floor, then times the handler's import
  alone, in CPU time: median of 9, samples taking turns. For the API also its import over a
  narrower floor (no validation, pydantic's lazy package only) and its first request.
- **lifecycle** (`bench/order_lifecycle.py`, DynamoDB Local): requests and read/write units of
  one 2-line order from creation to delivery, stream Lambdas included, ours / the seed's design
  (see that module's docstring for how the seed's calls are replayed and units computed).
- **lifecycle, black-box** (`bench/lifecycle_blackbox.py`): the same lifecycle over HTTP
  through `python -m local`, its DynamoDB behind a counting proxy: the tables' units as DynamoDB
  Local reports them, except a transaction's, computed from its items by AWS's rules (DynamoDB
  Local reports 2 per table touched, whatever the items); the list indexes' units from the data
  table's stream (`bench/index_cost.py`).
- **GET /orders, sequence** (`bench/list_scale.py`, DynamoDB Local in memory on loopback,
  stopped at the end): the in-process handler over a tenant of 100, 1,000 and 10,000 orders
  loaded with `BatchWriteItem` (clones of an order the API wrote); then 8 clients creating
  orders, each run in a fresh tenant: 8 threads in one process, then 8 spawned processes. Threads
  share Powertools' per-process state (the resolver's `context`, which each request clears at its
  end, and the metric set, off for that phase), so a thread can lose its route or user and get a
  500 before any write: a harness failure, counted and shown; Lambda never runs two requests at
  once in one process. The 8 processes (like 8 execution environments) are the clean check;
  their orders/s runs from the first request to the last, start-up left out.

- **local runtime** (`bench/local_runtime.py`): `python -m local` as a subprocess (DynamoDB
  Local persisting in a temporary state directory, as `make run` does, default `--concurrency`):
  time to its `ready` line (first start, restart); `GET /orders/{{code}}` requests/s at 1 and 8
  clients and their ratio (how far the API's execution environments run at once); orders/s over
  HTTP (POST /orders then GET it back) and the time until an order's reservation is visible, at
  1 and 8 clients; the resident memory of the whole local system (runtime, JVM, zygote, workers)
  sampled every 0.5 s during the loads, as the sum of PSS (a page shared by several processes is
  counted once, split between them: what the system occupies; the sum of RSS, printed for
  reference, counts the workers' shared libraries once per worker).

- **live screens** (`bench/live_latency.py`): `python -m local` as a subprocess; 8 staff screens
  of one tenant on its WebSocket API while 8 writer clients post orders at once; for every
  (order, screen) the time from the POST being sent to the screen's `order.created` and
  `order.stock` (reservation) messages. Every screen must get every message.

## Summary

{markdown_table(["area", "figure", "value", "target"], rows)}

## Full output

```text
{chr(10).join(TRANSCRIPT).strip()}
```
"""
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(text)


def main() -> int:
    quick = parse_quick(__doc__ or "")
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load_start = os.getloadavg()[0]
    clock = time.perf_counter()
    say(f"Benchmarks{' (--quick)' if quick else ''} on {machine()}, load average {load_start:.1f}")
    figures: list[Figure] = []
    failed = []
    for name, run in _scripts():
        say()
        say(f"== bench.{name} ==")
        try:
            figures += run(quick)
        except Exception as error:  # one broken script must not hide the others' figures
            traceback.print_exc()
            failed.append(name)
            figures.append(Figure(name, "FAILED", f"{type(error).__name__}: {error}"[:200]))
    seconds = time.perf_counter() - clock
    loads = (load_start, os.getloadavg()[0])
    summary = [[f.area, f.what, f.value, f.target] for f in figures]
    print_table("Summary", ["area", "figure", "value", "target"], summary)
    write_report(figures, quick, started, loads, seconds)
    say(f"\nWritten to {REPORT.relative_to(PROJECT_ROOT)} ({seconds:.0f} s).")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
