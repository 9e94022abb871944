"""The local runtime's parts, without AWS: references, routes, events, tokens, stream records, files."""

from __future__ import annotations

import base64
import http.client
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from harness.runtime_process import wait_for
from local.api_routes import COGNITO_AUTH, Method, ResourceNode, Routes
from local.authorizer import TokenVerifier, flatten_claims
from local.checkpoints import CLOSED, Checkpoints
from local.functions import LocalFunction
from local.http_front import ApiFront
from local.outputs import read_outputs, write_atomically
from local.pollers import failure_record
from local.proxy_events import build_event, proxy_response
from local.runtime import AlreadyRunning, StateLock
from local.stream_events import lambda_record
from local.template import Resolver, Template, UnresolvedError

# -- template references ------------------------------------------------------------------------

TEMPLATE: dict[str, Any] = {
    "Parameters": {"Layer": {"Type": "String", "Default": "/ssm/layer"}, "NoDefault": {"Type": "String"}},
    "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}},
    "Resources": {
        "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
        "Stage": {"Type": "AWS::ApiGateway::Stage", "Properties": {}},
        "Fn": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Handler": "handlers.api.handler",
                "Runtime": "python3.13",
                "Environment": {
                    "Variables": {
                        "TABLE": {"Ref": "Table"},
                        "STREAM": {"Fn::GetAtt": ["Table", "StreamArn"]},
                        "MISSING": {"Fn::GetAtt": ["Nowhere", "Arn"]},
                        "PLAIN": "x",
                    }
                },
            },
        },
    },
    "Outputs": {},
}


@pytest.fixture
def resolver() -> Resolver:
    r = Resolver(Template("Stack-dev", TEMPLATE))
    r.record("Table", Ref="Stack-dev-Table", StreamArn="arn:stream", Arn="arn:table")
    r.record("Stage", Ref="dev")
    return r


