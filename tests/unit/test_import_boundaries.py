"""Which top-level packages may import which: tools and shared helpers never reach into the tests.

`bench/` (benchmark scripts) and `harness/` (what tests and benches drive the system with) are used
without the test tree; `lambdas/` is the Lambda asset and ships alone. Imports inside functions
count too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FORBIDDEN = {
    "bench": {"tests"},
    "harness": {"tests", "bench"},
    "lambdas": {"tests", "bench", "harness", "infra", "local", "client"},
}


def imported_packages(source: str) -> set[str]:
    """The top-level package of every module `source` imports (absolute imports only)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_never_imports_what_it_must_not_depend_on(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ holds Python files"

    crossings = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path.read_text(encoding="utf-8")) & FORBIDDEN[package])
        for path in files
    }

    assert {path: names for path, names in crossings.items() if names} == {}


def test_lazy_and_aliased_imports_are_seen() -> None:
    source = "import os\nimport tests.e2e as e\n\ndef f():\n    from bench._common import say\n    from . import x\n"

    assert imported_packages(source) == {"os", "tests", "bench"}
