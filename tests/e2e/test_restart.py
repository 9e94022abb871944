"""A restart keeps orders, stock and sequences, and replays no stream record; stop is prompt."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from harness.runtime_process import Api, RuntimeProcess, port_is_free, token_for, wait_for
from harness.seed import order_body

pytestmark = pytest.mark.e2e


def children(pid: int) -> list[int]:
    """The direct child processes of `pid` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
def persistent(stack_template: Path, tmp_path: Path) -> Iterator[RuntimeProcess]:
    runtime = RuntimeProcess(state_dir=tmp_path / "state", template=stack_template)
    try:
        yield runtime
    finally:
        runtime.stop()


def stream_invocations(runtime: RuntimeProcess) -> list[str]:
    return [line for line in runtime.lines if re.search(r" (projector|data_sync|live_pusher) batch=\d+", line)]


def wait_until_streams_are_idle(runtime: RuntimeProcess, quiet_s: float = 3.0, timeout: float = 30.0) -> None:
    """Until no stream batch has been invoked for `quiet_s` (longer than the 1 s batching window):
    records still in flight at a stop are rightly delivered after the restart, so the test of
    "no replay" stops only once everything finished."""
    deadline = time.monotonic() + timeout
    seen, since = len(stream_invocations(runtime)), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        count = len(stream_invocations(runtime))
        if count != seen:
            seen, since = count, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return
    raise AssertionError("the stream handlers never went quiet")


def test_restart_keeps_orders_stock_and_sequence_and_replays_nothing(persistent: RuntimeProcess) -> None:
    # Given a fresh persistent runtime and an order whose reservation is visible
    outputs = persistent.start()
    assert outputs["DynamoDbEngine"] == "local"
    token_before = token_for(outputs, "shop-a")
    api = Api(outputs["ApiUrl"], token_before)
    status, created = api.post("/orders", order_body(("PRD-002", 3)))
    assert status == 201, created
    assert created["code"] == "ORD-000001"
    wait_for(
        lambda: api.get("/orders/ORD-000001")[1]["attributes"]["inventoryStatus"] == "reserved",
        message="the reservation",
    )
    order_before = api.get("/orders/ORD-000001")[1]
    stock_before = api.get("/inventory/PRD-002")[1]
    assert stock_before["attributes"]["reservedQuantity"] == 3
    products_before = api.get("/products")[1]["items"]
    api.close()
    wait_until_streams_are_idle(persistent)
    checkpoints = sorted(p.name for p in (persistent.state_dir / "checkpoints").glob("*.json"))
    assert len(checkpoints) == 3  # projector, data-sync and the live-screen pusher

    # When it is stopped and started again on the same state directory
    persistent.stop()
    restarted = RuntimeProcess(state_dir=persistent.state_dir, template=persistent.template)
    try:
        outputs = restarted.start()
        api = Api(outputs["ApiUrl"], token_for(outputs, "shop-a"))

        # Then the order, the stock and the catalogue are as they were (the demo is not seeded twice)
        assert api.get("/orders/ORD-000001")[1] == order_before
        # And a token from before the restart still verifies: the pool's signing key is kept
        # with the state (readable by its owner only), and the pool and client ids are the same
        assert api.get("/orders/ORD-000001", token=token_before)[0] == 200
        key_file = persistent.state_dir / "cognito" / "signing-key.pem"
        assert key_file.stat().st_mode & 0o777 == 0o600
        assert api.get("/products")[1]["items"] == products_before
        # And no stream record is replayed: no batch reaches a stream handler, the stock stays put
        time.sleep(2.0)
        assert stream_invocations(restarted) == []
        assert api.get("/inventory/PRD-002")[1] == stock_before

        # And the next order gets the next number, and its reservation adds to the first
        status, created = api.post("/orders", order_body(("PRD-002", 2)))
        assert (status, created["code"]) == (201, "ORD-000002")
        wait_for(
            lambda: api.get("/orders/ORD-000002")[1]["attributes"]["inventoryStatus"] == "reserved",
            message="the second reservation",
        )
        assert api.get("/inventory/PRD-002")[1]["attributes"]["reservedQuantity"] == 5
        api.close()
    finally:
        restarted.stop()


def test_stop_ends_everything_within_5_seconds_and_frees_the_ports(persistent: RuntimeProcess) -> None:
    outputs = persistent.start()
    assert persistent.process is not None
    pid = persistent.process.pid
    jvms = [child for child in children(pid) if "java" in Path(f"/proc/{child}/cmdline").read_bytes().decode()]
    assert len(jvms) == 1
    zygotes = [c for c in children(pid) if b"local.worker_process" in Path(f"/proc/{c}/cmdline").read_bytes()]
    assert len(zygotes) == 1
    workers = children(zygotes[0])
    assert len(workers) >= 3  # one warm execution environment per function at least
    ports = [
        urlsplit(outputs["ApiUrl"]).port,
        urlsplit(outputs["AwsEndpointUrl"]).port,
        urlsplit(outputs["DynamoDbEndpointUrl"]).port,
    ]

    elapsed = persistent.stop()

    assert elapsed < 5.0
    wait_for(lambda: not alive(jvms[0]), timeout=2, message="the JVM to exit")
    wait_for(
        lambda: not any(alive(p) for p in [zygotes[0], *workers]), timeout=2, message="the worker processes to exit"
    )
    assert all(port_is_free(port) for port in ports if port)


def test_a_second_runtime_on_the_same_state_says_so_and_changes_nothing(persistent: RuntimeProcess) -> None:
    persistent.start()
    outputs_before = (persistent.state_dir / "outputs.json").read_text()
    second = RuntimeProcess(state_dir=persistent.state_dir, template=persistent.template)
    process = second.spawn()
    try:
        code = process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        second.stop()
        raise
    second.stop()
    assert code != 0
    assert "already running" in second.log_text()
    assert (persistent.state_dir / "outputs.json").read_text() == outputs_before
    # And the first one still answers
    api = Api(json.loads(outputs_before)["CqrsShop-dev"]["ApiUrl"])
    assert api.get("/openapi.json", token="")[0] == 200
    api.close()
