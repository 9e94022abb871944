"""Cold-start proxy: import time of each Lambda handler module in a fresh interpreter, vs the floor.

The floor is the handler's third-party imports alone (boto3, Powertools' event handler or batch
utilities, pydantic, Logger/Metrics/Tracer). Each figure is the median of 5 fresh interpreters
(`PYTHONPATH=lambdas`, no table settings: importing must not need them), timing only the import.
A `-X importtime` run then names the modules the handler adds beyond its floor.

Target: a handler's import adds at most 50 ms over its floor.

Run: `python -m bench.cold_start [--quick]` (`--quick`: 3 interpreters instead of 5).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from bench import LAMBDAS, PROJECT_ROOT
from bench._common import Figure, median, ms, parse_quick, print_table, say

TARGET_S = 0.050
RUNS = 5
TIMEOUT_S = 120

# Creating the Tracer loads the X-Ray SDK: part of the third-party floor, not of our code.
_OBSERVABILITY = "from aws_lambda_powertools import Logger, Metrics, Tracer; Logger(); Metrics(namespace='b'); Tracer()"
API_FLOOR = (
    "import boto3, pydantic; from aws_lambda_powertools.event_handler import APIGatewayRestResolver; " + _OBSERVABILITY
)
STREAM_FLOOR = (
    "import boto3, pydantic; "
    "from aws_lambda_powertools.utilities.batch import BatchProcessor, process_partial_response; " + _OBSERVABILITY
)


@dataclass(frozen=True)
class Subject:
    module: str
    floor: str


SUBJECTS = [
    Subject("handlers.api", API_FLOOR),
    Subject("handlers.projector", STREAM_FLOOR),
    Subject("handlers.data_sync", STREAM_FLOOR),
]

# Wall and CPU seconds of the import alone (interpreter start-up excluded). On a busy machine the
# CPU time is the steadier figure; both are printed.
_TIMER = (
    "import time; w, c = time.perf_counter(), time.process_time(); {code}; "
    "print(time.perf_counter() - w, time.process_time() - c)"
)
# The handler's own choice on top of the floor: request validation loads Powertools' OpenAPI models.
API_FLOOR_VALIDATION = API_FLOOR + "; APIGatewayRestResolver(enable_validation=True)"


def _env() -> dict[str, str]:
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    # Bytecode goes to a private cache (warmed by an uncounted first run), not into the work tree.
    env.update({"PYTHONPATH": str(LAMBDAS), "AWS_DEFAULT_REGION": "us-east-1", "PYTHONPYCACHEPREFIX": _PYCACHE})
    return env


_PYCACHE = str(Path(tempfile.gettempdir()) / "bench-cold-start-pycache")


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float


def _sample(code: str) -> tuple[float, float]:
    done = subprocess.run(
        [sys.executable, "-c", _TIMER.format(code=code)],
        env=_env(),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"`{code}` failed: {done.stderr.strip()[-500:]}")
    wall, cpu = done.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def import_seconds(codes: list[str], runs: int) -> dict[str, Timing]:
    """Median wall and CPU seconds spent in each of `codes` over `runs` fresh interpreters.

    The codes take turns (round robin), so a change in the machine's load hits them alike; a
    first, uncounted round warms the OS file cache and the bytecode cache.
    """
    samples: dict[str, list[tuple[float, float]]] = {code: [] for code in codes}
    for round_ in range(runs + 1):
        for code in codes:
            sample = _sample(code)
            if round_:
                samples[code].append(sample)
    return {code: Timing(median([w for w, _ in got]), median([c for _, c in got])) for code, got in samples.items()}


_IMPORTTIME = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


def self_times(code: str) -> dict[str, int]:
    """Module -> self import time (µs) from one `-X importtime` run."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        env=_env(),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    out: dict[str, int] = {}
    for line in done.stderr.splitlines():
        match = _IMPORTTIME.match(line)
        if match:
            out[match.group(4)] = int(match.group(1))
    return out


def beyond_floor(module: str, floor: str, top: int = 6) -> str:
    """The packages (by self import time) the handler imports that its floor does not."""
    handler = self_times(f"import {module}")
    base = self_times(floor)
    groups: dict[str, int] = defaultdict(int)
    for name, micros in handler.items():
        if name in base:
            continue
        parts = name.split(".")
        group = parts[0] if parts[0] in {"cqrs", "shop", "handlers"} else ".".join(parts[:3])
        groups[group] += micros
    ranked = sorted(groups.items(), key=lambda kv: -kv[1])[:top]
    return ", ".join(f"{name} {micros / 1000:.1f}" for name, micros in ranked)


def run(quick: bool = False) -> list[Figure]:
    runs = 3 if quick else RUNS
    rows: list[list[object]] = []
    figures: list[Figure] = []
    notes: list[str] = []
    load = os.getloadavg()[0]
    present = [s for s in SUBJECTS if (LAMBDAS / (s.module.replace(".", "/") + ".py")).exists()]
    codes = list(
        dict.fromkeys([API_FLOOR_VALIDATION, *(s.floor for s in present), *(f"import {s.module}" for s in present)])
    )
    timings = import_seconds(codes, runs)
    for subject in SUBJECTS:
        if subject not in present:
            rows.append([subject.module, "missing", "", "", "", "", "", ""])
            figures.append(Figure("cold start", f"import {subject.module}", "missing", "<= floor + 50 ms"))
            continue
        floor = timings[subject.floor]
        total = timings[f"import {subject.module}"]
        added_wall, added_cpu = total.wall - floor.wall, total.cpu - floor.cpu
        verdict = "ok" if added_cpu <= TARGET_S else "over"
        wall = [ms(total.wall), ms(floor.wall), ms(added_wall)]
        rows.append([subject.module, *wall, ms(total.cpu), ms(floor.cpu), ms(added_cpu), verdict])
        figures.append(
            Figure(
                "cold start",
                f"import {subject.module} (CPU ms)",
                f"{ms(total.cpu)} (floor {ms(floor.cpu)}, {'+' if added_cpu >= 0 else ''}{ms(added_cpu)})",
                f"+50 ms: {verdict}",
            )
        )
        notes.append(f"  {subject.module}: {beyond_floor(subject.module, subject.floor)}")
    with_validation = timings[API_FLOOR_VALIDATION]
    rows.append(["(API floor + validation on)", ms(with_validation.wall), "", "", ms(with_validation.cpu), "", "", ""])
    print_table(
        f"Handler import, fresh interpreter, median of {runs} (ms; load average {load:.1f}, {os.cpu_count()} CPUs)",
        ["module", "wall", "floor", "added", "CPU", "CPU floor", "CPU added", "+50 ms (CPU)"],
        rows,
    )
    if notes:
        say("Beyond the floor, self import time by package (ms, one -X importtime run):")
        for note in notes:
            say(note)
    return figures


def main() -> None:
    run(parse_quick(__doc__ or ""))


if __name__ == "__main__":
    main()
