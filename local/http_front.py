"""The REST API on 127.0.0.1, shaped by the template's API Gateway resources and methods.

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

import base64
import json
import logging
import re
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import jwt

from infra.names import OPENAPI_PATH, SWAGGER_PATH
from local.functions import LocalFunction
from local.template import ACCOUNT_ID, Resolver, Template

log = logging.getLogger("local")

LOOPBACK = "127.0.0.1"
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
JWKS_REFRESH_S = 30.0
COGNITO_AUTH = "COGNITO_USER_POOLS"
ENVIRONMENT_HEADER = "X-Local-Execution-Environment"
_INVOCATION_ARN = re.compile(r"functions/(?P<arn>arn:[^/]+)/invocations")


# ---------------------------------------------------------------------------------------------
# Routes


@dataclass
class Method:
    http_method: str
    authorization: str  # NONE | COGNITO_USER_POOLS | ...
    function: LocalFunction | None = None  # AWS_PROXY target
    integration: str = "AWS_PROXY"
    mock_status: int = 200
    mock_headers: dict[str, str] = field(default_factory=dict)


@dataclass
class ResourceNode:
    path_part: str  # "" for the root
    resource_id: str
    children: list[ResourceNode] = field(default_factory=list)
    methods: dict[str, Method] = field(default_factory=dict)

    @property
    def kind(self) -> int:
        """Match priority: literal (0), {param} (1), {param+} (2)."""
        if self.path_part.startswith("{") and self.path_part.endswith("+}"):
            return 2
        return 1 if self.path_part.startswith("{") else 0


@dataclass
class Match:
    node: ResourceNode
    resource_path: str
    path_parameters: dict[str, str]


class Routes:
    """The REST API's resource tree and methods."""

    def __init__(self, root: ResourceNode, gateway_headers: dict[str, dict[str, str]] | None = None) -> None:
        self.root = root
        self.gateway_headers = gateway_headers or {}

    @classmethod
    def from_template(
        cls, template: Template, resolver: Resolver, functions: dict[str, LocalFunction]
    ) -> Routes | None:
        apis = template.of_type("AWS::ApiGateway::RestApi")
        if not apis:
            return None
        root = ResourceNode("", "root")
        nodes: dict[str, ResourceNode] = {}
        resources = {r.logical_id: r for r in template.of_type("AWS::ApiGateway::Resource")}

        def node_for(logical_id: str) -> ResourceNode:
            if logical_id in nodes:
                return nodes[logical_id]
            props = resources[logical_id].properties
            parent_ref = props.get("ParentId") or {}
            parent = root if "Fn::GetAtt" in parent_ref else node_for(str(parent_ref.get("Ref")))
            node = ResourceNode(str(props["PathPart"]), logical_id)
            parent.children.append(node)
            parent.children.sort(key=lambda child: child.kind)
            nodes[logical_id] = node
            return node

        for logical_id in resources:
            node_for(logical_id)
        by_arn = {function.arn: function for function in functions.values()}
        for resource in template.of_type("AWS::ApiGateway::Method"):
            props = resource.properties
            resource_ref = props.get("ResourceId") or {}
            node = root if "Fn::GetAtt" in resource_ref else node_for(str(resource_ref.get("Ref")))
            integration = props.get("Integration") or {}
            method = Method(
                http_method=str(props.get("HttpMethod", "ANY")).upper(),
                authorization=str(props.get("AuthorizationType") or "NONE"),
                integration=str(integration.get("Type") or ""),
            )
            if integration.get("Type") in ("AWS_PROXY", "AWS"):
                uri = str(resolver.resolve_lenient(integration.get("Uri"), placeholder=""))
                found = _INVOCATION_ARN.search(uri)
                method.function = by_arn.get(found.group("arn")) if found else None
            elif integration.get("Type") == "MOCK":
                responses = integration.get("IntegrationResponses") or [{}]
                method.mock_status = int(responses[0].get("StatusCode", 200))
                method.mock_headers = _static_headers(responses[0].get("ResponseParameters") or {})
            node.methods[method.http_method] = method
        gateway_headers = {
            str(r.properties.get("ResponseType")): _static_headers(r.properties.get("ResponseParameters") or {})
            for r in template.of_type("AWS::ApiGateway::GatewayResponse")
        }
        return cls(root, gateway_headers)

    @classmethod
    def catch_all(cls, function: LocalFunction) -> Routes:
        """For a template without a REST API: every path to one function, authorized except the
        OpenAPI document and Swagger UI."""
        root = ResourceNode("", "root")
        proxy = ResourceNode("{proxy+}", "proxy")
        proxy.methods["ANY"] = Method("ANY", COGNITO_AUTH, function)
        root.children.append(proxy)
        for path in (OPENAPI_PATH, SWAGGER_PATH):
            open_node = ResourceNode(path.strip("/"), path)
            open_node.methods["ANY"] = Method("ANY", "NONE", function)
            root.children.insert(0, open_node)
        return cls(root)

    def match(self, path: str) -> Match | None:
        parts = [unquote(part) for part in path.strip("/").split("/")] if path.strip("/") else []
        return self._match(self.root, parts, [], {})

    def _match(self, node: ResourceNode, parts: list[str], names: list[str], params: dict[str, str]) -> Match | None:
        if not parts:
            return Match(node, "/" + "/".join(names), params) if node.methods else None
        head, rest = parts[0], parts[1:]
        for child in node.children:
            if child.kind == 0 and child.path_part == head:
                found = self._match(child, rest, [*names, child.path_part], params)
            elif child.kind == 1 and head:
                found = self._match(child, rest, [*names, child.path_part], {**params, child.path_part[1:-1]: head})
            elif child.kind == 2:
                name = child.path_part[1:-2]
                found = Match(child, "/" + "/".join([*names, child.path_part]), {**params, name: "/".join(parts)})
            else:
                found = None
            if found is not None:
                return found
        return None

    def gateway_response_headers(self, status: int) -> dict[str, str]:
        specific = {401: "UNAUTHORIZED", 403: "MISSING_AUTHENTICATION_TOKEN", 413: "REQUEST_TOO_LARGE"}.get(status)
        headers = dict(self.gateway_headers.get("DEFAULT_4XX" if status < 500 else "DEFAULT_5XX", {}))
        if specific:
            headers.update(self.gateway_headers.get(specific, {}))
        return headers


