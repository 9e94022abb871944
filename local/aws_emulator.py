"""The local AWS endpoint, in this process, on a free loopback port, one request at a time.

It serves the local user pool (`local.cognito`: Cognito's API and a JWKS at
`/<poolId>/.well-known/jwks.json`) and, through moto's server, SNS, SQS, and DynamoDB with
`--dynamodb moto`. moto's threaded server loses updates under concurrency (measured:
docs/design.md, test tiers); serializing the WSGI app behind one lock made every run exact.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.serving import make_server

from local.cognito.pool import UserPools
from local.cognito.service import CognitoService
from local.server_thread import LOOPBACK, ServerThread

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

    def __init__(self, port: int = 0, user_pools: UserPools | None = None) -> None:
        self.requested_port = port
        self.user_pools = user_pools
        self._served: ServerThread | None = None

    @property
    def endpoint(self) -> str:
        if self._served is None:
            raise RuntimeError("the AWS emulator is not running")
        return self._served.url

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

        moto_app = DomainDispatcherApplication(create_backend_app)
        app = SerializedApp(CognitoService(self.user_pools, moto_app) if self.user_pools is not None else moto_app)
        server = make_server(LOOPBACK, self.requested_port, app, threaded=True, request_handler=QuietHandler)
        self._served = ServerThread(server, "aws-emulator")
        return self.endpoint

    def stop(self) -> None:
        served, self._served = self._served, None
        if served is not None:
            served.stop()
