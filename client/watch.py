"""`python -m client watch`: a shop's orders live, one line per event, from the WebSocket API.

The logged-in user's ID token goes in the URL (`?token=`), as browsers must send it: they cannot
set headers on a WebSocket handshake. When the connection drops the watcher reconnects after an
exponential backoff with jitter (1 s doubling to 30 s), with a freshly refreshed token when the
old one has expired or the server refused it; a run is bounded by `--max-reconnects` and
`--duration`.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlencode

from client.errors import ClientError
from client.outputs import default_outputs_path, find_output

WEBSOCKET_URL = "WebSocketUrl"
BACKOFF_START_S = 1.0
BACKOFF_CAP_S = 30.0
DEFAULT_MAX_RECONNECTS = 100
OPEN_TIMEOUT_S = 10.0
RECEIVE_POLL_S = 1.0


def websocket_url(outputs: Path | None = None, stack: str | None = None) -> str:
    """The stack's `WebSocketUrl` output (local or deployed outputs file)."""
    path = outputs or default_outputs_path()
    url = find_output(path, WEBSOCKET_URL, stack)
    if not url:
        raise ClientError(f"{path} has no {WEBSOCKET_URL} output: redeploy the stack or restart the local runtime")
    return str(url)


def line(message: dict[str, Any]) -> str:
    """One event as one line: time, type, then what it is about."""
    about = message.get("orderCode") or message.get("productCode") or ""
    parts = [str(message.get("at", "")), str(message.get("type", "?")), str(message.get("tenantCode", "")), about]
    for key in ("status", "inventoryStatus", "available", "threshold", "reason"):
        if message.get(key) is not None:
            parts.append(f"{key}={message[key]}")
    if message.get("version") is not None:
        parts.append(f"v{message['version']}")
    return " ".join(part for part in parts if part)


@dataclass
class Watcher:
    """Connects, prints every message, reconnects with backoff; `run()` returns the messages seen."""

    url: str
    token: Callable[[bool], str]  # force_refresh -> ID token
    tenant: str | None = None
    out: TextIO | None = None
    max_reconnects: int = DEFAULT_MAX_RECONNECTS
    duration_s: float | None = None
    sleep: Callable[[float], None] = time.sleep
    rand: Callable[[], float] = random.random
    connected: threading.Event = field(default_factory=threading.Event)  # set while a connection is open
    stopped: threading.Event = field(default_factory=threading.Event)  # set to end `run()` within a second

    def _running(self, deadline: float | None) -> bool:
        return not self.stopped.is_set() and (deadline is None or time.monotonic() < deadline)

    def _connect_url(self, token: str) -> str:
        query = {"token": token}
        if self.tenant:
            query["tenant"] = self.tenant
        return f"{self.url}?{urlencode(query)}"

    def run(self) -> int:
        from websockets.exceptions import ConnectionClosed, InvalidStatus
        from websockets.sync.client import connect

        deadline = None if self.duration_s is None else time.monotonic() + self.duration_s
        seen = 0
        refresh = False
        for attempt in range(self.max_reconnects + 1):
            if not self._running(deadline):
                break
            try:
                with connect(self._connect_url(self.token(refresh)), open_timeout=OPEN_TIMEOUT_S) as socket:
                    refresh = False
                    self._log(f"connected to {self.url}")
                    self.connected.set()
                    while self._running(deadline):
                        try:
                            raw = socket.recv(timeout=RECEIVE_POLL_S)
                        except TimeoutError:
                            continue
                        seen += 1
                        self._print(line(json.loads(raw)))
                    return seen
            except InvalidStatus as refused:
                status = refused.response.status_code
                if status == 403:
                    raise ClientError("the server refused this tenant for your user (403)") from None
                # 401: the token expired between refresh and use, or was revoked: refresh it.
                refresh = True
                self._log(f"refused ({status}); refreshing the token")
            except (ConnectionClosed, OSError, TimeoutError) as error:
                self._log(f"connection lost: {error}")
            finally:
                self.connected.clear()
            if attempt < self.max_reconnects and self._running(deadline):
                self.sleep(self.rand() * min(BACKOFF_CAP_S, BACKOFF_START_S * 2**attempt) + BACKOFF_START_S / 2)
        return seen

    def _print(self, text: str) -> None:
        if self.out is not None:
            print(text, file=self.out, flush=True)

    def _log(self, text: str) -> None:
        import sys

        print(f"# {text}", file=sys.stderr, flush=True)
