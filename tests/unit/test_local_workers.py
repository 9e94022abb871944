"""Execution environments of the local runtime: worker processes forked by a zygote (no AWS).

The handlers are a small module written into a temporary asset directory, so each test says
exactly what the function does.
"""

from __future__ import annotations

import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.workers import FunctionError, FunctionThrottled, HandlerImportError, WorkerPool, WorkerSpec, Zygote

HANDLERS = '''
import gc, os, sys, time
from pathlib import Path

# Recorded when the worker imports this module: what the zygote had loaded before the fork.
XRAY_LOADED_BEFORE_IMPORT = "aws_xray_sdk.core" in sys.modules


def pid(event, context):
    return {"pid": os.getpid(), "variable": os.environ.get("WHO"), "remaining": context.get_remaining_time_in_millis()}


def meet(event, context):
    """Wait (bounded) until `event["count"]` invocations have arrived: only concurrent ones meet."""
    folder = Path(event["folder"])
    (folder / str(os.getpid())).touch()
    deadline = time.monotonic() + event["wait_s"]
    while time.monotonic() < deadline:
        if len(list(folder.iterdir())) >= event["count"]:
            return {"met": True, "pid": os.getpid()}
        time.sleep(0.02)
    return {"met": False, "pid": os.getpid()}


def shared(event, context):
    return {"xray_preloaded": XRAY_LOADED_BEFORE_IMPORT, "frozen_objects": gc.get_freeze_count()}


def dynamodb_client(event, context):
    import boto3

    client = boto3.client("dynamodb")
    credentials = client._request_signer._credentials
    return {"endpoint": client.meta.endpoint_url, "region": client.meta.region_name, "key": credentials.access_key}


def fail(event, context):
    raise ValueError("no such order")


def sleep(event, context):
    time.sleep(event["seconds"])
    return {"pid": os.getpid()}
'''


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote]:
    spawner = Zygote()
    spawner.start()
    try:
        yield spawner
    finally:
        spawner.stop()


@pytest.fixture(scope="module")
def asset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("asset")
    (folder / "fake_functions.py").write_text(textwrap.dedent(HANDLERS))
    return folder


@pytest.fixture
def make_pool(zygote: Zygote, asset: Path) -> Iterator[Any]:
    pools: list[WorkerPool] = []

    def make(
        handler: str, max_workers: int = 2, environment: dict[str, str] | None = None, **kwargs: Any
    ) -> WorkerPool:
        spec = WorkerSpec("fake", f"fake_functions.{handler}", environment or {}, str(asset))
        pool = WorkerPool(zygote, spec, max_workers=max_workers, **kwargs)
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        pool.stop()


FIELDS = {"function_name": "fake", "arn": "arn:aws:lambda:us-east-1:123456789012:function:fake", "memory_mb": 128}


def invoke(pool: WorkerPool, event: dict[str, Any], timeout_s: float = 30.0) -> tuple[Any, int]:
    return pool.invoke(event, {**FIELDS, "timeout_s": timeout_s}, timeout_s)


def in_parallel(count: int, call: Any) -> list[Any]:
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            results[index] = call()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return results


def test_concurrent_invocations_run_at_once_in_separate_environments(make_pool: Any, tmp_path: Path) -> None:
    pool = make_pool("meet", max_workers=2)
    event = {"folder": str(tmp_path), "count": 2, "wait_s": 30}
    results = in_parallel(2, lambda: invoke(pool, event))
    # Each waited for the other: they ran at the same time, in two processes
    assert [result["met"] for result, _ in results] == [True, True]
    assert len({pid for _, pid in results}) == 2
    assert pool.size == 2 and pool.peak_busy == 2