def test_intrinsic_functions_resolve_to_local_values(resolver: Resolver) -> None:
    assert resolver.resolve({"Ref": "Table"}) == "Stack-dev-Table"
    assert resolver.resolve({"Fn::GetAtt": "Table.StreamArn"}) == "arn:stream"
    assert resolver.resolve({"Ref": "Layer"}) == "/ssm/layer"
    assert resolver.resolve({"Fn::Join": ["/", [{"Ref": "AWS::Region"}, {"Ref": "AWS::AccountId"}]]}) == (
        "us-east-1/123456789012"
    )
    assert resolver.resolve({"Fn::Sub": "${Table}:${Table.Arn}:${AWS::Partition}:${!Literal}"}) == (
        "Stack-dev-Table:arn:table:aws:${Literal}"
    )
    assert resolver.resolve({"Fn::Sub": ["${A}-x", {"A": {"Ref": "Stage"}}]}) == "dev-x"
    assert resolver.resolve({"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}) == "b"
    assert resolver.resolve({"Fn::If": ["IsProd", "keep", "drop"]}) == "drop"


def test_unresolvable_references_raise_and_environments_skip_them(resolver: Resolver) -> None:
    with pytest.raises(UnresolvedError):
        resolver.resolve({"Ref": "NoDefault"})
    with pytest.raises(UnresolvedError):
        resolver.resolve({"Fn::ImportValue": "x"})
    skipped: list[str] = []
    env = resolver.environment(resolver.template.resources["Fn"], skipped)
    assert env == {"TABLE": "Stack-dev-Table", "STREAM": "arn:stream", "PLAIN": "x"}
    assert skipped == ["MISSING"]


# -- routes and events --------------------------------------------------------------------------


def fake_function(handler: Any) -> LocalFunction:
    return LocalFunction("Api", "api", "handlers.api.handler", {}, handler=handler)


def routes_for(function: LocalFunction) -> Routes:
    """/orders (GET, Cognito), /orders/{code} (GET), /orders/recent (GET), /files/{path+}, /open."""
    root = ResourceNode("", "root")
    orders = ResourceNode("orders", "orders")
    orders.methods["GET"] = Method("GET", COGNITO_AUTH, function)
    orders.methods["OPTIONS"] = Method("OPTIONS", "NONE", None, "MOCK", 204, {"Access-Control-Allow-Origin": "*"})
    code = ResourceNode("{code}", "code")
    code.methods["GET"] = Method("GET", COGNITO_AUTH, function)
    recent = ResourceNode("recent", "recent")
    recent.methods["GET"] = Method("GET", COGNITO_AUTH, function)
    orders.children = [recent, code]
    files = ResourceNode("files", "files")
    proxy = ResourceNode("{path+}", "proxy")
    proxy.methods["ANY"] = Method("ANY", "NONE", function)
    files.children = [proxy]
    open_node = ResourceNode("open", "open")
    open_node.methods["POST"] = Method("POST", "NONE", function)
    root.children = [orders, files, open_node]
    return Routes(root, {"DEFAULT_4XX": {"Access-Control-Allow-Origin": "*"}})


def test_routes_prefer_literal_parts_then_parameters_then_greedy() -> None:
    routes = routes_for(fake_function(lambda e, c: {}))
    recent = routes.match("/orders/recent")
    assert recent is not None and recent.resource_path == "/orders/recent" and recent.path_parameters == {}
    one = routes.match("/orders/ORD-000001")
    assert one is not None and one.resource_path == "/orders/{code}"
    assert one.path_parameters == {"code": "ORD-000001"}
    deep = routes.match("/files/a/b/c.txt")
    assert deep is not None and deep.path_parameters == {"path": "a/b/c.txt"}
    assert routes.match("/nothing") is None
    assert routes.match("/orders/x/y") is None


def test_the_proxy_event_has_api_gateways_shape() -> None:
    routes = routes_for(fake_function(lambda e, c: {}))
    match = routes.match("/orders/ORD-1")
    assert match is not None
    event = build_event(
        method="GET",
        raw_path="/orders/ORD-1?status=pending&tag=a&tag=b",
        headers=[("Accept", "application/json"), ("X-Multi", "1"), ("X-Multi", "2")],
        body=b"",
        match=match,
        stage="dev",
        claims={"custom:tenant": "shop-a"},
        source_ip="127.0.0.1",
        host="127.0.0.1:3000",
    )
    assert event["resource"] == "/orders/{code}"
    assert event["path"] == "/orders/ORD-1"
    assert event["pathParameters"] == {"code": "ORD-1"}
    assert event["queryStringParameters"] == {"status": "pending", "tag": "b"}
    assert event["multiValueQueryStringParameters"] == {"status": ["pending"], "tag": ["a", "b"]}
    assert event["headers"]["X-Multi"] == "2"
    assert event["multiValueHeaders"]["X-Multi"] == ["1", "2"]
    assert event["body"] is None and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == "dev" and context["path"] == "/dev/orders/ORD-1"
    assert context["authorizer"] == {"claims": {"custom:tenant": "shop-a"}}
    assert context["requestId"] and context["identity"]["sourceIp"] == "127.0.0.1"

    binary = build_event(
        method="POST",
        raw_path="/open",
        headers=[],
        body=b"\xff\x00",
        match=routes.match("/open"),  # type: ignore[arg-type]
        stage="dev",
        claims=None,
        source_ip="127.0.0.1",
        host="h",
    )
    assert binary["isBase64Encoded"] is True and base64.b64decode(binary["body"]) == b"\xff\x00"
    assert "authorizer" not in binary["requestContext"]
    assert binary["queryStringParameters"] is None


def test_claims_are_flattened_to_strings_as_api_gateway_passes_them() -> None:
    claims = flatten_claims(
        {"exp": 1700000000, "iat": 1699996400, "cognito:groups": ["admin", "staff"], "email_verified": True, "n": 3}
    )
    assert claims == {
        "exp": "Tue Nov 14 22:13:20 UTC 2023",
        "iat": "Tue Nov 14 21:13:20 UTC 2023",
        "cognito:groups": "admin,staff",
        "email_verified": "true",
        "n": "3",
    }


def test_proxy_results_become_http_responses_and_malformed_ones_none() -> None:
    response = proxy_response(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "application/json"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "body": base64.b64encode(b"\x00binary").decode(),
            "isBase64Encoded": True,
        }
    )
    assert response is not None
    assert response.status == 201 and response.body == b"\x00binary"
    assert ("Set-Cookie", "a=1") in response.headers and ("Set-Cookie", "b=2") in response.headers
    assert proxy_response("nope") is None
    assert proxy_response({"statusCode": "abc"}) is None
    assert proxy_response({"statusCode": 200, "body": {"not": "a string"}}) is None


# -- the HTTP front with a fake function --------------------------------------------------------


@pytest.fixture
def front() -> Iterator[tuple[ApiFront, list[dict[str, Any]]]]:
    calls: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], context: Any) -> Any:
        calls.append(event)
        if event["path"] == "/files/boom":
            raise RuntimeError("boom")
        if event["path"] == "/files/bad":
            return {"statusCode": 200, "body": 42}
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps({"ok": True})}

    api = ApiFront(routes_for(fake_function(handler)), verifier=None, stage="dev", port=0, max_body_bytes=100)
    api.start()
    try:
        yield api, calls
    finally:
        api.stop()


