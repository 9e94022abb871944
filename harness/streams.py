"""Read a table's DynamoDB stream and feed its records to the stream Lambdas, as Lambda would.

- `StreamReader`: from the start of the stream, then only what is new on each `read_new()`;
  every loop is bounded, so a test never hangs on a stream that keeps answering.
- `lambda_event(records, arn)`: the event a DynamoDB event source mapping hands a function, built
  by the same function the local runtime's pollers use (`local.stream_events`).
- `StreamPump`: the two event source mappings of the stack (command stream -> projector,
  data stream -> data-sync), drained until no new record appears; keeps every event it fed so a
  test can replay them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.events import FakeLambdaContext
from local.stream_events import lambda_event

MAX_SHARDS = 1000
MAX_PAGES_PER_SHARD = 1000
MAX_DRAIN_ROUNDS = 50
BATCH_SIZE = 25  # the stack's event source mappings (infra/functions.py)

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def stream_arn(client: Any, table_name: str) -> str:
    return str(client.describe_table(TableName=table_name)["Table"]["LatestStreamArn"])


class StreamReader:
    """Reads every record of one stream once, in order per shard (shards in creation order)."""

    def __init__(self, streams_client: Any, arn: str) -> None:
        self._client = streams_client
        self.arn = arn
        self._iterators: dict[str, str | None] = {}  # shard id -> next iterator (None: closed, drained)

    def _discover_shards(self) -> None:
        start: str | None = None
        for _ in range(MAX_SHARDS):
            params: dict[str, Any] = {"StreamArn": self.arn}
            if start:
                params["ExclusiveStartShardId"] = start
            description = self._client.describe_stream(**params)["StreamDescription"]
            for shard in description.get("Shards", []):
                shard_id = shard["ShardId"]
                if shard_id not in self._iterators:
                    self._iterators[shard_id] = self._client.get_shard_iterator(
                        StreamArn=self.arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                    )["ShardIterator"]
            start = description.get("LastEvaluatedShardId")
            if not start:
                return
        raise AssertionError(f"{self.arn}: more than {MAX_SHARDS} pages of shards")

    def read_new(self) -> list[dict[str, Any]]:
        """The records written since the last call (all of them on the first call)."""
        self._discover_shards()
        records: list[dict[str, Any]] = []
        for shard_id, iterator in list(self._iterators.items()):
            for _ in range(MAX_PAGES_PER_SHARD):
                if iterator is None:
                    break
                response = self._client.get_records(ShardIterator=iterator, Limit=1000)
                page = response.get("Records", [])
                records += page
                iterator = response.get("NextShardIterator")
                if not page:  # an open shard answers an empty page once it is drained
                    break
            else:
                raise AssertionError(f"{self.arn}/{shard_id}: more than {MAX_PAGES_PER_SHARD} pages")
            self._iterators[shard_id] = iterator
        return records


def batches(records: list[dict[str, Any]], size: int = BATCH_SIZE) -> list[list[dict[str, Any]]]:
    return [records[i : i + size] for i in range(0, len(records), size)]


def failures(response: dict[str, Any]) -> list[str]:
    return [failure["itemIdentifier"] for failure in response.get("batchItemFailures", [])]


@dataclass
class Fed:
    """One invocation of a stream function: which one, the event, its answer."""

    function: str
    event: dict[str, Any]
    response: dict[str, Any]


@dataclass
class StreamPump:
    """Feeds new stream records to the functions until both streams are quiet."""

    command: StreamReader
    data: StreamReader
    projector: Handler
    data_sync: Handler
    fed: list[Fed] = field(default_factory=list)

    def invoke(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        handler = self.projector if function == "projector" else self.data_sync
        response = handler(event, FakeLambdaContext())
        self.fed.append(Fed(function, event, response))
        return response

    def drain(self) -> int:
        """Feed everything new; return how many records were fed. Fails on any item failure."""
        total = 0
        for _ in range(MAX_DRAIN_ROUNDS):
            fed_this_round = 0
            for function, reader in (("projector", self.command), ("data_sync", self.data)):
                records = reader.read_new()
                for batch in batches(records):
                    response = self.invoke(function, lambda_event(batch, reader.arn))
                    assert not failures(response), f"{function} failed items {failures(response)}: see the log"
                fed_this_round += len(records)
            total += fed_this_round
            if not fed_this_round:
                return total
        raise AssertionError(f"streams still busy after {MAX_DRAIN_ROUNDS} rounds")

    def replay(self, times: int = 1) -> list[dict[str, Any]]:
        """Feed every event fed so far again, `times` times over, in the original order."""
        original = list(self.fed)
        responses = []
        for _ in range(times):
            for fed in original:
                responses.append(self.invoke(fed.function, fed.event))
        return responses


def build_pump(client: Any, streams_client: Any, command_table: str, data_table: str) -> StreamPump:
    """A pump over the stack's two streams and its real stream handlers."""
    from handlers import data_sync, projector

    return StreamPump(
        command=StreamReader(streams_client, stream_arn(client, command_table)),
        data=StreamReader(streams_client, stream_arn(client, data_table)),
        projector=projector.handler,
        data_sync=data_sync.handler,
    )


