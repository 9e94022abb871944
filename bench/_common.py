"""What the benchmark scripts share: tables of figures, percentiles, the environment, API calls."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import statistics
import sys
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import bench  # noqa: F401 - puts lambdas/ on sys.path before the imports below
from cqrs.settings import Tables

REGION = "us-east-1"

# Tracing needs an X-Ray daemon, which a bench run has not; metrics stay on (their EMF lines are
# printed to a silenced stdout, see `quiet`), as deployed.
BASE_ENV = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_SERVICE_NAME": "bench",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "CORS_ALLOW_ORIGINS": "*",  # what the stack gives the API by default
}

warnings.filterwarnings("ignore", message="No application metrics to publish")
warnings.filterwarnings("ignore", category=DeprecationWarning, module="botocore.*")


@dataclass(frozen=True)
class Figure:
    """One line of the final summary."""

    area: str
    what: str
    value: str
    target: str = ""


def parse_quick(description: str) -> bool:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="smaller counts (a quick look, noisier figures)")
    return bool(parser.parse_args().quick)


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (p50 is the median's lower neighbour on even counts)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


# Every table and note printed, for docs/benchmarks.md (`python -m bench` writes it).
TRANSCRIPT: list[str] = []


def say(text: str = "") -> None:
    """Print a line of figures (and keep it for the report)."""
    print(text)
    TRANSCRIPT.append(text)
    sys.stdout.flush()


_NUMERIC = re.compile(r"[<>=~+\-\d.,%x ]*(ms|µs|s)?")


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    # Figures are right-aligned; a column holding any words is left-aligned.
    left = [i == 0 or any(not _NUMERIC.fullmatch(row[i]) for row in cells[1:]) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        cols = enumerate(zip(row, widths, strict=True))
        return "  ".join(c.ljust(w) if left[i] else c.rjust(w) for i, (c, w) in cols)

    say()
    say(title)
    say(line(cells[0]).rstrip())
    say("  ".join("-" * w for w in widths))
    for row in cells[1:]:
        say(line(row).rstrip())


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


@contextlib.contextmanager
def environment(values: Mapping[str, str], remove: Sequence[str] = ()) -> Iterator[None]:
    """Set (and remove) environment variables for the block, then restore them."""
    saved = {k: os.environ.get(k) for k in [*values, *remove]}
    os.environ.update(values)
    for key in remove:
        os.environ.pop(key, None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def table_env(tables: Tables, idempotency_table: str) -> dict[str, str]:
    return {
        "COMMAND_TABLE_NAME": tables.command,
        "DATA_TABLE_NAME": tables.data,
        "HISTORY_TABLE_NAME": tables.history,
        "SEQUENCES_TABLE_NAME": tables.sequences,
        "IDEMPOTENCY_TABLE_NAME": idempotency_table,
        "NOTIFICATION_TOPIC_ARN": f"arn:aws:sns:{REGION}:123456789012:bench-notifications",
    }


def reset_wiring() -> None:
    """Forget cached clients, settings and services (after the environment changed)."""
    from handlers import idempotency
    from shop import wiring

    wiring.reset()
    idempotency.reset()


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence file descriptor 1 (Powertools' metric and log lines) for the block."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "wb") as devnull:
        os.dup2(devnull.fileno(), 1)
        try:
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)


@dataclass
class ApiResult:
    status: int
    body: Any


def call_api(method: str, path: str, body: Any = None, **kwargs: Any) -> ApiResult:
    """Invoke the API Lambda's handler in-process with a REST proxy event."""
    from handlers.api import handler
    from harness.events import FakeLambdaContext, api_event

    response = handler(api_event(method, path, body, **kwargs), FakeLambdaContext())
    text = response.get("body") or ""
    return ApiResult(int(response["statusCode"]), json.loads(text, parse_float=Decimal) if text else None)


def seed_catalogue(tenant: str) -> None:
    """The small catalogue of `harness.seed` in `tenant`, with the project's catalogue seeder,
    through the API handler in-process."""
    from client.seed import CallApi
    from client.seed import seed_catalogue as seed_rows
    from harness.seed import CATALOGUE

    def send(method: str, path: str, body: Any) -> tuple[int, Any]:
        result = call_api(method, path, body, tenant=tenant)
        return result.status, result.body

    failed = [result for result in seed_rows(CallApi(send), [dict(row) for row in CATALOGUE]) if not result.ok]
    if failed:
        raise RuntimeError(f"seeding {tenant} failed: {[(result.code, result.error) for result in failed]}")


def us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f}"


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.1f}"
