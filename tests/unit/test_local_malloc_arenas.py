"""The local system's processes run with two glibc malloc arenas unless the user chose otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Caps this process, then reports what a child process it starts sees.
PROBE = (
    "import os, subprocess, sys\n"
    "from local import malloc_arenas\n"
    "capped = malloc_arenas.limit()\n"
    "child = subprocess.run([sys.executable, '-c', 'import os; print(os.environ.get(\"MALLOC_ARENA_MAX\"))'],"
    " capture_output=True, text=True, check=True).stdout.strip()\n"
    "print(capped, child)\n"
)


def run_probe(environment: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_runtime_and_the_processes_it_starts_get_two_arenas() -> None:
    environment = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    assert run_probe(environment) == "True 2"


def test_a_value_the_user_set_wins() -> None:
    environment = {**os.environ, "MALLOC_ARENA_MAX": "5"}
    assert run_probe(environment) == "False 5"