@dataclass
class RecordingSns:
    """A stand-in SNS client that records each publish; safe to share between threads."""

    published: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def publish(self, **params: Any) -> dict[str, Any]:
        with self._lock:
            self.published.append(params)
            return {"MessageId": f"msg-{len(self.published)}"}

    def effects(self) -> list[tuple[str, str, str]]:
        """(type, tenantCode, orderCode) of every message published, in order."""
        out = []
        for params in self.published:
            attributes = params["MessageAttributes"]
            out.append(
                (
                    attributes["type"]["StringValue"],
                    attributes["tenantCode"]["StringValue"],
                    attributes["orderCode"]["StringValue"],
                )
            )
        return out


@dataclass
class LocalShop:
    """The shop on DynamoDB Local: tables, the real stream handlers, a recording SNS client."""

    client: Any
    tables: Any
    idempotency_table: str
    sns: RecordingSns
    pump: StreamPump


def local_shop(client: Any, streams_client: Any, monkeypatch: Any) -> LocalShop:
    """Fresh tables on the endpoint `client` talks to; the environment and the data-sync
    handler's dependencies point at them (notifications go to a `RecordingSns`).

    The caller must already have pointed boto3 at DynamoDB Local (the `ddb_local_env` fixture):
    the handlers build their own clients from the environment, as in Lambda.
    """
    from handlers import data_sync
    from handlers import idempotency as api_idempotency
    from harness.tables import create_tables
    from shop import wiring

    tables, idempotency_table = create_tables(client)
    topic_arn = "arn:aws:sns:us-east-1:123456789012:notifications"
    for name, value in {
        "COMMAND_TABLE_NAME": tables.command,
        "DATA_TABLE_NAME": tables.data,
        "HISTORY_TABLE_NAME": tables.history,
        "SEQUENCES_TABLE_NAME": tables.sequences,
        "IDEMPOTENCY_TABLE_NAME": idempotency_table,
        "NOTIFICATION_TOPIC_ARN": topic_arn,
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    wiring.reset()
    api_idempotency.reset()

    sns = RecordingSns()
    notifications = wiring.build_notifications(sns, topic_arn, idempotency_table, wiring.dynamodb_client())
    registry = wiring.build_data_sync(wiring.shop().stock, notifications)
    monkeypatch.setattr(data_sync, "notifications", lambda: notifications)
    monkeypatch.setattr(data_sync, "data_sync", lambda: registry)
    pump = build_pump(client, streams_client, tables.command, tables.data)
    return LocalShop(client, tables, idempotency_table, sns, pump)
