"""The test harness's HTTP client never sends a request twice that the server may have acted on."""

from __future__ import annotations

import http.client
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from harness.runtime_process import Api


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, behaviour: str) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.behaviour = behaviour  # "drop": close without answering; "answer-then-close": 200, then close
        self.seen: Counter[str] = Counter()
        self.closed = threading.Semaphore(0)  # released each time the server has closed a connection

    def shutdown_request(self, request: Any) -> None:
        super().shutdown_request(request)
        self.closed.release()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def _handle(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.seen[self.command] += 1
        if self.server.behaviour == "drop":
            self.close_connection = True  # the request was received, and no answer ever comes
            return
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True  # closes the kept-alive connection without saying so

    do_GET = do_POST = _handle  # noqa: N815 - http.server's naming

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    running = Server(request.param)
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    yield running
    running.shutdown()
    running.server_close()
    thread.join(5)


def api_for(server: Server) -> Api:
    return Api(f"http://127.0.0.1:{server.server_address[1]}", timeout=5)


@pytest.mark.parametrize("server", ["drop"], indirect=True)
def test_a_post_whose_answer_never_came_is_not_sent_again(server: Server) -> None:
    api = api_for(server)
    with pytest.raises(http.client.RemoteDisconnected):
        api.post("/orders", {"items": []})
    api.close()
    assert server.seen == Counter({"POST": 1})


@pytest.mark.parametrize("server", ["drop"], indirect=True)
def test_a_get_whose_answer_never_came_is_tried_once_more(server: Server) -> None:
    api = api_for(server)
    with pytest.raises(http.client.RemoteDisconnected):
        api.get("/orders")
    api.close()
    assert server.seen == Counter({"GET": 2})


@pytest.mark.parametrize("server", ["answer-then-close"], indirect=True)
def test_a_connection_the_server_closed_while_idle_is_replaced_before_sending(server: Server) -> None:
    api = api_for(server)
    answers = []
    try:
        for n in range(3):
            answers.append(api.post("/orders", {"n": n})[0])
            # The kept-alive connection is idle, and the server has closed it (not said so)
            assert server.closed.acquire(timeout=5)
    finally:
        api.close()
    assert answers == [200, 200, 200]
    assert server.seen == Counter({"POST": 3})
