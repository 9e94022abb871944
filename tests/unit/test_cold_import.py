"""What importing a handler loads: the cold start must not pay for what only some requests use.

`bench.cold_start` measures the time; this keeps the deferrals from silently coming back.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

LAMBDAS = Path(__file__).resolve().parents[2] / "lambdas"

# Each is imported on the first request that needs it, never by the handler's import.
DEFERRED_FROM_API = [
    "aws_lambda_powertools.event_handler.openapi.models",  # the OpenAPI document: /openapi.json, /swagger
    "aws_lambda_powertools.event_handler.openapi.swagger_ui",
    "shop.stock",  # the data-sync function's
    "shop.notifications",
    "shop.order_sync",
]


def run_fresh(code: str) -> Any:
    """What `code` prints as JSON, run in a fresh interpreter with the Lambda's import path."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(LAMBDAS), "AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def modules_after_import(module: str) -> set[str]:
    return set(run_fresh(f"import json, sys, {module}; print(json.dumps(sorted(sys.modules)))"))


@pytest.fixture(scope="module")
def api_modules() -> set[str]:
    return modules_after_import("handlers.api")


@pytest.mark.parametrize("module", DEFERRED_FROM_API)
def test_the_api_handler_import_leaves_it_for_the_request_that_needs_it(api_modules: set[str], module: str) -> None:
    assert "handlers.api" in api_modules
    assert module not in api_modules


def test_no_request_or_response_model_is_built_by_the_import() -> None:
    # Each validator is built on its route's first request; response models only for the document.
    built = run_fresh(
        "import json, handlers.api, handlers.schemas, shop.models; from pydantic import BaseModel; "
        "print(json.dumps({name: model.__pydantic_complete__ for module in (shop.models, handlers.schemas) "
        "for name, model in vars(module).items() "
        "if isinstance(model, type) and issubclass(model, BaseModel) and model.__module__ == module.__name__}))"
    )
    assert {"CreateOrderRequest", "UpdateInventoryRequest", "OrderOut", "ProductPage"} <= set(built)
    assert [name for name, complete in built.items() if complete] == []
