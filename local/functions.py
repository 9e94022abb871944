"""The template's Lambda functions, each run by its handler string in execution environments.

A function deployed by the template runs in worker processes (`local.workers`): up to the
runtime's `--concurrency` invocations at once, each in its own process with its own environment
variables, as Lambda runs concurrent invocations in separate execution environments. A function
built with an in-process `handler` (the tests' fakes) runs one invocation at a time in this process.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local.template import ACCOUNT_ID, REGION, Resolver, Template
from local.worker_process import LambdaContext
from local.workers import Worker, WorkerPool, WorkerSpec, Zygote, reap

log = logging.getLogger("local")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TIMEOUT_S = 3
DEFAULT_MEMORY_MB = 128

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class LocalFunction:
    logical_id: str
    name: str
    handler_string: str
    environment: dict[str, str]
    timeout_s: int = DEFAULT_TIMEOUT_S
    memory_mb: int = DEFAULT_MEMORY_MB
    handler: Handler | None = None  # in-process (a test's fake); None: worker processes
    pool: WorkerPool | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def label(self) -> str:
        """A short name for logs: the handler's module (`api`, `projector`, `data_sync`)."""
        parts = self.handler_string.split(".")
        return parts[-2] if len(parts) >= 2 else self.name

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.name}"

    def context_fields(self) -> dict[str, Any]:
        """What a worker needs to build the handler's context object."""
        return {
            "function_name": self.name,
            "arn": self.arn,
            "memory_mb": self.memory_mb,
            "timeout_s": self.timeout_s,
            "request_id": str(uuid.uuid4()),
        }

    def invoke(self, event: dict[str, Any], describe: str = "") -> Any:
        """Run the handler once; log one line (function, what, duration, outcome); re-raise errors."""
        return self.invoke_in_environment(event, describe)[0]

    def invoke_in_environment(self, event: dict[str, Any], describe: str = "") -> tuple[Any, int | None]:
        """Like `invoke`, and which execution environment ran it (a worker's pid; None in-process)."""
        started = time.perf_counter()
        environment: int | None = None
        try:
            if self.pool is not None:
                result, environment = self.pool.invoke(event, self.context_fields(), float(self.timeout_s))
            elif self.handler is not None:
                with self.lock:
                    result = self.handler(event, LambdaContext(self.context_fields()))
            else:
                raise RuntimeError(f"{self.name} has neither execution environments nor an in-process handler")
        except Exception as error:
            elapsed = (time.perf_counter() - started) * 1000
            log.warning("%s %s error %.0fms %s: %s", self.label, describe, elapsed, type(error).__name__, error)
            raise
        elapsed = (time.perf_counter() - started) * 1000
        log.info("%s %s %s %.0fms", self.label, describe, describe_outcome(result), elapsed)
        return result, environment


def describe_outcome(result: Any) -> str:
    if isinstance(result, dict):
        if "statusCode" in result:
            return str(result["statusCode"])
        failures = result.get("batchItemFailures")
        if failures:
            return f"partial ({len(failures)} failed)"
    return "ok"


def load_functions(template: Template, resolver: Resolver, overrides: dict[str, str]) -> dict[str, LocalFunction]:
    """Every AWS::Lambda::Function with a Python handler, its environment resolved (not started)."""
    functions: dict[str, LocalFunction] = {}
    for resource in template.of_type("AWS::Lambda::Function"):
        props = resource.properties
        handler_string = props.get("Handler")
        runtime = str(props.get("Runtime") or "")
        if not handler_string or not runtime.startswith("python"):
            continue  # CDK's own helper functions (custom resources, log retention) are not ours
        skipped: list[str] = []
        environment = {**resolver.environment(resource, skipped), **overrides}
        if skipped:
            log.info("%s: no local value for %s (left unset)", resource.logical_id, ", ".join(sorted(skipped)))
        functions[resource.logical_id] = LocalFunction(
            logical_id=resource.logical_id,
            name=str(resolver.ref(resource.logical_id)),
            handler_string=str(handler_string),
            environment=environment,
            timeout_s=int(props.get("Timeout") or DEFAULT_TIMEOUT_S),
            memory_mb=int(props.get("MemorySize") or DEFAULT_MEMORY_MB),
        )
    return functions


def start_environments(
    functions: dict[str, LocalFunction],
    zygote: Zygote,
    base_environment: dict[str, str],
    concurrency: int,
    root: Path = PROJECT_ROOT,
) -> None:
    """Give each function a pool of up to `concurrency` workers and start the first one of each
    (in parallel): a handler string that does not import raises HandlerImportError here."""
    for function in functions.values():
        spec = WorkerSpec(
            function_name=function.name,
            handler_string=function.handler_string,
            environment={**base_environment, **function.environment},
            asset=str(root / "lambdas"),
        )
        function.pool = WorkerPool(zygote, spec, max_workers=concurrency)
    errors: list[BaseException] = []

    def warm(function: LocalFunction) -> None:
        try:
            assert function.pool is not None
            function.pool.warm()
        except BaseException as error:  # noqa: BLE001 - re-raised below, in the caller's thread
            errors.append(error)

    threads = [threading.Thread(target=warm, args=(f,), daemon=True) for f in functions.values()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def close_environments(functions: dict[str, LocalFunction]) -> list[Worker]:
    """Close every function's workers at once (they exit on EOF); returns them, for `reap`."""
    workers: list[Worker] = []
    for function in functions.values():
        if function.pool is not None:
            workers += function.pool.close()
    return workers


def stop_environments(functions: dict[str, LocalFunction]) -> None:
    reap(close_environments(functions))
