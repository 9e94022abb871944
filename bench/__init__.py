"""Benchmark scripts that print figures (never timed tests).

Each module runs alone (`python -m bench.<name> [--quick]`); `python -m bench` runs them all,
prints one summary table and writes `docs/benchmarks.md`.
"""

from __future__ import annotations

import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LAMBDAS = PROJECT_ROOT / "lambdas"

# The Lambda asset root is on the path in Lambda and in pytest (pyproject); do the same here.
for _path in (str(LAMBDAS), str(PROJECT_ROOT)):
    if _path not in sys.path:
        sys.path.insert(0, _path)