def request(
    api: ApiFront, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, Any, dict[str, str]]:
    connection = http.client.HTTPConnection("127.0.0.1", api.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None, dict(response.getheaders())
    finally:
        connection.close()


def test_the_front_answers_what_api_gateway_answers_without_calling_the_function(
    front: tuple[ApiFront, list[dict[str, Any]]],
) -> None:
    api, calls = front
    assert request(api, "GET", "/orders")[:2] == (401, {"message": "Unauthorized"})  # no verifier: no token is valid
    status, body, headers = request(api, "GET", "/nope")
    assert (status, body) == (403, {"message": "Missing Authentication Token"})
    assert headers["Access-Control-Allow-Origin"] == "*"  # the DEFAULT_4XX gateway response
    assert request(api, "DELETE", "/open")[:2] == (403, {"message": "Missing Authentication Token"})
    assert request(api, "POST", "/open", b"x" * 101)[:2] == (413, {"message": "Request Too Long"})
    status, _, headers = request(api, "OPTIONS", "/orders")
    assert status == 204 and headers["Access-Control-Allow-Origin"] == "*"
    assert calls == []


def test_the_front_invokes_the_function_and_maps_its_failures_to_502(
    front: tuple[ApiFront, list[dict[str, Any]]],
) -> None:
    api, calls = front
    assert request(api, "POST", "/open", b"x" * 100)[:2] == (200, {"ok": True})
    assert calls[-1]["body"] == "x" * 100
    assert request(api, "GET", "/dev/files/a/b")[:2] == (200, {"ok": True})  # the stage prefix is accepted
    assert calls[-1]["pathParameters"] == {"path": "a/b"}
    assert request(api, "GET", "/files/boom")[:2] == (502, {"message": "Internal server error"})
    assert request(api, "GET", "/files/bad")[:2] == (502, {"message": "Internal server error"})


# -- tokens ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def jwks_server() -> Iterator[tuple[str, Any]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    document = json.dumps({"keys": [{**jwk, "kid": "k1", "alg": "RS256", "use": "sig"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", str(len(document)))
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/pool/.well-known/jwks.json", key
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def make_token(key: Any, **changes: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": "https://cognito-idp.us-east-1.amazonaws.com/pool",
        "aud": "client-1",
        "sub": "user-1",
        "token_use": "id",
        "iat": now,
        "exp": now + 600,
        "custom:tenant": "shop-a",
        **changes,
    }
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key, algorithm="RS256", headers={"kid": "k1"})


