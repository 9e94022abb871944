"""Execution environments for the local functions: worker processes, started on demand and reused.

`Zygote` starts the one process that forks workers (see `local.worker_process`). A `WorkerPool`
is one function's set of execution environments, as Lambda keeps them:

- an invocation takes an idle worker (the most recently used first, as Lambda reuses a warm
  environment), or forks a new one while the function has fewer than `max_workers`, or waits
  for one to come free (at most `queue_timeout_s`, then `FunctionThrottled`);
- a worker runs one invocation at a time; one that runs past the function's timeout is killed
  (`Task timed out`), one that dies is replaced on the next invocation;
- `warm()` starts the first worker at start-up, so that a handler that does not import stops the
  runtime with its error instead of failing every request later.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

log = logging.getLogger("local")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
COLD_START_TIMEOUT_S = 60.0  # fork + import of a handler; generous for a loaded machine
QUEUE_TIMEOUT_S = 30.0
STOP_GRACE_S = 0.5


def default_concurrency() -> int:
    """Execution environments per function by default: two per CPU (a worker waits on DynamoDB
    for part of every invocation; with one per CPU the CPUs idle meanwhile: on 2 CPUs, 8 clients
    read about 1.8x what 1 client reads with 4 workers, 1.65x with 2), at least two (so that two
    requests race even on one CPU), at most eight (each costs memory, about 25 MB)."""
    return max(2, min(8, 2 * (os.cpu_count() or 1)))


class FunctionError(RuntimeError):
    """The invocation failed: the handler raised, timed out, or its environment died."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type
        self.error_message = message  # Lambda's `errorMessage` (API Gateway reads "Unauthorized")


class FunctionThrottled(FunctionError):
    """Every execution environment stayed busy for the whole queue timeout."""


class HandlerImportError(RuntimeError):
    """A function's handler string does not import: a start-up error."""


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker needs to become one function's execution environment."""

    function_name: str
    handler_string: str
    environment: dict[str, str]
    asset: str


class Zygote:
    """The process that forks workers (started once per runtime)."""

    def __init__(self, root: Path = PROJECT_ROOT) -> None:
        self.root = root
        self._control: socket.socket | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "local.worker_process", str(theirs.fileno())],
                cwd=self.root,
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
            )
        finally:
            theirs.close()
        self._control = ours

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def fork(self, spec: WorkerSpec) -> Connection:
        """A new worker's channel (the worker is importing its handler when this returns)."""
        if self._control is None:
            raise RuntimeError("the zygote is not running")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        request = json.dumps(
            {"handler": spec.handler_string, "environment": spec.environment, "asset": spec.asset}
        ).encode()
        try:
            with self._lock:
                socket.send_fds(self._control, [request], [theirs.fileno()])
        finally:
            theirs.close()
        return Connection(ours.detach())

    def close(self) -> None:
        """Close the control socket: the zygote reads EOF and exits (`stop` waits for it)."""
        control, self._control = self._control, None
        if control is not None:
            control.close()

    def stop(self, timeout: float = 1.0) -> None:
        self.close()
        process, self._process = self._process, None
        if process is not None:
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)


class Worker:
    """One execution environment: a forked process and its channel."""

    def __init__(self, channel: Connection, pid: int) -> None:
        self.channel = channel
        self.pid = pid
        self.invocations = 0

    @classmethod
    def start(cls, zygote: Zygote, spec: WorkerSpec, timeout_s: float = COLD_START_TIMEOUT_S) -> Worker:
        channel = zygote.fork(spec)
        try:
            if not channel.poll(timeout_s):
                raise HandlerImportError(f"{spec.function_name}: no worker within {timeout_s:.0f} s")
            answer = channel.recv()
        except (EOFError, OSError) as error:
            channel.close()
            raise HandlerImportError(f"{spec.function_name}: the worker died while starting ({error})") from None
        except BaseException:
            channel.close()
            raise
        if answer[0] != "ready":
            channel.close()
            raise HandlerImportError(
                f"{spec.function_name}: handler {spec.handler_string} does not import: {answer[1]}"
            )
        return cls(channel, int(answer[1]))

    def invoke(self, event: dict[str, Any], fields: dict[str, Any], timeout_s: float) -> Any:
        """The handler's result; FunctionError when it raised, timed out or the worker died."""
        self.invocations += 1
        try:
            self.channel.send((event, fields))
            if not self.channel.poll(timeout_s):
                self.kill()
                raise FunctionError("Sandbox.Timedout", f"Task timed out after {timeout_s:.2f} seconds")
            answer = self.channel.recv()
        except (EOFError, OSError) as error:
            self.kill()
            raise FunctionError("Runtime.ExitError", f"the execution environment died ({error})") from None
        if answer[0] == "ok":
            return answer[1]
        raise FunctionError(str(answer[1]), str(answer[2]))

    @property
    def alive(self) -> bool:
        return not self.channel.closed

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.channel.close()
        with contextlib.suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)

    def close(self) -> None:
        """Close the channel (the worker exits on EOF); SIGKILL if it is still there after a grace."""
        with contextlib.suppress(OSError):
            self.channel.close()


