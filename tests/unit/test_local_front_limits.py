"""The local HTTP front's bounds, over a real loopback socket with a fake function (no AWS).

A chunk size of -1 must not make the front read to EOF, a client that stops sending must be cut
off, a body that trickles must be refused once its deadline passes, and connections past the
bound must get a 503 instead of a thread each.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from local.api_routes import Method, ResourceNode, Routes
from local.functions import LocalFunction
from local.http_front import ApiFront

CLIENT_TIMEOUT_S = 8.0


@pytest.fixture
def calls() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def front(calls: list[dict[str, Any]]) -> Iterator[ApiFront]:
    def handler(event: dict[str, Any], context: Any) -> Any:
        calls.append(event)
        return {"statusCode": 200, "body": json.dumps({"ok": True})}

    function = LocalFunction("Api", "api", "handlers.api.handler", {}, handler=handler)
    root = ResourceNode("", "root")
    open_node = ResourceNode("open", "open")
    open_node.methods["POST"] = Method("POST", "NONE", function)
    root.children = [open_node]
    api = ApiFront(
        Routes(root),
        verifier=None,
        stage="dev",
        port=0,
        max_body_bytes=1000,
        socket_timeout_s=0.5,
        body_deadline_s=1.0,
        max_connections=2,
    )
    api.start()
    try:
        yield api
    finally:
        api.stop()


def connect(api: ApiFront) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", api.port), timeout=CLIENT_TIMEOUT_S)
    return sock


def read_response(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (bounded by the client timeout)."""
    data = b""
    deadline = time.monotonic() + CLIENT_TIMEOUT_S
    while time.monotonic() < deadline:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_a_negative_chunk_size_is_a_400_not_a_read_to_eof(front: ApiFront, calls: list[dict[str, Any]]) -> None:
    with connect(front) as sock:
        sock.sendall(b"POST /open HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n" + b"x" * 5000)
        # The client keeps its side open: a front that reads to EOF would never answer.
        answer = read_response(sock)
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert b"negative chunk size" in answer
    assert calls == []


def test_a_client_that_stops_sending_headers_is_cut_off(front: ApiFront) -> None:
    with connect(front) as sock:
        sock.sendall(b"POST /open HTTP/1.1\r\nHost: x\r\n")  # and nothing more
        started = time.monotonic()
        answer = read_response(sock)
        waited = time.monotonic() - started
    assert answer == b""  # the front closed the connection without an answer
    assert waited < CLIENT_TIMEOUT_S - 1


def test_a_body_that_trickles_past_its_deadline_is_refused(front: ApiFront, calls: list[dict[str, Any]]) -> None:
    with connect(front) as sock:
        sock.sendall(b"POST /open HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
        answer = b""
        # One byte every 0.2 s: each read is within the socket timeout, the whole is not.
        for _ in range(40):
            try:
                sock.sendall(b"x")
            except OSError:
                break
            time.sleep(0.2)
            sock.setblocking(False)
            try:
                answer += sock.recv(65536)
            except BlockingIOError:
                pass
            finally:
                sock.setblocking(True)
            if answer:
                break
    assert answer.startswith(b"HTTP/1.1 400 "), answer
    assert b"did not arrive in time" in answer
    assert calls == []


def test_connections_past_the_bound_get_a_503(front: ApiFront, calls: list[dict[str, Any]]) -> None:
    idle = [connect(front), connect(front)]
    try:
        for sock in idle:
            sock.sendall(b"POS")  # an unfinished request line holds a connection slot
        time.sleep(0.2)  # both accepted
        with connect(front) as third:
            third.sendall(b"POST /open HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
            answer = read_response(third)
        assert answer.startswith(b"HTTP/1.1 503 ")
    finally:
        for sock in idle:
            sock.close()
    # Once the idle connections are gone, the slots are free again.
    for _ in range(50):
        with connect(front) as sock:
            sock.sendall(b"POST /open HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}")
            answer = read_response(sock)
        if answer.startswith(b"HTTP/1.1 200 "):
            break
        time.sleep(0.1)
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert len(calls) == 1