def _static_headers(parameters: dict[str, Any]) -> dict[str, str]:
    """`method.response.header.X: "'value'"` -> {"X": "value"} (only static, quoted values)."""
    headers = {}
    for key, value in parameters.items():
        name = key.rsplit(".header.", 1)[-1] if ".header." in key else None
        if name and isinstance(value, str) and value.startswith("'") and value.endswith("'"):
            headers[name] = value[1:-1]
    return headers


# ---------------------------------------------------------------------------------------------
# Token verification


class TokenVerifier:
    """Verifies Cognito ID tokens as API Gateway's Cognito authorizer does, against the local pool."""

    def __init__(self, *, jwks_url: str, issuer: str, audiences: list[str]) -> None:
        self.jwks_url = jwks_url
        self.issuer = issuer
        self.audiences = audiences
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    def _key(self, kid: str) -> Any:
        with self._lock:
            if kid not in self._keys and time.monotonic() - self._fetched_at > JWKS_REFRESH_S:
                self._fetch()
            return self._keys.get(kid)

    def _fetch(self) -> None:
        self._fetched_at = time.monotonic()
        with urllib.request.urlopen(self.jwks_url, timeout=5) as response:  # noqa: S310 - loopback URL
            document = json.loads(response.read())
        self._keys = {str(jwk["kid"]): jwt.PyJWK(jwk).key for jwk in document.get("keys", []) if "kid" in jwk}

    def verify(self, authorization: str | None) -> dict[str, Any] | None:
        """The token's claims when it is valid, else None (with the reason logged at debug)."""
        if not authorization:
            return None
        token = authorization.strip()
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        try:
            header = jwt.get_unverified_header(token)
            key = self._key(str(header.get("kid")))
            if key is None or header.get("alg") != "RS256":
                return None
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=self.audiences,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "token_use"]},
            )
        except (jwt.PyJWTError, OSError, ValueError) as error:
            log.debug("token refused: %s", error)
            return None
        if claims.get("token_use") != "id":
            return None
        return claims


