"""Start-up errors of the local runtime: a template it cannot run stops the start, with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.runtime_process import RuntimeProcess

pytestmark = pytest.mark.e2e

START_TIMEOUT_S = 120.0


def test_a_handler_string_that_does_not_import_is_a_start_up_error(stack_template: Path, tmp_path: Path) -> None:
    # Given the stack's template with the API function's handler renamed to a module that does not exist
    template = json.loads(stack_template.read_text())
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    api = next(r for r in functions if r["Properties"].get("Handler") == "handlers.api.handler")
    api["Properties"]["Handler"] = "handlers.no_such_module.handler"
    broken = tmp_path / "CqrsShop-dev.template.json"
    broken.write_text(json.dumps(template))

    # When the runtime starts on it (no demo: nothing would invoke the API during the start)
    runtime = RuntimeProcess(state_dir=tmp_path / "state", template=broken, extra_args=["--in-memory", "--no-demo"])
    try:
        with pytest.raises(AssertionError, match="did not get ready") as failed:
            runtime.start(timeout=START_TIMEOUT_S)
    finally:
        runtime.stop()

    # Then it stops with an error that names the handler, and writes no outputs
    log = str(failed.value)
    assert "failed: HandlerImportError" in log
    assert "handlers.no_such_module.handler does not import" in log
    assert not (tmp_path / "state" / "outputs.json").exists()