def test_the_verifier_checks_signature_issuer_audience_expiry_and_use(jwks_server: tuple[str, Any]) -> None:
    url, key = jwks_server
    verifier = TokenVerifier(
        jwks_url=url, issuer="https://cognito-idp.us-east-1.amazonaws.com/pool", audiences=["client-1"]
    )
    good = make_token(key)
    assert verifier.verify(good)["custom:tenant"] == "shop-a"  # type: ignore[index]
    assert verifier.verify(f"Bearer {good}") is not None
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for bad in (
        None,
        "",
        "garbage",
        make_token(other_key),
        make_token(key, iss="https://cognito-idp.us-east-1.amazonaws.com/other-pool"),
        make_token(key, aud="client-2"),
        make_token(key, exp=int(time.time()) - 1),
        make_token(key, token_use="access"),
        make_token(key, token_use=None),
    ):
        assert verifier.verify(bad) is None, bad


# -- stream records, checkpoints, failure records -----------------------------------------


def test_stream_records_carry_base64_binaries_and_epoch_seconds() -> None:
    from datetime import UTC, datetime

    record = lambda_record(
        {
            "eventID": "1",
            "eventName": "MODIFY",
            "dynamodb": {
                "ApproximateCreationDateTime": datetime(2024, 1, 15, tzinfo=UTC),
                "Keys": {"pk": {"B": b"\x01\x02"}},
                "NewImage": {"s": {"BS": [b"a", b"b"]}, "m": {"M": {"x": {"B": b"z"}}}},
                "SequenceNumber": "42",
            },
        },
        "arn:stream",
    )
    assert record["dynamodb"]["ApproximateCreationDateTime"] == 1705276800
    assert record["dynamodb"]["Keys"] == {"pk": {"B": "AQI="}}
    assert record["dynamodb"]["NewImage"] == {"s": {"BS": ["YQ==", "Yg=="]}, "m": {"M": {"x": {"B": "eg=="}}}}
    assert record["eventSourceARN"] == "arn:stream" and record["eventSource"] == "aws:dynamodb"


def test_checkpoints_are_saved_atomically_and_reset_for_a_new_stream(tmp_path: Path) -> None:
    path = tmp_path / "checkpoints" / "m.json"
    checkpoints = Checkpoints(path)
    checkpoints.for_stream("arn:1")
    checkpoints.save("shard-1", "100")
    checkpoints.save("shard-0", CLOSED)
    assert [p.name for p in path.parent.iterdir()] == ["m.json"]  # no temporary file left

    again = Checkpoints(path)
    assert again.known and again.for_stream("arn:1") == {"shard-1": "100", "shard-0": CLOSED}
    assert again.for_stream("arn:2") == {}  # a recreated table's stream starts afresh


def test_the_failure_record_is_lambdas_on_failure_invocation_record() -> None:
    records = [
        {"dynamodb": {"SequenceNumber": "7", "ApproximateCreationDateTime": 1705276800}},
        {"dynamodb": {"SequenceNumber": "9", "ApproximateCreationDateTime": 1705276801}},
    ]
    message = failure_record(
        records, stream_arn="arn:s", shard_id="sh", function_arn="arn:f", condition="RetryAttemptsExhausted", attempts=6
    )
    assert message["requestContext"]["approximateInvokeCount"] == 6
    assert message["DDBStreamBatchInfo"] == {
        "shardId": "sh",
        "startSequenceNumber": "7",
        "endSequenceNumber": "9",
        "approximateArrivalOfFirstRecord": "2024-01-15T00:00:00.000Z",
        "approximateArrivalOfLastRecord": "2024-01-15T00:00:01.000Z",
        "batchSize": 2,
        "streamArn": "arn:s",
    }


# -- files ----------------------------------------------------------------------------------------


