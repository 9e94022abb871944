"""One poller per AWS::Lambda::EventSourceMapping on a DynamoDB stream, as Lambda runs it.

Each poller reads its table's stream shard by shard (a child shard only after its parent is
finished, so per-key order holds), builds the event Lambda builds (`{"Records": [...]}` with
`eventName`, `dynamodb.Keys/NewImage/OldImage/SequenceNumber/...`, `eventSourceARN`) and invokes
the function's handler in-process, honouring the mapping's settings:

- `BatchSize` and `MaximumBatchingWindowInSeconds` (wait up to the window for a full batch);
- `FunctionResponseTypes: [ReportBatchItemFailures]`: the records before the first reported
  failure are done; the batch is retried from that record. A failure id that is not in the batch
  (or empty) fails the whole batch, as in Lambda;
- a function error retries the whole batch; with `BisectBatchOnFunctionError` the batch is halved
  first, down to one record, before retries are counted (so a poison record is isolated and its
  neighbours still succeed);
- `MaximumRetryAttempts` and `MaximumRecordAgeInSeconds` (-1: until the stream's 24 h retention);
  then the batch goes to the `DestinationConfig.OnFailure` queue (or topic) as Lambda's
  invocation record with `DDBStreamBatchInfo` (shard, first/last sequence number, stream ARN),
  which is enough to read the records again while the stream retains them; without a destination
  the batch is dropped with a warning, as in Lambda;
- `FilterCriteria` is not emulated (the stack sets none): a mapping with one is a start-up error.

After each finished batch the poller saves its position (`local.checkpoints`), so a restart
resumes after the last finished record: nothing is replayed that had finished and nothing is
skipped. The event is built by `local.stream_events`, which the tests use too.
`ParallelizationFactor` and tumbling windows are not emulated (one batch at a time per shard).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local.checkpoints import CLOSED, Checkpoints
from local.functions import LocalFunction
from local.stream_events import lambda_record
from local.template import Resolver, Resource, TemplateError

log = logging.getLogger("local")

STREAM_RETENTION_S = 24 * 3600
# A poller that read nothing waits this long before it polls again: Lambda polls a shard 4 times
# a second while it is idle. After a batch it polls again at once, as Lambda does while records
# keep coming.
POLL_INTERVAL_S = 0.25
SHARD_REFRESH_S = 2.0
GET_RECORDS_LIMIT = 1000
MAX_BACKOFF_S = 1.0


@dataclass(frozen=True)
class MappingConfig:
    """The settings of one AWS::Lambda::EventSourceMapping, with Lambda's defaults."""

    logical_id: str
    batch_size: int = 100
    window_s: float = 0.0
    report_item_failures: bool = False
    max_retries: int = -1
    bisect: bool = False
    max_record_age_s: int = -1
    on_failure_arn: str | None = None
    starting_position: str = "TRIM_HORIZON"
    enabled: bool = True

    @classmethod
    def from_resource(cls, resource: Resource, resolver: Resolver) -> MappingConfig:
        props = resource.properties
        destination = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        if props.get("FilterCriteria"):
            # The stack sets none; a filter ignored locally would deliver what Lambda would not.
            raise TemplateError(f"{resource.logical_id}: FilterCriteria is not emulated by the local runtime")
        return cls(
            logical_id=resource.logical_id,
            batch_size=int(props.get("BatchSize") or 100),
            window_s=float(props.get("MaximumBatchingWindowInSeconds") or 0),
            report_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
            max_retries=int(props.get("MaximumRetryAttempts", -1)),
            bisect=bool(props.get("BisectBatchOnFunctionError", False)),
            max_record_age_s=int(props.get("MaximumRecordAgeInSeconds", -1)),
            on_failure_arn=str(resolver.resolve(destination)) if destination else None,
            starting_position=str(props.get("StartingPosition") or "TRIM_HORIZON"),
            enabled=bool(props.get("Enabled", True)),
        )


@dataclass
class ShardState:
    shard_id: str
    parent_id: str | None
    iterator: str | None = None
    buffer: deque[dict[str, Any]] = field(default_factory=deque)
    closed: bool = False  # the stream said there is nothing after what we read
    done: bool = False  # closed and every record finished
    attempts: int = 0  # failed invocations of the batch that starts at buffer[0]
    limit: int = 0  # batch size now (smaller while bisecting)
    bisect_until: int | None = None  # sequence number that ends the bisected region
    first_buffered_at: float | None = None
    last_read: str | None = None  # sequence number of the last record read (finished or buffered)


def _seq(record: dict[str, Any]) -> int:
    return int(record["dynamodb"]["SequenceNumber"])