def _api_gateway_date(epoch: Any) -> str:
    return datetime.fromtimestamp(float(epoch), tz=UTC).strftime("%a %b %d %H:%M:%S UTC %Y")


def flatten_claims(claims: dict[str, Any]) -> dict[str, str]:
    """Claims as API Gateway's Cognito authorizer passes them: every value a string."""
    out: dict[str, str] = {}
    for name, value in claims.items():
        if name in ("exp", "iat"):
            out[name] = _api_gateway_date(value)
        elif isinstance(value, list):
            out[name] = ",".join(str(item) for item in value)
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        else:
            out[name] = str(value)
    return out


# ---------------------------------------------------------------------------------------------
# Events and responses


def build_event(
    *,
    method: str,
    raw_path: str,
    headers: list[tuple[str, str]],
    body: bytes,
    match: Match,
    stage: str,
    claims: dict[str, str] | None,
    source_ip: str,
    host: str,
) -> dict[str, Any]:
    """The API Gateway REST proxy event (payload format 1.0) for one request."""
    split = urlsplit(raw_path)
    path = unquote(split.path) or "/"
    single_headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        single_headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    query = parse_qsl(split.query, keep_blank_values=True)
    single_query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for name, value in query:
        single_query[name] = value
        multi_query.setdefault(name, []).append(value)
    if body:
        try:
            text, encoded = body.decode("utf-8"), False
        except UnicodeDecodeError:
            text, encoded = base64.b64encode(body).decode(), True
    else:
        text, encoded = None, False
    now = datetime.now(UTC)
    request_id = str(uuid.uuid4())
    context: dict[str, Any] = {
        "accountId": ACCOUNT_ID,
        "apiId": "local",
        "domainName": host,
        "domainPrefix": host.split(".")[0],
        "extendedRequestId": request_id,
        "httpMethod": method,
        "identity": {
            "sourceIp": source_ip,
            "userAgent": single_headers.get("User-Agent") or single_headers.get("user-agent"),
            "accessKey": None,
            "accountId": None,
            "caller": None,
            "user": None,
            "userArn": None,
        },
        "path": f"/{stage}{path}",
        "protocol": "HTTP/1.1",
        "requestId": request_id,
        "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "requestTimeEpoch": int(now.timestamp() * 1000),
        "resourceId": match.node.resource_id,
        "resourcePath": match.resource_path,
        "stage": stage,
    }
    if claims is not None:
        context["authorizer"] = {"claims": claims}
    return {
        "resource": match.resource_path,
        "path": path,
        "httpMethod": method,
        "headers": single_headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": single_query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": match.path_parameters or None,
        "stageVariables": None,
        "requestContext": context,
        "body": text,
        "isBase64Encoded": encoded,
    }


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def proxy_response(result: Any) -> HttpResponse | None:
    """The HTTP response for a Lambda proxy result, or None when it is malformed (-> 502)."""
    if not isinstance(result, dict):
        return None
    try:
        status = int(result.get("statusCode", 200))
    except (TypeError, ValueError):
        return None
    headers: dict[str, list[str]] = {}
    for name, value in (result.get("headers") or {}).items():
        headers[str(name)] = [str(value)]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[str(name)] = [str(value) for value in (values or [])]
    body = result.get("body") or ""
    if not isinstance(body, str):
        return None
    try:
        payload = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    except ValueError:
        return None
    return HttpResponse(status, [(n, v) for n, values in headers.items() for v in values], payload)


def json_response(status: int, message: str, extra: dict[str, str] | None = None) -> HttpResponse:
    body = json.dumps({"message": message}).encode()
    headers = [("Content-Type", "application/json"), *((extra or {}).items())]
    return HttpResponse(status, headers, body)


# ---------------------------------------------------------------------------------------------
# The server


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
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, name="api-front", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

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
