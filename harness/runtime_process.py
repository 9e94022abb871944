"""Run `python -m local` as a subprocess on free loopback ports, and talk to it over HTTP."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3

from local.dynamodb_local import free_port

PROJECT_ROOT = Path(__file__).resolve().parents[1]
READY_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 5.0


@dataclass
class RuntimeProcess:
    """One `python -m local` subprocess. `start()` waits for `ready`; `stop()` sends SIGTERM."""

    state_dir: Path
    template: Path
    extra_args: list[str] = field(default_factory=list)
    port: int = 0
    process: subprocess.Popen[str] | None = None
    lines: list[str] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    _reader: threading.Thread | None = None
    _ready: threading.Event = field(default_factory=threading.Event)

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "local",
            "--port",
            str(self.port),
            "--state-dir",
            str(self.state_dir),
            "--template",
            str(self.template),
            "--no-synth",
            *self.extra_args,
        ]

    def spawn(self) -> subprocess.Popen[str]:
        self.port = self.port or free_port()
        self.lines = []
        self._ready.clear()
        self.process = subprocess.Popen(
            self.command(),
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self._reader = threading.Thread(target=self._read, args=(self.process,), daemon=True)
        self._reader.start()
        return self.process

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.strip() == "ready":
                self._ready.set()

    def start(self, timeout: float = READY_TIMEOUT_S) -> dict[str, Any]:
        process = self.spawn()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self._ready.is_set():
            if process.poll() is not None:
                break
            self._ready.wait(0.2)
        if not self._ready.is_set():
            self.stop()
            raise AssertionError("the local runtime did not get ready:\n" + "\n".join(self.lines[-60:]))
        document = json.loads((self.state_dir / "outputs.json").read_text())
        (self.outputs,) = document.values()
        return self.outputs

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> float:
        """SIGTERM, wait; returns how long it took to exit (SIGKILL after `timeout` * 2)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return 0.0
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout * 2)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)
        if self._reader is not None:
            self._reader.join(timeout=2)
        return time.monotonic() - started

    def log_text(self) -> str:
        return "\n".join(self.lines)


def authenticate(outputs: dict[str, Any], username: str, password: str) -> dict[str, Any]:
    """The local Cognito's AuthenticationResult (InitiateAuth, USER_PASSWORD_AUTH): IdToken,
    AccessToken, RefreshToken."""
    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=outputs["AwsEndpointUrl"],
        region_name=outputs["Region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - the local emulator takes any key
    )
    result = cognito.initiate_auth(
        ClientId=outputs["UserPoolClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    return dict(result["AuthenticationResult"])


def login(outputs: dict[str, Any], username: str, password: str) -> str:
    """An ID token from the local Cognito."""
    return str(authenticate(outputs, username, password)["IdToken"])


def demo_user(outputs: dict[str, Any], tenant: str, role: str = "admin") -> tuple[str, str]:
    user = next(u for u in outputs["DemoUsers"] if u["tenant"] == tenant and u["role"] == role)
    return user["username"], user["password"]


def token_for(outputs: dict[str, Any], tenant: str, role: str = "admin") -> str:
    return login(outputs, *demo_user(outputs, tenant, role))


REPEATABLE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})  # idempotent in HTTP


def _closed_by_server(connection: http.client.HTTPConnection) -> bool:
    """Whether an idle kept-alive connection was closed by the server: it has nothing to read
    unless the server closed it (end of file) or broke the protocol, and in both cases it is done."""
    if connection.sock is None:
        return False
    readable, _, _ = select.select([connection.sock], [], [], 0)
    return bool(readable)


class Api:
    """A small keep-alive HTTP client for the local API (one per thread)."""

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 30.0) -> None:
        split = urlsplit(base_url)
        self.host = split.hostname or "127.0.0.1"
        self.port = split.port or 80
        self.token = token
        self.timeout = timeout
        self._connection: http.client.HTTPConnection | None = None
        # The local runtime's X-Local-Execution-Environment of each answer that carried one.
        self.environments: list[str] = []

    def _conn(self) -> http.client.HTTPConnection:
        if self._connection is not None and _closed_by_server(self._connection):
            self.close()
        if self._connection is None:
            self._connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        token: str | None = None,
    ) -> tuple[int, Any]:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        bearer = token if token is not None else self.token
        if bearer:
            all_headers.setdefault("Authorization", f"Bearer {bearer}")
        payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        # A connection the server closed while idle is replaced before sending (`_conn`). Should it
        # close during the request anyway, only a request that is safe to repeat is sent again: a
        # POST the server may have acted on is never sent twice.
        attempts = 2 if method in REPEATABLE_METHODS else 1
        for attempt in range(attempts):
            connection = self._conn()
            try:
                connection.request(method, path, body=payload, headers=all_headers)
                response = connection.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt + 1 == attempts:
                    raise
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        environment = response.getheader("X-Local-Execution-Environment")
        if environment:
            self.environments.append(environment)
        text = data.decode("utf-8", errors="replace")
        try:
            return response.status, json.loads(text) if text else None
        except ValueError:
            return response.status, text

    def get(self, path: str, **kwargs: Any) -> tuple[int, Any]:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any, **kwargs: Any) -> tuple[int, Any]:
        return self.request("POST", path, body, **kwargs)

    def patch(self, path: str, body: Any, **kwargs: Any) -> tuple[int, Any]:
        return self.request("PATCH", path, body, **kwargs)


def wait_for(predicate: Any, *, timeout: float = 15.0, interval: float = 0.1, message: str = "") -> Any:
    """Poll `predicate()` until it returns something truthy; bounded in time (AssertionError)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {message or predicate}: last {last!r}")


def port_is_free(port: int) -> bool:
    """True when a new server could bind the port now (with SO_REUSEADDR, as the runtime does)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        with contextlib.suppress(OSError):
            sock.bind(("127.0.0.1", port))
            return True
    return False
