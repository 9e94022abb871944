"""Fixtures for the local runtime's tests: a synthesized template, the runtime as a subprocess."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.runtime_process import Api, RuntimeProcess, token_for
from infra.names import DEFAULT_STAGE
from local.template import synthesize

_TEMPLATES: dict[Path, Path] = {}


def session_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The stack synthesized once per session into a private directory (never the shared cdk.out);
    shared with tests/proof, which imports this (a synthesis costs 8-40 s here)."""
    base = tmp_path_factory.getbasetemp()
    if base not in _TEMPLATES:
        _TEMPLATES[base] = synthesize(tmp_path_factory.mktemp("cdk-out"), DEFAULT_STAGE)
    return _TEMPLATES[base]


@pytest.fixture(scope="session")
def stack_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return session_template(tmp_path_factory)


@pytest.fixture(scope="session")
def local_runtime(stack_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RuntimeProcess]:
    """The whole local system on DynamoDB Local, shared by the read-only e2e tests. Its state is
    kept in a temporary directory (not --in-memory) so that tests can read the user pool's
    signing key there and make tokens that are valid in every respect but one."""
    runtime = RuntimeProcess(state_dir=tmp_path_factory.mktemp("state"), template=stack_template)
    runtime.start()
    try:
        yield runtime
    finally:
        runtime.stop()


@pytest.fixture(scope="session")
def outputs(local_runtime: RuntimeProcess) -> dict[str, Any]:
    return local_runtime.outputs


# One keep-alive client per module for each demo user the tests act as (the demo's users:
# `outputs["DemoUsers"]`).
def _signed_in(outputs: dict[str, Any], tenant: str, role: str) -> Iterator[Api]:
    api = Api(outputs["ApiUrl"], token_for(outputs, tenant, role))
    yield api
    api.close()


@pytest.fixture(scope="module")
def operator(outputs: dict[str, Any]) -> Iterator[Api]:
    yield from _signed_in(outputs, "common", "system_admin")


@pytest.fixture(scope="module")
def admin_a(outputs: dict[str, Any]) -> Iterator[Api]:
    yield from _signed_in(outputs, "shop-a", "admin")


@pytest.fixture(scope="module")
def staff_a(outputs: dict[str, Any]) -> Iterator[Api]:
    yield from _signed_in(outputs, "shop-a", "staff")


@pytest.fixture(scope="module")
def admin_b(outputs: dict[str, Any]) -> Iterator[Api]:
    yield from _signed_in(outputs, "shop-b", "admin")
