"""The template's Lambda functions, imported in this process by their `Handler` string.

Each function runs one invocation at a time (its own lock), as one Lambda execution environment
does. That matters in-process: Powertools' REST resolver keeps the current event on a class
attribute, so two concurrent API invocations in one interpreter would see each other's request.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local.template import ACCOUNT_ID, REGION, Resolver, Template

log = logging.getLogger("local")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TIMEOUT_S = 3
DEFAULT_MEMORY_MB = 128

Handler = Callable[[dict[str, Any], Any], Any]


class Activity:
    """A broadcast "something may have been written": every finished invocation bumps it, and the
    stream pollers wait on it between polls, so they read a new record right after the write that
    made it instead of at their next idle poll."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._generation = 0

    def notify(self) -> None:
        with self._condition:
            self._generation += 1
            self._condition.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        """Wait until the generation moves past `seen` (or `timeout`); return the current one."""
        with self._condition:
            if self._generation == seen:
                self._condition.wait(timeout)
            return self._generation


ACTIVITY = Activity()


class LambdaContext:
    """The context object Lambda passes to a handler (the attributes Powertools reads)."""

    def __init__(self, function: LocalFunction) -> None:
        self.function_name = function.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function.arn
        self.memory_limit_in_mb = function.memory_mb
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function.name}"
        self.log_stream_name = "local"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + function.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class LocalFunction:
    logical_id: str
    name: str
    handler_string: str
    environment: dict[str, str]
    timeout_s: int = DEFAULT_TIMEOUT_S
    memory_mb: int = DEFAULT_MEMORY_MB
    handler: Handler | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def label(self) -> str:
        """A short name for logs: the handler's module (`api`, `projector`, `data_sync`)."""
        parts = self.handler_string.split(".")
        return parts[-2] if len(parts) >= 2 else self.name

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.name}"

    def load(self) -> Handler:
        if self.handler is None:
            module_name, _, attribute = self.handler_string.rpartition(".")
            module = importlib.import_module(module_name)
            self.handler = getattr(module, attribute)
        return self.handler

    def invoke(self, event: dict[str, Any], describe: str = "") -> Any:
        """Run the handler once; log one line (function, what, duration, outcome); re-raise errors."""
        handler = self.load()
        with self.lock:
            context = LambdaContext(self)
            started = time.perf_counter()
            try:
                result = handler(event, context)
            except Exception as error:
                ACTIVITY.notify()
                elapsed = (time.perf_counter() - started) * 1000
                log.warning("%s %s error %.0fms %s: %s", self.label, describe, elapsed, type(error).__name__, error)
                raise
        ACTIVITY.notify()
        elapsed = (time.perf_counter() - started) * 1000
        outcome = describe_outcome(result)
        late = f" (over its {self.timeout_s}s timeout)" if elapsed > self.timeout_s * 1000 else ""
        log.info("%s %s %s %.0fms%s", self.label, describe, outcome, elapsed, late)
        return result


def describe_outcome(result: Any) -> str:
    if isinstance(result, dict):
        if "statusCode" in result:
            return str(result["statusCode"])
        failures = result.get("batchItemFailures")
        if failures:
            return f"partial ({len(failures)} failed)"
    return "ok"


def load_functions(
    template: Template,
    resolver: Resolver,
    base_environment: dict[str, str],
    overrides: dict[str, str],
    root: Path = PROJECT_ROOT,
) -> dict[str, LocalFunction]:
    """Every AWS::Lambda::Function with a Python handler in the asset, its environment resolved.

    In-process the functions share one `os.environ`: each module is imported with its own
    function's variables set (what module-level settings read), and afterwards the environment
    holds the union; when two functions disagree on a variable, a notice names it.
    """
    asset = str(root / "lambdas")
    if asset not in sys.path:
        sys.path.insert(0, asset)
    functions: dict[str, LocalFunction] = {}
    union: dict[str, str] = {}
    disagreements: set[str] = set()
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
        for key, value in environment.items():
            if key in union and union[key] != value and key not in overrides:
                disagreements.add(key)
            union.setdefault(key, value)
        function = LocalFunction(
            logical_id=resource.logical_id,
            name=str(resolver.ref(resource.logical_id)),
            handler_string=str(handler_string),
            environment=environment,
            timeout_s=int(props.get("Timeout") or DEFAULT_TIMEOUT_S),
            memory_mb=int(props.get("MemorySize") or DEFAULT_MEMORY_MB),
        )
        os.environ.update(base_environment)
        os.environ.update(environment)
        try:
            function.load()
        except ModuleNotFoundError as error:
            # Only a handler module that does not exist yet is skipped; errors inside one raise.
            if error.name != function.handler_string.rpartition(".")[0]:
                raise
            log.warning("%s: handler %s does not exist; not run", resource.logical_id, handler_string)
            continue
        functions[resource.logical_id] = function
    os.environ.update(union)
    os.environ.update(base_environment)
    if disagreements:
        log.info("functions disagree on %s; in-process they share one value", ", ".join(sorted(disagreements)))
    return functions
