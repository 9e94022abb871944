"""moto's server, in this process, on a free loopback port, one request at a time.

moto's threaded server loses updates under concurrency (measured: docs/design.md, test tiers);
serializing its WSGI app behind one lock made every run exact. It serves Cognito (with a JWKS at
`/<poolId>/.well-known/jwks.json`), SNS and SQS, and DynamoDB with `--dynamodb moto`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

LOOPBACK = "127.0.0.1"

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class SerializedApp:
    """A WSGI app that runs one request at a time, body included."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self.lock:
            # Drain the response inside the lock: moto may build the body lazily.
            result = self.app(environ, start_response)
            try:
                return [bytes(chunk) for chunk in result]
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()


class AwsEmulator:
    """moto's server in a daemon thread. `start()` returns the endpoint URL; `stop()` frees the port."""

    def __init__(self, port: int = 0) -> None:
        self.requested_port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise RuntimeError("the AWS emulator is not running")
        return f"http://{LOOPBACK}:{self._server.server_address[1]}"

    def start(self) -> str:
        # Imported here: moto is a dev/local dependency and takes a moment to import.
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )

        class QuietHandler(MotoRequestHandler):
            disable_nagle_algorithm = True  # see http_front: no 40 ms Nagle/delayed-ACK stalls

            def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
                pass  # one line per function invocation is the runtime's log, not one per AWS call

        app = SerializedApp(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(LOOPBACK, self.requested_port, app, threaded=True, request_handler=QuietHandler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="aws-emulator", daemon=True
        )
        self._thread.start()
        return self.endpoint

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