def test_one_runtime_per_state_directory(tmp_path: Path) -> None:
    first = StateLock(tmp_path)
    first.acquire()
    try:
        with pytest.raises(AlreadyRunning, match="already running"):
            StateLock(tmp_path).acquire()
    finally:
        first.release()
    second = StateLock(tmp_path)
    second.acquire()
    second.release()


def test_outputs_are_written_whole_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "outputs.json"
    write_atomically(path, {"Stack-dev": {"ApiUrl": "http://127.0.0.1:3000/"}})
    assert read_outputs(path) == {"ApiUrl": "http://127.0.0.1:3000/"}
    assert [p.name for p in tmp_path.iterdir()] == ["outputs.json"]


# -- shards: parents before children, new shards picked up ---------------------------------------


class FakeStreams:
    """A DynamoDB Streams stand-in: shards with records; a shard is closed when `closed` says so."""

    class exceptions:  # noqa: N801 - mirrors boto3's client.exceptions
        class ExpiredIteratorException(Exception):
            pass

        class TrimmedDataAccessException(Exception):
            pass

    def __init__(self) -> None:
        self.shards: list[dict[str, Any]] = []
        self.records: dict[str, list[dict[str, Any]]] = {}
        self.closed: set[str] = set()

    def add_shard(self, shard_id: str, parent: str | None, keys: list[str], first_seq: int) -> None:
        shard: dict[str, Any] = {"ShardId": shard_id}
        if parent:
            shard["ParentShardId"] = parent
        self.shards.append(shard)
        self.records[shard_id] = [
            {
                "eventID": key,
                "eventName": "INSERT",
                "dynamodb": {"Keys": {"pk": {"S": key}}, "SequenceNumber": str(first_seq + i)},
            }
            for i, key in enumerate(keys)
        ]

    def describe_stream(self, **kwargs: Any) -> dict[str, Any]:
        return {"StreamDescription": {"Shards": list(self.shards)}}

    def get_shard_iterator(
        self, *, ShardId: str, ShardIteratorType: str, SequenceNumber: str | None = None, **_: Any
    ) -> dict[str, Any]:  # noqa: N803
        position = 0
        if ShardIteratorType == "AFTER_SEQUENCE_NUMBER":
            sequences = [r["dynamodb"]["SequenceNumber"] for r in self.records[ShardId]]
            position = sequences.index(str(SequenceNumber)) + 1
        return {"ShardIterator": f"{ShardId}|{position}"}

    def get_records(self, *, ShardIterator: str, Limit: int) -> dict[str, Any]:  # noqa: N803
        shard_id, position = ShardIterator.split("|")
        records = self.records[shard_id][int(position) : int(position) + Limit]
        end = int(position) + len(records)
        done = shard_id in self.closed and end >= len(self.records[shard_id])
        return {"Records": records, "NextShardIterator": None if done else f"{shard_id}|{end}"}


def stream_poller(streams: FakeStreams, handler: Any, tmp_path: Path, **options: Any) -> Any:
    """A poller of mapping M (batches of 10) on `streams`, its shards listed, not yet polling."""
    from local.pollers import MappingConfig, StreamPoller

    poller = StreamPoller(
        MappingConfig("M", batch_size=10),
        fake_function(handler),
        table_name="t",
        ddb=None,
        streams=streams,
        sqs=None,
        sns=None,
        checkpoints=Checkpoints(tmp_path / "m.json"),
        **options,
    )
    poller.stream_arn = "arn:s"
    poller.checkpoints.for_stream("arn:s")
    poller.refresh_shards()
    return poller


