"""One local runtime for the whole proof suite, clients that record every request, and the summary.

When the session ends (each xdist worker's session, with its own runtime), the `ledger` fixture's
finalizer reads back every order the suite saw accepted and fails the run if one is lost or any
request got a 5xx: a check that does not depend on test file order.

The runtime runs in memory on free loopback ports (see harness/runtime_process.py). Tests that
must count what is written use tenants of their own (users added to the local pool), so that
nothing else in the session writes there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from client.users import UserAdmin
from harness.runtime_process import RuntimeProcess, login, token_for
from tests.e2e.conftest import session_template
from tests.proof.ledger import Ledger, RecordingApi, lost_orders

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


LEDGER_KEY = pytest.StashKey[Ledger]()


@pytest.fixture(scope="session")
def recorded(request: pytest.FixtureRequest) -> Ledger:
    """This session's ledger (kept on the config too, for the terminal summary)."""
    ledger = Ledger()
    request.config.stash[LEDGER_KEY] = ledger
    return ledger


@pytest.fixture(scope="session")
def api_as(proof_outputs: dict[str, Any], recorded: Ledger) -> Iterator[Callable[[str, str], RecordingApi]]:
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
            clients[(tenant, role)] = RecordingApi(proof_outputs["ApiUrl"], token, tenant, recorded)
        return clients[(tenant, role)]

    yield get
    for client in clients.values():
        client.close()


@pytest.fixture(scope="session", autouse=True)
def ledger(recorded: Ledger, api_as: Callable[[str, str], RecordingApi]) -> Iterator[Ledger]:
    """The session's ledger; after the last proof test, no accepted order is lost and no request got
    a 5xx. (Torn down before `api_as`, whose clients it still uses.)"""
    yield recorded
    recorded.lost_orders = lost_orders(recorded.created_orders, lambda tenant: api_as(tenant, "admin"))
    recorded.checked_orders = sum(len(codes) for codes in recorded.created_orders.values())
    assert recorded.lost_orders == [], recorded.summary()
    assert recorded.server_errors == [], recorded.summary()


@pytest.fixture(scope="session")
def admin_a(api_as: Callable[[str, str], RecordingApi]) -> RecordingApi:
    return api_as("shop-a", "admin")


@pytest.fixture(scope="session")
def admin_b(api_as: Callable[[str, str], RecordingApi]) -> RecordingApi:
    return api_as("shop-b", "admin")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    ledger = terminalreporter.config.stash.get(LEDGER_KEY, None)
    if ledger is not None and ledger.requests:
        terminalreporter.write_line(ledger.summary())
        for line in ledger.server_errors[:20]:
            terminalreporter.write_line(f"proof: 5xx {line}")