def test_a_warm_environment_is_reused_and_the_bound_is_kept(make_pool: Any) -> None:
    pool = make_pool("sleep", max_workers=1, queue_timeout_s=30)
    first, first_pid = invoke(pool, {"seconds": 0})
    second, second_pid = invoke(pool, {"seconds": 0})
    assert first["pid"] == first_pid == second_pid == second["pid"]
    # Two at once with one environment allowed: the second waits for the first, same process
    results = in_parallel(2, lambda: invoke(pool, {"seconds": 0.2}))
    assert {pid for _, pid in results} == {first_pid}
    assert pool.size == 1 and pool.peak_busy == 1 and pool.cold_starts == 1


def test_a_caller_that_waits_past_the_queue_timeout_is_throttled(make_pool: Any) -> None:
    pool = make_pool("sleep", max_workers=1, queue_timeout_s=0.2)
    invoke(pool, {"seconds": 0})  # warm, so the busy one below is busy for its whole sleep
    holder = threading.Thread(target=invoke, args=(pool, {"seconds": 3}))
    holder.start()
    try:
        for _ in range(200):  # until the holder has the environment (bounded)
            if pool.peak_busy:
                break
            threading.Event().wait(0.01)
        with pytest.raises(FunctionThrottled):
            invoke(pool, {"seconds": 0})
    finally:
        holder.join(30)


def test_each_function_has_its_own_environment_variables(make_pool: Any) -> None:
    api = make_pool("pid", environment={"WHO": "api"})
    sync = make_pool("pid", environment={"WHO": "data-sync"})
    assert invoke(api, {})[0]["variable"] == "api"
    assert invoke(sync, {})[0]["variable"] == "data-sync"
    assert 0 < invoke(api, {}, timeout_s=7)[0]["remaining"] <= 7000


def test_a_worker_shares_the_zygotes_libraries_and_its_collector_leaves_them_alone(make_pool: Any) -> None:
    # The X-Ray SDK (Powertools' Tracer loads it) was imported once in the zygote, and the
    # zygote's objects are frozen: a worker's collections never write to those shared pages.
    result = invoke(make_pool("shared"), {})[0]
    assert result["xray_preloaded"] is True
    assert result["frozen_objects"] > 0


def test_a_workers_boto3_client_takes_its_own_environment_not_the_zygotes(make_pool: Any) -> None:
    # The zygote parsed the DynamoDB model with a throw-away client; a worker's client still
    # resolves endpoint, region and keys from the function's environment.
    environment = {
        "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:9",
        "AWS_REGION": "eu-west-3",
        "AWS_DEFAULT_REGION": "eu-west-3",
        "AWS_ACCESS_KEY_ID": "function-key",
        "AWS_SECRET_ACCESS_KEY": "function-secret",
    }
    result = invoke(make_pool("dynamodb_client", environment=environment), {})[0]
    assert result == {"endpoint": "http://127.0.0.1:9", "region": "eu-west-3", "key": "function-key"}


def test_a_handler_error_is_reported_and_the_environment_kept(make_pool: Any) -> None:
    pool = make_pool("fail")
    with pytest.raises(FunctionError) as error:
        invoke(pool, {})
    assert error.value.error_type == "ValueError" and "no such order" in str(error.value)
    assert pool.size == 1


def test_an_invocation_past_the_timeout_is_killed_and_replaced(make_pool: Any) -> None:
    pool = make_pool("sleep", max_workers=1)
    _, before = invoke(pool, {"seconds": 0})
    with pytest.raises(FunctionError) as error:
        invoke(pool, {"seconds": 30}, timeout_s=0.5)
    assert error.value.error_type == "Sandbox.Timedout"
    _, after = invoke(pool, {"seconds": 0})
    assert after != before


def test_a_handler_that_does_not_import_fails_at_warm_up(make_pool: Any) -> None:
    with pytest.raises(HandlerImportError, match="no_such_function"):
        make_pool("no_such_function").warm()
    with pytest.raises(HandlerImportError, match="No module named"):
        pool = make_pool("pid")
        broken = WorkerPool(pool.zygote, WorkerSpec("x", "missing_module.handler", {}, pool.spec.asset), max_workers=1)
        broken.warm()