class WorkerPool:
    """One function's execution environments: up to `max_workers` at once, reused."""

    def __init__(
        self,
        zygote: Zygote,
        spec: WorkerSpec,
        *,
        max_workers: int,
        queue_timeout_s: float = QUEUE_TIMEOUT_S,
    ) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.zygote = zygote
        self.spec = spec
        self.max_workers = max_workers
        self.queue_timeout_s = queue_timeout_s
        self._idle: list[Worker] = []
        self._all: list[Worker] = []
        self._starting = 0
        self._busy = 0
        self._condition = threading.Condition()
        self._stopped = False
        self.peak_busy = 0
        self.cold_starts = 0

    @property
    def size(self) -> int:
        """Execution environments that exist now."""
        with self._condition:
            return len(self._all)

    def pids(self) -> list[int]:
        with self._condition:
            return [worker.pid for worker in self._all]

    def warm(self) -> None:
        """Start one worker (and keep it idle): raises HandlerImportError when the handler fails."""
        worker = self._acquire()
        self._release(worker)

    def invoke(self, event: dict[str, Any], fields: dict[str, Any], timeout_s: float) -> tuple[Any, int]:
        """(the handler's result, the pid of the execution environment that ran it)."""
        worker = self._acquire()
        try:
            return worker.invoke(event, fields, timeout_s), worker.pid
        finally:
            self._release(worker)

    def _acquire(self) -> Worker:
        deadline = time.monotonic() + self.queue_timeout_s
        with self._condition:
            while True:
                if self._stopped:
                    raise FunctionError("Runtime.Stopped", "the local runtime is stopping")
                if self._idle:
                    worker = self._idle.pop()  # the most recently used: the warmest
                    self._busy += 1
                    self.peak_busy = max(self.peak_busy, self._busy)
                    return worker
                if len(self._all) + self._starting < self.max_workers:
                    self._starting += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise FunctionThrottled(
                        "TooManyRequestsException",
                        f"{self.spec.function_name}: all {self.max_workers} execution environments stayed busy",
                    )
                self._condition.wait(remaining)
        # Forking and importing happen outside the lock: other invocations go on meanwhile.
        try:
            worker = Worker.start(self.zygote, self.spec)
        except BaseException:
            with self._condition:
                self._starting -= 1
                self._condition.notify()
            raise
        with self._condition:
            self._starting -= 1
            self.cold_starts += 1
            self._all.append(worker)
            self._busy += 1
            self.peak_busy = max(self.peak_busy, self._busy)
            if self._stopped:
                worker.kill()
        return worker

    def _release(self, worker: Worker) -> None:
        with self._condition:
            self._busy -= 1
            if worker.alive and not self._stopped:
                self._idle.append(worker)
            else:
                with contextlib.suppress(ValueError):
                    self._all.remove(worker)
            self._condition.notify()

    def close(self) -> list[Worker]:
        """Stop taking invocations and close every worker's channel (each exits on EOF); returns
        the workers, for `reap`. Closing every pool first and reaping once lets them all exit at
        the same time."""
        with self._condition:
            self._stopped = True
            workers, self._all, self._idle = list(self._all), [], []
            self._condition.notify_all()
        for worker in workers:
            worker.close()
        return workers

    def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        reap(self.close(), grace_s)


def reap(workers: list[Worker], grace_s: float = STOP_GRACE_S) -> None:
    """Wait up to `grace_s` for closed workers to exit, then SIGKILL the ones still there."""
    deadline = time.monotonic() + grace_s
    for worker in workers:
        while time.monotonic() < deadline and _running(worker.pid):
            time.sleep(0.02)
        if _running(worker.pid):
            worker.kill()


def _running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie (workers are the zygote's children)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False
