"""The template's WebSocket API on loopback, as API Gateway serves it, with `websockets`.

- `ws://127.0.0.1:<port>/<stage>?token=...`: the handshake first invokes the `$connect` route's
  Lambda authorizer with a REQUEST event (an `Unauthorized` error refuses the handshake with 401,
  a Deny policy with 403), then the `$connect` route's function with the authorizer's context in
  `requestContext.authorizer` (a non-2xx answer refuses it too). Only then is the connection open.
- Each message a client sends invokes `$default`; a closed connection invokes `$disconnect`.
- The `@connections` management API the pusher calls (`POST|GET|DELETE /<stage>/@connections/<id>`)
  is served on a second loopback port: `websockets` parses only GET requests. A POST queues the
  data for that connection and answers at once, as API Gateway does, so a slow client delays no
  caller; an unknown or closed connection answers 410 `GoneException`.

The routes, their functions and the authorizer are read from the template
(`AWS::ApiGatewayV2::Route`, `::Integration`, `::Authorizer`, `::Stage`).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from local.functions import LocalFunction
from local.server_thread import LOOPBACK, ServerThread
from local.template import ACCOUNT_ID, REGION, Resolver, Template, logical_id_of

log = logging.getLogger("local")

LOCAL_API_ID = "localws"
MAX_QUEUED_MESSAGES = 1000  # a client this far behind is treated as gone, as API Gateway would
CONNECT, DISCONNECT, DEFAULT = "$connect", "$disconnect", "$default"


def _referenced(value: Any) -> Iterator[str]:
    """Every logical id a value refers to (Ref / GetAtt, at any depth: ARNs are built with Join)."""
    target = logical_id_of(value)
    if target is not None:
        yield target
    if isinstance(value, dict):
        for item in value.values():
            yield from _referenced(item)
    elif isinstance(value, list):
        for item in value:
            yield from _referenced(item)


@dataclass
class WebSocketRoutes:
    """Route key -> function, the `$connect` authorizer's function, and the stage name."""

    stage: str
    routes: dict[str, LocalFunction]
    authorizer: LocalFunction | None

    @classmethod
    def from_template(
        cls, template: Template, resolver: Resolver, functions: dict[str, LocalFunction]
    ) -> WebSocketRoutes | None:
        apis = [
            r for r in template.of_type("AWS::ApiGatewayV2::Api") if r.properties.get("ProtocolType") == "WEBSOCKET"
        ]
        if not apis:
            return None

        def function_of(logical_id: str | None) -> LocalFunction | None:
            if logical_id is None:
                return None
            resource = template.resource(logical_id)
            for ref in _referenced(resource.properties):
                if ref in functions:
                    return functions[ref]
            return None

        routes: dict[str, LocalFunction] = {}
        authorizer = None
        for route in template.of_type("AWS::ApiGatewayV2::Route"):
            key = str(route.properties.get("RouteKey"))
            integration = next(
                (ref for ref in _referenced(route.properties.get("Target")) if ref != apis[0].logical_id), None
            )
            function = function_of(integration)
            if function is not None:
                routes[key] = function
            if key == CONNECT and route.properties.get("AuthorizerId"):
                authorizer = function_of(logical_id_of(route.properties["AuthorizerId"]))
        stages = template.of_type("AWS::ApiGatewayV2::Stage")
        stage = str(resolver.resolve_lenient(stages[0].properties.get("StageName"), "dev")) if stages else "dev"
        return cls(stage, routes, authorizer)


@dataclass
class _Client:
    connection: ServerConnection
    connection_id: str
    context: dict[str, Any]
    connected_at: datetime
    queue: asyncio.Queue[bytes | str]


