"""Cold-start proxy: what importing each Lambda handler module adds to its third-party floor.

The floor is the handler's third-party imports alone, as the handler uses them:

- boto3;
- pydantic's models and fields (`from pydantic import BaseModel, Field`: `import pydantic` alone is
  a lazy shim in pydantic 2 and loads none of its model machinery);
- Powertools: Logger, Metrics and Tracer, and for the API the REST resolver with request
  validation on (the API requires it; Powertools then loads its OpenAPI validation modules), for
  the stream handlers the batch utilities.

Each sample is a fresh interpreter (`PYTHONPATH=lambdas`, no table settings: importing must not
need them) that loads the floor, then times `import <handler>` alone: the CPU time of the
handler's own code, measured in the process that paid the floor, so the floor's own variation
does not blur it. The figure is the median of 9; the floor's own time is printed beside it.

For the API two more rows: its import over a narrower floor (the resolver without validation,
pydantic's lazy package only), and its first request (a POST /orders that validation refuses, so
no AWS call): request models are built on first use, and that row shows what this moves into
the first request. A `-X importtime` run then names the modules each handler adds.

Target: a handler's import adds at most 50 ms over its floor.

Run: `python -m bench.cold_start [--quick]` (`--quick`: 3 interpreters instead of 9).
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
RUNS = 9
TIMEOUT_S = 120

# Creating the Tracer loads the X-Ray SDK: part of the third-party floor, not of our code.
_OBSERVABILITY = "from aws_lambda_powertools import Logger, Metrics, Tracer; Logger(); Metrics(namespace='b'); Tracer()"
_THIRD_PARTY = "import boto3; from pydantic import BaseModel, Field; "
API_FLOOR = (
    _THIRD_PARTY + "from aws_lambda_powertools.event_handler import APIGatewayRestResolver; "
    "APIGatewayRestResolver(enable_validation=True); " + _OBSERVABILITY
)
STREAM_FLOOR = (
    _THIRD_PARTY
    + "from aws_lambda_powertools.utilities.batch import BatchProcessor, process_partial_response; "
    + _OBSERVABILITY
)
# For comparison only: no request validation, and pydantic's lazy package without its models.
NARROW_API_FLOOR = (
    "import boto3, pydantic; from aws_lambda_powertools.event_handler import APIGatewayRestResolver; " + _OBSERVABILITY
)
# The API's first request: POST /orders with a body that validation refuses (422).
_EVENTS = "from harness.events import FakeLambdaContext, api_event"
FIRST_REQUEST = (
    "answer = handlers.api.handler(api_event('POST', '/orders', {'customerId': 'C'}), FakeLambdaContext()); "
    "assert answer['statusCode'] == 422, answer"
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

# CPU seconds of `code` alone, after `setup` ran in the same interpreter (start-up excluded): CPU
# time is steadier than wall time on a busy machine. The figure is the last line printed (a
# handler may log before it).
_TIMER = "{setup}; import time; c = time.process_time(); {code}; print(time.process_time() - c)"


@dataclass(frozen=True)
class Timed:
    """`code` timed after `setup` (both Python statements)."""

    code: str
    setup: str = "pass"


def _env() -> dict[str, str]:
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    # Bytecode goes to a private cache (warmed by an uncounted first run), not into the work tree.
    env.update({"PYTHONPATH": str(LAMBDAS), "AWS_DEFAULT_REGION": "us-east-1", "PYTHONPYCACHEPREFIX": _PYCACHE})
    return env


_PYCACHE = str(Path(tempfile.gettempdir()) / "bench-cold-start-pycache")


def _sample(timed: Timed) -> float:
    done = subprocess.run(
        [sys.executable, "-c", _TIMER.format(setup=timed.setup, code=timed.code)],
        env=_env(),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"`{timed}` failed: {done.stderr.strip()[-500:]}")
    return float(done.stdout.strip().splitlines()[-1])


def cpu_seconds(measures: list[Timed], runs: int) -> dict[Timed, float]:
    """Median CPU seconds of each measure over `runs` fresh interpreters.

    The measures take turns (round robin), so a change in the machine's load hits them alike; a
    first, uncounted round warms the OS file cache and the bytecode cache.
    """
    samples: dict[Timed, list[float]] = {m: [] for m in measures}
    for round_ in range(runs + 1):
        for measure in measures:
            sample = _sample(measure)
            if round_:
                samples[measure].append(sample)
    return {m: median(got) for m, got in samples.items()}


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
    floors = {s.floor: Timed(s.floor) for s in present}
    added = {s: Timed(f"import {s.module}", setup=s.floor) for s in present}
    api_extra: dict[str, Timed] = {}
    if any(s.module == "handlers.api" for s in present):
        api_extra = {
            "handlers.api over the narrow floor": Timed("import handlers.api", setup=NARROW_API_FLOOR),
            "handlers.api, first request": Timed(FIRST_REQUEST, setup=f"import handlers.api; {_EVENTS}"),
        }
    timings = cpu_seconds([*floors.values(), *added.values(), *api_extra.values()], runs)
    for subject in SUBJECTS:
        if subject not in present:
            rows.append([subject.module, "missing", ""])
            figures.append(Figure("cold start", f"import {subject.module}", "missing", "<= floor + 50 ms"))
            continue
        own, floor = timings[added[subject]], timings[floors[subject.floor]]
        verdict = "ok" if own <= TARGET_S else "over"
        rows.append([subject.module, f"+{ms(own)}", ms(floor), verdict])
        value = f"+{ms(own)} over floor {ms(floor)}"
        figures.append(Figure("cold start", f"import {subject.module} (CPU ms)", value, f"+50 ms: {verdict}"))
        notes.append(f"  {subject.module}: {beyond_floor(subject.module, subject.floor)}")
    for name, measure in api_extra.items():
        rows.append([name, f"+{ms(timings[measure])}", "", ""])
    print_table(
        f"Handler import over its floor, fresh interpreter, CPU ms, median of {runs}"
        f" (load average {load:.1f}, {os.cpu_count()} CPUs)",
        ["module", "added", "floor", "+50 ms"],
        rows,
    )
    if api_extra:
        say("Narrow floor: no request validation, pydantic's lazy package only. First request: a POST /orders")
        say("that validation refuses (no AWS call), after the import: its own model is built on that first use.")
    if notes:
        say("Beyond the floor, self import time by package (ms, one -X importtime run):")
        for note in notes:
            say(note)
    return figures


def main() -> None:
    run(parse_quick(__doc__ or ""))


if __name__ == "__main__":
    main()
