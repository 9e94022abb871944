"""One local runtime for the whole proof suite, clients that record every request, and the summary.

The runtime runs in memory on free loopback ports (see tests/e2e/runtime_process.py). Tests that
must count what is written use tenants of their own (users added to the local pool), so that
nothing else in the session writes there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from client.users import UserAdmin
from tests.e2e.conftest import session_template
from tests.e2e.runtime_process import RuntimeProcess, login, token_for
from tests.proof.ledger import LEDGER, RecordingApi

DEMO_TENANTS = ("shop-a", "shop-b")
PASSWORD = "Proof-Suite-Pass1!"  # noqa: S105 - a local pool's test user


@pytest.fixture(scope="session")
def proof_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RuntimeProcess]:
    runtime = RuntimeProcess(
        state_dir=tmp_path_factory.mktemp("proof-state"),
        template=session_template(tmp_path_factory),
        extra_args=["--in-memory"],
    )
    runtime.start()
    try:
        yield runtime
    finally:
        runtime.stop()


@pytest.fixture(scope="session")
def proof_outputs(proof_runtime: RuntimeProcess) -> dict[str, Any]:
    return proof_runtime.outputs


def _local_client(outputs: dict[str, Any], service: str, endpoint: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=outputs["Region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - the local emulators take any key
    )


@pytest.fixture(scope="session")
def dynamodb(proof_outputs: dict[str, Any]) -> Any:
    """boto3 on the runtime's DynamoDB Local (to read what the API cannot show: history, sequences)."""
    return _local_client(proof_outputs, "dynamodb", proof_outputs["DynamoDbEndpointUrl"])


@pytest.fixture(scope="session")
def api_as(proof_outputs: dict[str, Any]) -> Iterator[Callable[[str, str], RecordingApi]]:
    """`api_as(tenant, role)`: a logged-in, recording client; a tenant other than the demo's gets its
    users created in the local pool on first use."""
    clients: dict[tuple[str, str], RecordingApi] = {}
    admin = UserAdmin(
        _local_client(proof_outputs, "cognito-idp", proof_outputs["AwsEndpointUrl"]), proof_outputs["UserPoolId"]
    )

    def get(tenant: str, role: str = "admin") -> RecordingApi:
        if (tenant, role) not in clients:
            if tenant in DEMO_TENANTS:
                token = token_for(proof_outputs, tenant, role)
            else:
                email = f"{role}@{tenant}.proof.example.com"
                admin.add_user(email, tenant, role, PASSWORD)
                token = login(proof_outputs, email, PASSWORD)
            clients[(tenant, role)] = RecordingApi(proof_outputs["ApiUrl"], token, tenant)
        return clients[(tenant, role)]

    yield get
    for client in clients.values():
        client.close()


@pytest.fixture(scope="session")
def admin_a(api_as: Callable[[str, str], RecordingApi]) -> RecordingApi:
    return api_as("shop-a", "admin")


@pytest.fixture(scope="session")
def admin_b(api_as: Callable[[str, str], RecordingApi]) -> RecordingApi:
    return api_as("shop-b", "admin")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if LEDGER.requests:
        terminalreporter.write_line(LEDGER.summary())
        for line in LEDGER.server_errors[:20]:
            terminalreporter.write_line(f"proof: 5xx {line}")