class WebSocketFront:
    """`start()` returns the ws:// URL; `management_url` is the @connections endpoint; `stop()`."""

    def __init__(self, routes: WebSocketRoutes, port: int = 0, management_port: int = 0) -> None:
        self.routes = routes
        self.requested_port = port
        self.requested_management_port = management_port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._management: ServerThread | None = None
        self._pending: dict[int, tuple[str, dict[str, Any]]] = {}
        self._clients: dict[str, _Client] = {}

    @property
    def url(self) -> str:
        assert self._server is not None
        port = next(iter(self._server.sockets)).getsockname()[1]
        return f"ws://{LOOPBACK}:{port}/{self.routes.stage}"

    @property
    def management_url(self) -> str:
        assert self._management is not None
        return f"{self._management.url}/{self.routes.stage}"

    @property
    def connection_ids(self) -> list[str]:
        return list(self._clients)

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> str:
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                self._server = loop.run_until_complete(self._serve())
            except BaseException as error:  # noqa: BLE001 - reported to start()'s caller
                failure.append(error)
                started.set()
                return
            started.set()
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._thread = threading.Thread(target=run, name="websocket-front", daemon=True)
        self._thread.start()
        started.wait(10)
        if failure:
            raise failure[0]
        self._start_management()
        return self.url

    async def _serve(self) -> Server:
        return await serve(
            self._handle,
            LOOPBACK,
            self.requested_port,
            process_request=self._process_request,
            max_size=128 * 1024,  # API Gateway's frame limit is 32 KB, its message limit 128 KB
            ping_interval=None,  # API Gateway does not ping; an idle client is closed after 10 min there
        )

    def stop(self) -> None:
        management, self._management = self._management, None
        if management is not None:
            management.stop()
        loop, server = self._loop, self._server
        if loop is not None and server is not None:

            async def close() -> None:
                server.close()
                await asyncio.wait_for(server.wait_closed(), timeout=2)

            try:
                asyncio.run_coroutine_threadsafe(close(), loop).result(timeout=3)
            except Exception as error:  # noqa: BLE001 - stopping goes on
                log.debug("websocket front: close: %s", error)
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=3)
            self._thread = None
        self._server = None

    # -- the handshake: authorizer, then $connect ------------------------------------------------------

    def _request_context(self, route: str, connection_id: str, event_type: str) -> dict[str, Any]:
        now = datetime.now(UTC)
        return {
            "routeKey": route,
            "eventType": event_type,
            "connectionId": connection_id,
            "stage": self.routes.stage,
            "apiId": LOCAL_API_ID,
            "domainName": LOOPBACK,
            "requestId": str(uuid.uuid4()),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "connectedAt": int(now.timestamp() * 1000),
        }

    async def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        split = urlsplit(request.path)
        if split.path.rstrip("/") != f"/{self.routes.stage}":
            return connection.respond(HTTPStatus.NOT_FOUND, "Not Found\n")
        query = dict(parse_qsl(split.query))
        headers = dict(request.headers.raw_items())
        connection_id = base64.b64encode(uuid.uuid4().bytes[:9]).decode()
        context: dict[str, Any] = {}
        authorizer = self.routes.authorizer
        if authorizer is not None:
            event = {
                "type": "REQUEST",
                "methodArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{LOCAL_API_ID}/{self.routes.stage}/{CONNECT}",
                "headers": headers,
                "queryStringParameters": query,
                "requestContext": self._request_context(CONNECT, connection_id, "CONNECT"),
            }
            try:
                answer = await asyncio.to_thread(authorizer.invoke, event, "$connect authorizer")
            except Exception as error:  # noqa: BLE001 - the authorizer's error decides the status
                # API Gateway answers 401 when the authorizer's errorMessage is exactly this
                if getattr(error, "error_message", str(error)) == "Unauthorized":
                    return connection.respond(HTTPStatus.UNAUTHORIZED, "Unauthorized\n")
                return connection.respond(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal server error\n")
            statements = (answer.get("policyDocument") or {}).get("Statement") or []
            if not statements or any(s.get("Effect") != "Allow" for s in statements):
                return connection.respond(HTTPStatus.FORBIDDEN, "Forbidden\n")
            context = {**(answer.get("context") or {}), "principalId": answer.get("principalId")}
        route = self.routes.routes.get(CONNECT)
        if route is not None:
            connect_event: dict[str, Any] = {
                "headers": headers,
                "queryStringParameters": query,
                "requestContext": {**self._request_context(CONNECT, connection_id, "CONNECT"), "authorizer": context},
                "isBase64Encoded": False,
            }
            try:
                answer = await asyncio.to_thread(route.invoke, connect_event, "$connect")
            except Exception:  # noqa: BLE001
                return connection.respond(HTTPStatus.INTERNAL_SERVER_ERROR, "Internal server error\n")
            status = int((answer or {}).get("statusCode", 200))
            if not 200 <= status < 300:
                return connection.respond(HTTPStatus(status), "Forbidden\n" if status == 403 else "Refused\n")
        self._pending[id(connection)] = (connection_id, context)
        return None

    # -- an open connection ------------------------------------------------------------------------------

    async def _handle(self, connection: ServerConnection) -> None:
        connection_id, context = self._pending.pop(id(connection))
        client = _Client(connection, connection_id, context, datetime.now(UTC), asyncio.Queue(MAX_QUEUED_MESSAGES))
        self._clients[connection_id] = client
        writer = asyncio.create_task(self._write(client))
        try:
            async for message in connection:
                await self._invoke(DEFAULT, client, "MESSAGE", body=message)
        except ConnectionClosed:
            pass
        finally:
            self._clients.pop(connection_id, None)
            writer.cancel()
            await self._invoke(DISCONNECT, client, "DISCONNECT")

    async def _write(self, client: _Client) -> None:
        try:
            while True:
                await client.connection.send(await client.queue.get())
        except ConnectionClosed:
            self._clients.pop(client.connection_id, None)

    async def _invoke(self, route_key: str, client: _Client, event_type: str, body: Any = None) -> None:
        function = self.routes.routes.get(route_key)
        if function is None:
            return
        event: dict[str, Any] = {
            "requestContext": {
                **self._request_context(route_key, client.connection_id, event_type),
                "authorizer": client.context,
            },
            "isBase64Encoded": isinstance(body, bytes),
        }
        if body is not None:
            event["body"] = base64.b64encode(body).decode() if isinstance(body, bytes) else body
        # An error is logged by invoke; the connection lives on, as in AWS.
        with contextlib.suppress(Exception):
            await asyncio.to_thread(function.invoke, event, route_key)

    # -- @connections --------------------------------------------------------------------------------

    def post(self, connection_id: str, data: bytes) -> bool:
        """Queue `data` for the connection; False when it is gone (or too far behind: then closed)."""
        client = self._clients.get(connection_id)
        loop = self._loop
        if client is None or loop is None:
            return False
        if client.queue.full():
            self.close(connection_id)
            return False
        text = data.decode("utf-8", errors="replace")
        loop.call_soon_threadsafe(client.queue.put_nowait, text)
        return True

    def close(self, connection_id: str) -> bool:
        client = self._clients.pop(connection_id, None)
        if client is None or self._loop is None:
            return False
        asyncio.run_coroutine_threadsafe(client.connection.close(), self._loop)
        return True

    def _start_management(self) -> None:
        front = self
        prefix = f"/{self.routes.stage}/@connections/"

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _connection_id(self) -> str | None:
                path = urlsplit(self.path).path
                return unquote(path[len(prefix) :]) if path.startswith(prefix) else None

            def _reply(self, status: int, body: dict[str, Any] | None = None, error: str | None = None) -> None:
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if error:
                    self.send_header("X-Amzn-ErrorType", error)
                self.end_headers()
                self.wfile.write(data)

            def _gone(self) -> None:
                self._reply(410, {"message": "Gone"}, "GoneException")

            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                connection_id = self._connection_id()
                data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if connection_id is None:
                    self._reply(404, {"message": "Not Found"}, "NotFoundException")
                elif front.post(connection_id, data):
                    self._reply(200)
                else:
                    self._gone()

            def do_DELETE(self) -> None:  # noqa: N802
                connection_id = self._connection_id()
                if connection_id is not None and front.close(connection_id):
                    self._reply(204)
                else:
                    self._gone()

            def do_GET(self) -> None:  # noqa: N802
                client = front._clients.get(self._connection_id() or "")
                if client is None:
                    self._gone()
                    return
                at = client.connected_at.isoformat().replace("+00:00", "Z")
                self._reply(200, {"ConnectedAt": at, "LastActiveAt": at, "Identity": {"SourceIp": LOOPBACK}})

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        server = ThreadingHTTPServer((LOOPBACK, self.requested_management_port), Handler)
        server.daemon_threads = True
        self._management = ServerThread(server, "websocket-management")
