"""The post-deploy smoke test (`python -m client.smoke`) against the local runtime, as a pipeline
runs it after `cdk deploy`: a subprocess reading the outputs file, the password from the
environment, JSON on stdout, the exit code for the pipeline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from client.api import ShopApi
from client.cli import main as client_main
from harness.runtime_process import PROJECT_ROOT, RuntimeProcess

pytestmark = pytest.mark.e2e

TENANT = "smoke-e2e"
USER = "smoke@smoke-e2e.example.com"
PASSWORD = "Smoke-Test-Pass1!"
SUBPROCESS_TIMEOUT_S = 120
STEPS = ["log in", "catalogue", "create order", "read it back", "stock reserved", "cancel it", "stock released"]


@pytest.fixture(scope="module")
def outputs_path(local_runtime: RuntimeProcess, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Given the smoke tenant's admin, created by an operator with the client."""
    path = local_runtime.state_dir / "outputs.json"
    cache = tmp_path_factory.mktemp("operator-cache")
    common = ["--outputs", str(path), "--cache-dir", str(cache)]
    # Registering a tenant goes through the API as an operator (the demo's system_admin)
    assert client_main([*common, "login", "--username", "operator@example.com", "--password", "Operator-Pass1!"]) == 0
    argv = [*common, "tenant", "create", TENANT]
    assert client_main([*argv, "--admin-email", USER, "--password", PASSWORD]) == 0
    return path


def smoke(outputs: Path, cache: Path, password: str) -> tuple[int, Any, str]:
    env = {**os.environ, "SMOKE_PASSWORD": password}
    done = subprocess.run(
        [sys.executable, "-m", "client.smoke", "--outputs", str(outputs), "--cache-dir", str(cache)]
        + ["--username", USER, "--wait", "30"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_S,
    )
    return done.returncode, json.loads(done.stdout) if done.stdout else None, done.stderr


def test_smoke_passes_twice_and_leaves_the_stock_as_it_found_it(outputs_path: Path, tmp_path: Path) -> None:
    code, first, err = smoke(outputs_path, tmp_path, PASSWORD)

    assert code == 0, (first, err)
    assert first["passed"] is True
    assert [step["name"] for step in first["steps"]] == STEPS
    assert all(step["ok"] for step in first["steps"])
    assert first["steps"][0]["detail"] == "tenant smoke-e2e"
    assert first["steps"][1]["detail"] == "product created, stock set"
    assert first["steps"][3]["detail"].endswith("total 1.10")

    code, second, err = smoke(outputs_path, tmp_path, PASSWORD)

    assert code == 0, (second, err)
    assert second["steps"][1]["detail"] == "product exists, stock skipped"
    first_order = first["steps"][2]["detail"].split()[0]
    second_order = second["steps"][2]["detail"].split()[0]
    assert (first_order, second_order) == ("ORD-000001", "ORD-000002")
    api = ShopApi.from_outputs(outputs_path, cache_dir=tmp_path / "check")
    api.login(USER, PASSWORD)
    stock = api.get_inventory("PRD-SMOKE")
    assert (stock["attributes"]["quantity"], stock["attributes"]["reservedQuantity"]) == (1000, 0)


def test_smoke_fails_with_exit_1_at_the_first_step_that_fails(outputs_path: Path, tmp_path: Path) -> None:
    code, report, _ = smoke(outputs_path, tmp_path, "Not-The-Password-1!")

    assert code == 1
    assert report["passed"] is False
    assert [(step["name"], step["ok"]) for step in report["steps"]] == [("log in", False)]


def test_smoke_without_a_password_is_a_usage_error(outputs_path: Path, tmp_path: Path) -> None:
    code, report, err = smoke(outputs_path, tmp_path, "")

    assert (code, report) == (2, None)
    assert "SMOKE_PASSWORD" in err