class StreamPoller:
    """Feeds one function from one table stream, in its own thread."""

    def __init__(
        self,
        config: MappingConfig,
        function: LocalFunction,
        *,
        table_name: str,
        ddb: Any,
        streams: Any,
        sqs: Any,
        sns: Any,
        checkpoints: Checkpoints,
        fresh_table: bool = False,
        poll_interval_s: float = POLL_INTERVAL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.function = function
        self.table_name = table_name
        self.ddb = ddb
        self.streams = streams
        self.sqs = sqs
        self.sns = sns
        self.checkpoints = checkpoints
        self.fresh_table = fresh_table
        self.poll_interval_s = poll_interval_s
        self.clock = clock
        self.stream_arn = ""
        self.shards: dict[str, ShardState] = {}
        self.stop_event = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_refresh = 0.0
        self.invocations = 0
        self.discarded = 0

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Find the stream and position every shard (synchronously), then poll in a thread."""
        description = self.ddb.describe_table(TableName=self.table_name)["Table"]
        self.stream_arn = description.get("LatestStreamArn") or ""
        if not self.stream_arn:
            raise RuntimeError(f"{self.config.logical_id}: table {self.table_name} has no stream")
        first_time = not self.checkpoints.known or self.checkpoints.stream_arn != self.stream_arn
        self.checkpoints.for_stream(self.stream_arn)
        self.refresh_shards(initial_position=self._initial_position(first_time))
        self._thread = threading.Thread(target=self.run, name=f"poller-{self.config.logical_id}", daemon=True)
        self._thread.start()

    def _initial_position(self, first_time: bool) -> str:
        if not first_time or self.fresh_table:
            return "TRIM_HORIZON"  # a table we just created has nothing before the mapping
        return self.config.starting_position

    def stop(self, timeout: float = 3.0) -> None:
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                worked = self.poll_once()
            except Exception as error:  # keep polling: a transient emulator error must not kill it
                if self.stop_event.is_set():
                    return
                log.warning("%s: poll failed: %s: %s", self.config.logical_id, type(error).__name__, error)
                worked = False
                self.stop_event.wait(MAX_BACKOFF_S)
            if not worked:
                self.stop_event.wait(self.poll_interval_s)

    # -- shards ---------------------------------------------------------------------------------

    def list_shards(self) -> list[dict[str, Any]]:
        shards: list[dict[str, Any]] = []
        start: str | None = None
        for _ in range(1000):  # bounded: a stream has a handful of shards
            kwargs: dict[str, Any] = {"StreamArn": self.stream_arn}
            if start:
                kwargs["ExclusiveStartShardId"] = start
            description = self.streams.describe_stream(**kwargs)["StreamDescription"]
            shards.extend(description.get("Shards") or [])
            start = description.get("LastEvaluatedShardId")
            if not start:
                break
        return shards

    def refresh_shards(self, initial_position: str = "TRIM_HORIZON") -> None:
        """Add shards the stream has now; position each from its checkpoint, else `initial_position`."""
        self._last_refresh = time.monotonic()
        saved = self.checkpoints.for_stream(self.stream_arn)
        for shard in self.list_shards():
            shard_id = shard["ShardId"]
            if shard_id in self.shards:
                continue
            state = ShardState(shard_id, shard.get("ParentShardId"), limit=self.config.batch_size)
            position = saved.get(shard_id)
            if position == CLOSED:
                state.closed = state.done = True
            else:
                state.iterator = self._iterator(shard_id, position, initial_position)
            self.shards[shard_id] = state
        # Shards found later than the first listing are new: read them from their start.

    def _iterator(self, shard_id: str, after: str | None, default: str) -> str | None:
        kwargs: dict[str, Any] = {"StreamArn": self.stream_arn, "ShardId": shard_id}
        if after:
            kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=after)
        else:
            kwargs["ShardIteratorType"] = default
        try:
            return str(self.streams.get_shard_iterator(**kwargs)["ShardIterator"])
        except self.streams.exceptions.TrimmedDataAccessException:
            log.warning("%s: shard %s trimmed past its checkpoint", self.config.logical_id, shard_id)
            kwargs.pop("SequenceNumber", None)
            kwargs["ShardIteratorType"] = "TRIM_HORIZON"
            return str(self.streams.get_shard_iterator(**kwargs)["ShardIterator"])

    def _ready_shards(self) -> list[ShardState]:
        ready = []
        for state in self.shards.values():
            if state.done:
                continue
            parent = self.shards.get(state.parent_id) if state.parent_id else None
            if parent is not None and not parent.done:
                continue  # the child waits until its parent is finished: per-key order
            ready.append(state)
        return ready

    # -- polling --------------------------------------------------------------------------------

    def poll_once(self) -> bool:
        """Read and process what is available once; True when anything happened."""
        if time.monotonic() - self._last_refresh > SHARD_REFRESH_S:
            self.refresh_shards()
        worked = False
        for state in self._ready_shards():
            if self.stop_event.is_set():
                break
            worked = self._fill(state) or worked
            worked = self._drain(state) or worked
        return worked

    def _fill(self, state: ShardState) -> bool:
        if state.closed or state.iterator is None or len(state.buffer) >= state.limit:
            return False
        try:
            response = self.streams.get_records(ShardIterator=state.iterator, Limit=GET_RECORDS_LIMIT)
        except (
            self.streams.exceptions.ExpiredIteratorException,
            self.streams.exceptions.TrimmedDataAccessException,
        ):
            # DynamoDB Local numbers stream records across all tables: an iterator taken on an
            # empty shard points at a sequence number that may never exist in it and then reads
            # as "trimmed". A new iterator after the last record read loses and repeats nothing.
            state.iterator = self._iterator(state.shard_id, state.last_read or self._position(state), "TRIM_HORIZON")
            return False
        records = [lambda_record(raw, self.stream_arn) for raw in response.get("Records") or []]
        state.iterator = response.get("NextShardIterator")
        if state.iterator is None:
            state.closed = True
        if records:
            if not state.buffer:
                state.first_buffered_at = time.monotonic()
            state.buffer.extend(records)
            state.last_read = str(records[-1]["dynamodb"]["SequenceNumber"])
        return bool(records)

    def _position(self, state: ShardState) -> str | None:
        position = self.checkpoints.for_stream(self.stream_arn).get(state.shard_id)
        return None if position in (None, CLOSED) else position

    def _checkpoint(self, state: ShardState, finished: list[dict[str, Any]]) -> None:
        for _ in finished:
            state.buffer.popleft()
        if finished:
            self.checkpoints.save(state.shard_id, str(finished[-1]["dynamodb"]["SequenceNumber"]))
        state.first_buffered_at = time.monotonic() if state.buffer else None

    def _drain(self, state: ShardState) -> bool:
        worked = False
        for _ in range(10_000):  # bounded; each pass finishes, retries or discards a batch
            if self.stop_event.is_set():
                break
            if not state.buffer:
                if state.closed and not state.done:
                    state.done = True
                    self.checkpoints.save(state.shard_id, CLOSED)
                break
            if self._waiting_for_window(state):
                break
            self._process_batch(state)
            worked = True
        return worked

    def _waiting_for_window(self, state: ShardState) -> bool:
        if self.config.window_s <= 0 or len(state.buffer) >= self.config.batch_size or state.closed:
            return False
        started = state.first_buffered_at or time.monotonic()
        return time.monotonic() - started < self.config.window_s

    def _expired(self, record: dict[str, Any]) -> bool:
        created = record["dynamodb"].get("ApproximateCreationDateTime")
        if created is None:
            return False
        max_age = self.config.max_record_age_s if self.config.max_record_age_s >= 0 else STREAM_RETENTION_S
        return self.clock() - float(created) > max_age

    def _process_batch(self, state: ShardState) -> None:
        batch = list(state.buffer)[: max(1, state.limit)]
        # Records are in time order: the ones past the maximum age are a prefix of the batch.
        expired = []
        for record in batch:
            if not self._expired(record):
                break
            expired.append(record)
        if expired:
            # Lambda discards records older than the maximum age without invoking the function.
            self._discard(state, expired, "RecordAgeExceeded", attempts=state.attempts)
            return
        invoke_with = batch
        outcome, failed_index = self._invoke(invoke_with)
        if outcome == "ok":
            self._finish(state, batch)
            return
        if outcome == "partial" and failed_index is not None:
            failed_seq = _seq(invoke_with[failed_index])
            done = [record for record in batch if _seq(record) < failed_seq]
            if done:
                self._finish(state, done)
            state.attempts += 1
        elif self.config.bisect and len(batch) > 1:
            # Halve before counting a retry, down to one record: isolates a poison record.
            state.bisect_until = max(state.bisect_until or 0, _seq(batch[-1]))
            state.limit = (len(batch) + 1) // 2
            return
        else:
            state.attempts += 1
        retries = self.config.max_retries
        if retries >= 0 and state.attempts > retries:
            remaining = [record for record in list(state.buffer)[: len(batch)] if _seq(record) <= _seq(batch[-1])]
            self._discard(state, remaining, "RetryAttemptsExhausted", attempts=state.attempts)
            return
        self.stop_event.wait(min(MAX_BACKOFF_S, 0.05 * 2 ** min(state.attempts, 6)))

    def _finish(self, state: ShardState, records: list[dict[str, Any]]) -> None:
        self._checkpoint(state, records)
        state.attempts = 0
        if state.bisect_until is None or (records and _seq(records[-1]) >= state.bisect_until):
            state.limit = self.config.batch_size
            state.bisect_until = None

    def _invoke(self, records: list[dict[str, Any]]) -> tuple[str, int | None]:
        self.invocations += 1
        try:
            result = self.function.invoke({"Records": records}, describe=f"batch={len(records)}")
        except Exception:
            return "error", None
        if not self.config.report_item_failures or not isinstance(result, dict):
            return "ok", None
        failures = result.get("batchItemFailures") or []
        if not failures:
            return "ok", None
        index = {str(record["dynamodb"]["SequenceNumber"]): i for i, record in enumerate(records)}
        positions = []
        for failure in failures:
            identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if not identifier or str(identifier) not in index:
                return "error", None  # Lambda treats an unknown or empty id as a failed batch
            positions.append(index[str(identifier)])
        return "partial", min(positions)

    def _discard(self, state: ShardState, records: list[dict[str, Any]], condition: str, attempts: int) -> None:
        """Send the batch's context to the on-failure destination, then move past it."""
        self.discarded += len(records)
        message = failure_record(
            records,
            stream_arn=self.stream_arn,
            shard_id=state.shard_id,
            function_arn=self.function.arn,
            condition=condition,
            attempts=attempts,
        )
        destination = self.config.on_failure_arn
        if destination:
            self._send(destination, message)
            log.warning(
                "%s: %d record(s) sent to %s (%s, %d attempts)",
                self.config.logical_id,
                len(records),
                destination.rsplit(":", 1)[-1],
                condition,
                attempts,
            )
        else:
            log.warning(
                "%s: %d record(s) dropped (%s, no on-failure destination)",
                self.config.logical_id,
                len(records),
                condition,
            )
        self._checkpoint(state, records)
        state.attempts = 0
        state.limit = self.config.batch_size
        state.bisect_until = None

    def _send(self, destination: str, message: dict[str, Any]) -> None:
        body = json.dumps(message)
        if destination.startswith("arn:aws:sqs:"):
            name = destination.rsplit(":", 1)[-1]
            url = self.sqs.get_queue_url(QueueName=name)["QueueUrl"]
            self.sqs.send_message(QueueUrl=url, MessageBody=body)
        elif destination.startswith("arn:aws:sns:"):
            self.sns.publish(TopicArn=destination, Message=body)
        else:
            raise RuntimeError(f"unsupported on-failure destination {destination}")


def failure_record(
    records: list[dict[str, Any]],
    *,
    stream_arn: str,
    shard_id: str,
    function_arn: str,
    condition: str,
    attempts: int,
) -> dict[str, Any]:
    """Lambda's on-failure invocation record for a DynamoDB stream batch."""

    def arrival(record: dict[str, Any]) -> str:
        created = record["dynamodb"].get("ApproximateCreationDateTime") or 0
        return datetime.fromtimestamp(float(created), tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": attempts,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": str(records[0]["dynamodb"]["SequenceNumber"]),
            "endSequenceNumber": str(records[-1]["dynamodb"]["SequenceNumber"]),
            "approximateArrivalOfFirstRecord": arrival(records[0]),
            "approximateArrivalOfLastRecord": arrival(records[-1]),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }


def build_pollers(
    mappings: Iterable[Resource],
    *,
    resolver: Resolver,
    functions: dict[str, LocalFunction],
    tables_by_stream: dict[str, str],
    fresh_tables: set[str],
    clients: dict[str, Any],
    checkpoint_dir: Path | None,
    poll_interval_s: float = POLL_INTERVAL_S,
    max_window_s: float | None = None,
) -> list[StreamPoller]:
    """One poller per enabled mapping whose source is a local table stream and target a local function.

    `max_window_s` caps every mapping's batching window (a local speed-up; None keeps the template's).
    """
    pollers = []
    for resource in mappings:
        config = MappingConfig.from_resource(resource, resolver)
        if not config.enabled:
            continue
        if max_window_s is not None and config.window_s > max_window_s:
            config = dataclasses.replace(config, window_s=max_window_s)
        stream_arn = str(resolver.resolve(resource.properties["EventSourceArn"]))
        table_name = tables_by_stream.get(stream_arn)
        if table_name is None:
            log.warning("%s: %s is not a local table stream; not polled", resource.logical_id, stream_arn)
            continue
        target = str(resolver.resolve(resource.properties["FunctionName"]))
        function = next((f for f in functions.values() if target in (f.name, f.arn)), None)
        if function is None:
            log.warning("%s: function %s is not a local Python function; not polled", resource.logical_id, target)
            continue
        path = checkpoint_dir / f"{resource.logical_id}.json" if checkpoint_dir is not None else None
        pollers.append(
            StreamPoller(
                config,
                function,
                table_name=table_name,
                ddb=clients["dynamodb"],
                streams=clients["dynamodbstreams"],
                sqs=clients["sqs"],
                sns=clients["sns"],
                checkpoints=Checkpoints(path),
                fresh_table=table_name in fresh_tables,
                poll_interval_s=poll_interval_s,
            )
        )
    return pollers