def test_a_child_shard_waits_for_its_parent_and_new_shards_are_picked_up(tmp_path: Path) -> None:
    streams = FakeStreams()
    streams.add_shard("parent", None, ["p1", "p2"], 1)
    streams.add_shard("child", "parent", ["c1"], 10)  # listed before its parent is finished
    seen: list[str] = []

    def handler(event: dict[str, Any], context: Any) -> Any:
        seen.extend(r["dynamodb"]["Keys"]["pk"]["S"] for r in event["Records"])
        return {}

    poller = stream_poller(streams, handler, tmp_path)

    for _ in range(3):
        poller.poll_once()
    assert seen == ["p1", "p2"]  # the parent is still open: its child waits

    streams.closed.add("parent")
    for _ in range(3):
        poller.poll_once()
    assert seen == ["p1", "p2", "c1"]
    assert json.loads((tmp_path / "m.json").read_text())["shards"] == {"parent": CLOSED, "child": "10"}

    streams.add_shard("later", None, ["n1"], 20)  # a shard that appears while polling
    poller.refresh_shards()
    for _ in range(3):
        poller.poll_once()
    assert seen[-1] == "n1"


class CountingStreams(FakeStreams):
    """FakeStreams that counts GetRecords calls."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get_records(self, *, ShardIterator: str, Limit: int) -> dict[str, Any]:  # noqa: N803
        self.reads += 1
        return super().get_records(ShardIterator=ShardIterator, Limit=Limit)


def running_poller(streams: FakeStreams, handler: Any, tmp_path: Path) -> Any:
    """A poller on `streams` polling in its thread, idle interval one hour (stop it after)."""
    poller = stream_poller(streams, handler, tmp_path, poll_interval_s=3600)
    poller._thread = threading.Thread(target=poller.run, daemon=True)
    poller._thread.start()
    return poller


def test_a_poller_polls_again_at_once_after_a_batch(tmp_path: Path) -> None:
    # Given a shard whose second record is written while the first batch runs
    streams = FakeStreams()
    streams.add_shard("s", None, ["a1"], 1)
    seen: list[str] = []

    def handler(event: dict[str, Any], context: Any) -> Any:
        seen.extend(r["dynamodb"]["Keys"]["pk"]["S"] for r in event["Records"])
        if len(seen) == 1:
            streams.records["s"].append(
                {"eventName": "INSERT", "dynamodb": {"Keys": {"pk": {"S": "a2"}}, "SequenceNumber": "2"}}
            )
        return {}

    # When the poller runs (idle interval one hour)
    poller = running_poller(streams, handler, tmp_path)
    try:
        # Then the second record is delivered without waiting for the idle interval, as Lambda
        # keeps polling a shard while records come
        wait_for(lambda: seen == ["a1", "a2"], timeout=10, message="both records delivered")
    finally:
        poller.stop()


def test_an_idle_poller_polls_only_at_its_interval_whatever_else_runs(tmp_path: Path) -> None:
    # Given a poller on an empty shard (idle interval one hour) that has polled once
    streams = CountingStreams()
    streams.add_shard("s", None, [], 1)
    poller = running_poller(streams, lambda event, context: {}, tmp_path)
    try:
        wait_for(lambda: streams.reads == 1, timeout=10, message="the first poll")
        time.sleep(0.2)
        # When other functions run meanwhile
        other = fake_function(lambda event, context: {"statusCode": 200})
        for _ in range(20):
            other.invoke({})
        time.sleep(0.3)
        # Then the poller has not polled again: Lambda polls an idle shard on its own clock
        # (4 times a second), and every extra GetRecords costs CPU the functions need
        assert streams.reads == 1
    finally:
        poller.stop()


def test_the_ready_line_is_written_whole_so_no_log_line_can_split_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from local.__main__ import say

    class Recording:
        def __init__(self) -> None:
            self.writes: list[str] = []

        def write(self, text: str) -> int:
            self.writes.append(text)
            return len(text)

        def flush(self) -> None:
            pass

    stdout = Recording()
    monkeypatch.setattr("sys.stdout", stdout)
    say("ready")
    assert stdout.writes == ["ready\n"]  # one write: another thread's line lands before or after it
