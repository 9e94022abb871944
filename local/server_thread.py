"""A loopback server answering from a daemon thread: how the local runtime runs each of its servers."""

from __future__ import annotations

import threading
from typing import Any

# Every local server binds here only: nothing the local runtime serves is reachable from the network.
LOOPBACK = "127.0.0.1"


class ServerThread:
    """Serves `server` (a `socketserver`-style server bound to loopback) until `stop()`."""

    def __init__(self, server: Any, name: str) -> None:
        self.server = server
        # A short poll interval: stop() returns within 0.1 s instead of the default 0.5 s.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name=name, daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def stop(self) -> None:
        """Stop serving, free the port and wait (up to 5 s) for the thread."""
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
