"""The REST API on 127.0.0.1, shaped by the template's API Gateway resources and methods.

The parts: `local.api_routes` (which method a request reaches), `local.authorizer` (the Cognito
authorizer), `local.proxy_events` (the proxy event and the response); this module is the server.
It bounds what a client can hold: a body over 10 MB (however it is framed) is a 413, every socket
read and write waits at most 20 s, a body must arrive within 60 s, and at most 64 connections
hold a thread at once (one more gets a 503); a malformed or late body is a 400 that closes the
connection.

Each request is matched to a method of the template's REST API (most specific resource first, as
API Gateway does: a literal path part wins over `{param}`, which wins over `{proxy+}`) and
becomes the proxy event API Gateway sends to the method's Lambda. Methods with
`AuthorizationType: COGNITO_USER_POOLS` first verify the ID token from the `Authorization` header
(raw or `Bearer `) against the local pool's JWKS: RS256 signature, issuer (the pool), audience
(one of the pool's app clients), expiry and `token_use: id`; on any failure the answer is 401
`{"message": "Unauthorized"}` and the function is not invoked. The verified claims go to
`requestContext.authorizer.claims` as API Gateway passes them (string values). Other answers a
client can get from API Gateway itself: 403 `Missing Authentication Token` for an unknown
route, 413 `Request Too Long` over the 10 MB payload limit, 502 `Internal server error` when the
function fails or returns a malformed response. MOCK integrations (the CORS preflights) answer
with their integration response's headers; gateway responses add their headers (CORS) to 4xx/5xx.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from local.api_routes import COGNITO_AUTH, Routes
from local.authorizer import TokenVerifier, flatten_claims
from local.proxy_events import HttpResponse, build_event, json_response, proxy_response
from local.server_thread import LOOPBACK, ServerThread

log = logging.getLogger("local")

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
DRAIN_LIMIT_FACTOR = 4  # bodies up to 4x the limit are read (and dropped) before the 413
# A client that sends nothing for this long (headers, body, or between kept-alive requests) is cut
# off: an idle or trickling connection must not hold its thread forever.
SOCKET_TIMEOUT_S = 20.0
# A body must arrive within this long in total, however it trickles (slow-loris bodies).
BODY_DEADLINE_S = 60.0
# Connections served at once; one more is answered 503 and closed rather than given a thread.
MAX_CONNECTIONS = 64
READ_CHUNK = 64 * 1024
ENVIRONMENT_HEADER = "X-Local-Execution-Environment"


class _BodyTooLarge(Exception):
    pass


class _BadBody(Exception):
    """A body the front cannot read: a malformed chunk size, or one that does not arrive in time."""


class BoundedThreadingHTTPServer(ThreadingHTTPServer):
    """A thread per connection, at most `max_connections` at once.

    A connection past the bound gets a 503 and is closed by the accepting thread, so that a flood
    of idle connections costs sockets the kernel times out, not threads.
    """

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: Any, max_connections: int = MAX_CONNECTIONS) -> None:
        super().__init__(address, handler)
        self.max_connections = max_connections
        self._slots = threading.BoundedSemaphore(max_connections)
        self.refused = 0

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self.refused += 1
            try:
                request.settimeout(1.0)
                request.sendall(BUSY_RESPONSE)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


_BUSY_BODY = b'{"message": "Service Unavailable"}'
BUSY_RESPONSE = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
    + f"Content-Length: {len(_BUSY_BODY)}\r\nConnection: close\r\n\r\n".encode()
    + _BUSY_BODY
)


class ApiFront:
    """Serves the REST API on 127.0.0.1:`port` in a thread pool (one thread per connection)."""

    def __init__(
        self,
        routes: Routes,
        *,
        verifier: TokenVerifier | None,
        stage: str,
        port: int,
        max_body_bytes: int = MAX_BODY_BYTES,
        on_request: Callable[[str, str, int, float], None] | None = None,
        socket_timeout_s: float = SOCKET_TIMEOUT_S,
        body_deadline_s: float = BODY_DEADLINE_S,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.routes = routes
        self.verifier = verifier
        self.stage = stage
        self.max_body_bytes = max_body_bytes
        self.on_request = on_request
        self.body_deadline_s = body_deadline_s
        front = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "local-api-gateway"
            # Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm
            # and the client's delayed ACK add ~40 ms to every kept-alive response.
            disable_nagle_algorithm = True
            # socketserver applies this to the connection's socket: every read and write waits at
            # most this long (an idle kept-alive connection is closed after it too).
            timeout = socket_timeout_s

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
                log.debug("http %s", format % args)

            def handle_one(self) -> None:
                front.handle(self)

            def __getattr__(self, name: str) -> Any:
                # Every method reaches the front (TRACE, made-up ones): API Gateway answers them all,
                # 403 when no route has the method, never the stdlib's 501 HTML page.
                if name.startswith("do_"):
                    return self.handle_one
                raise AttributeError(name)

        self.server = BoundedThreadingHTTPServer((LOOPBACK, port), Handler, max_connections)
        self._served: ServerThread | None = None

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/"

    def start(self) -> None:
        self._served = ServerThread(self.server, "api-front")

    def stop(self) -> None:
        served, self._served = self._served, None
        if served is not None:
            served.stop()
        else:  # bound but never served: only the port to free
            self.server.server_close()

    def call(self, method: str, path: str, body: Any, claims: dict[str, str]) -> tuple[int, Any]:
        """Invoke the route's function in-process with the given (already verified) claims, as an
        authorized request would: the demo seeds through this. Returns (status, JSON body)."""
        match = self.routes.match(path)
        target = match.node.methods.get(method) if match else None
        if match is None or target is None or target.function is None:
            raise LookupError(f"no Lambda route for {method} {path}")
        event = build_event(
            method=method,
            raw_path=path,
            headers=[("Content-Type", "application/json"), ("Host", f"{LOOPBACK}:{self.port}")],
            body=json.dumps(body).encode() if body is not None else b"",
            match=match,
            stage=self.stage,
            claims=claims,
            source_ip=LOOPBACK,
            host=f"{LOOPBACK}:{self.port}",
        )
        response = proxy_response(target.function.invoke(event, describe=f"{method} {path}"))
        if response is None:
            raise RuntimeError(f"{method} {path}: malformed proxy response")
        return response.status, json.loads(response.body) if response.body else None

    # -- one request ------------------------------------------------------------------------------

    def _read_body(self, request: BaseHTTPRequestHandler) -> bytes:
        deadline = time.monotonic() + self.body_deadline_s
        if "chunked" in (request.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked(request, deadline)
        try:
            length = int(request.headers.get("Content-Length") or 0)
        except ValueError:
            raise _BadBody("Content-Length is not a number") from None
        if length < 0:
            raise _BadBody("Content-Length is negative")
        if length > self.max_body_bytes:
            if length <= DRAIN_LIMIT_FACTOR * self.max_body_bytes:
                # Read what the client is sending so that it sees the 413, not a broken pipe.
                self._read_exactly(request, length, deadline, keep=False)
            raise _BodyTooLarge
        return self._read_exactly(request, length, deadline)

    def _read_chunked(self, request: BaseHTTPRequestHandler, deadline: float) -> bytes:
        chunks, total = [], 0
        for _ in range(1_000_000):  # bounded by the size limit long before this
            line = request.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip() or b"0", 16)
            except ValueError:
                raise _BadBody("malformed chunk size") from None
            if size < 0:
                # int("-1", 16) is -1, and rfile.read(-1) would read to EOF past every limit.
                raise _BadBody("negative chunk size")
            if size == 0:
                request.rfile.readline(1024)
                break
            total += size
            if total > self.max_body_bytes:
                raise _BodyTooLarge
            chunks.append(self._read_exactly(request, size, deadline))
            request.rfile.readline(1024)
        return b"".join(chunks)

    @staticmethod
    def _read_exactly(request: BaseHTTPRequestHandler, length: int, deadline: float, keep: bool = True) -> bytes:
        """`length` bytes in reads of at most READ_CHUNK, all within `deadline` (else _BadBody)."""
        parts: list[bytes] = []
        remaining = length
        while remaining > 0:
            if time.monotonic() > deadline:
                raise _BadBody("the body did not arrive in time")
            # read1: one socket read at most, so the deadline is checked between a trickle's bytes.
            chunk = request.rfile.read1(min(remaining, READ_CHUNK))
            if not chunk:
                break
            remaining -= len(chunk)
            if keep:
                parts.append(chunk)
        return b"".join(parts)

    def _strip_stage(self, path: str) -> str:
        prefix = f"/{self.stage}"
        if path == prefix or path.startswith(prefix + "/"):
            return path[len(prefix) :] or "/"
        return path

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        started = time.perf_counter()
        method = request.command.upper()
        raw_path = request.path
        split = urlsplit(raw_path)
        path = self._strip_stage(split.path)
        close = False
        try:
            body = self._read_body(request)
        except _BodyTooLarge:
            close = True
            response = self._gateway(413, "Request Too Long")
        except (_BadBody, TimeoutError) as error:
            # The rest of the stream cannot be trusted: answer and close the connection.
            close = True
            response = self._gateway(400, f"Bad Request: {error}" if str(error) else "Bad Request")
        else:
            try:
                response = self._respond(request, method, path, split.query, body)
            except Exception as error:  # a fault of the emulator itself, never the function's
                log.exception("front: %s %s failed: %s", method, path, error)
                response = self._gateway(500, "Internal server error")
        self._write(request, method, response, close)
        if self.on_request:
            self.on_request(method, path, response.status, (time.perf_counter() - started) * 1000)

    def _gateway(self, status: int, message: str) -> HttpResponse:
        return json_response(status, message, self.routes.gateway_response_headers(status))

    def _respond(
        self, request: BaseHTTPRequestHandler, method: str, path: str, query: str, body: bytes
    ) -> HttpResponse:
        match = self.routes.match(path)
        target = None
        if match is not None:
            target = match.node.methods.get(method) or match.node.methods.get("ANY")
            if target is None and method == "HEAD":
                target = match.node.methods.get("GET")
        if match is None or target is None:
            return self._gateway(403, "Missing Authentication Token")
        claims = None
        if target.authorization == COGNITO_AUTH:
            verified = self.verifier.verify(request.headers.get("Authorization")) if self.verifier else None
            if verified is None:
                return self._gateway(401, "Unauthorized")
            claims = flatten_claims(verified)
        elif target.authorization != "NONE":
            return self._gateway(401, "Unauthorized")  # IAM / custom authorizers: not emulated
        if target.integration == "MOCK":
            return HttpResponse(target.mock_status, list(target.mock_headers.items()), b"")
        if target.function is None:
            return self._gateway(500, "Internal server error")
        event = build_event(
            method=method,
            raw_path=path + (f"?{query}" if query else ""),
            headers=list(request.headers.items()),
            body=body,
            match=match,
            stage=self.stage,
            claims=claims,
            source_ip=str(request.client_address[0]),
            host=str(request.headers.get("Host") or f"{LOOPBACK}:{self.port}"),
        )
        try:
            result, environment = target.function.invoke_in_environment(event, describe=f"{method} {path}")
        except Exception:
            return self._gateway(502, "Internal server error")
        response = proxy_response(result)
        if response is None:
            log.warning("%s returned a malformed proxy response", target.function.name)
            return self._gateway(502, "Internal server error")
        response.headers.append(("x-amzn-RequestId", event["requestContext"]["requestId"]))
        if environment is not None:
            # Local only: which execution environment answered, so that a test can show that
            # concurrent requests really ran at once (in different environments).
            response.headers.append((ENVIRONMENT_HEADER, str(environment)))
        return response

    def _write(self, request: BaseHTTPRequestHandler, method: str, response: HttpResponse, close: bool) -> None:
        try:
            request.send_response(
                response.status, HTTPStatus(response.status).phrase if _known(response.status) else ""
            )
            skip = {"content-length", "connection", "transfer-encoding"}
            for name, value in response.headers:
                if name.lower() not in skip:
                    request.send_header(name, value)
            request.send_header("Content-Length", str(len(response.body)))
            if close:
                request.send_header("Connection", "close")
                request.close_connection = True
            request.end_headers()
            if method != "HEAD":
                request.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            request.close_connection = True


def _known(status: int) -> bool:
    try:
        HTTPStatus(status)
    except ValueError:
        return False
    return True
