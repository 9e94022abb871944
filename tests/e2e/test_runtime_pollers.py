"""The stream pollers of the local runtime, on DynamoDB Local's real streams, with fake handlers.

Each test builds one poller the way the runtime does (from a mapping's settings) over a fresh
table and checks what Lambda would do: the event shape, batching, partial failures, retries,
bisect, the on-failure queue, maximum record age and the checkpoint across a restart.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.runtime_process import wait_for
from local.aws_emulator import AwsEmulator
from local.checkpoints import Checkpoints
from local.functions import LocalFunction
from local.pollers import MappingConfig, StreamPoller
from local.provision import client

pytestmark = pytest.mark.ddb_local

Handler = Callable[[dict[str, Any], Any], Any]


@pytest.fixture(scope="module")
def aws_endpoint() -> Iterator[str]:
    emulator = AwsEmulator()
    endpoint = emulator.start()
    try:
        yield endpoint
    finally:
        emulator.stop()


class Recorder:
    """A fake function: records every batch (as sequence numbers and keys), then applies `rule`."""

    def __init__(self, rule: Callable[[list[dict[str, Any]], int], Any] | None = None) -> None:
        self.batches: list[list[dict[str, Any]]] = []
        self.rule = rule
        self.lock = threading.Lock()

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        with self.lock:
            self.batches.append(event["Records"])
            attempt = len(self.batches)
        return self.rule(event["Records"], attempt) if self.rule else {"batchItemFailures": []}

    def pks(self) -> list[str]:
        return [record["dynamodb"]["Keys"]["pk"]["S"] for batch in self.batches for record in batch]

    def sizes(self) -> list[int]:
        return [len(batch) for batch in self.batches]


class Harness:
    def __init__(self, ddb_endpoint: str, aws_endpoint: str, table: str, tmp: Path) -> None:
        self.ddb = client("dynamodb", ddb_endpoint)
        self.streams = client("dynamodbstreams", ddb_endpoint)
        self.sqs = client("sqs", aws_endpoint)
        self.sns = client("sns", aws_endpoint)
        self.table = table
        self.tmp = tmp
        self.queue_name = f"failures-{table}"
        self.queue_url = self.sqs.create_queue(QueueName=self.queue_name)["QueueUrl"]
        self.queue_arn = f"arn:aws:sqs:us-east-1:123456789012:{self.queue_name}"
        self.pollers: list[StreamPoller] = []

    def put(self, *keys: str) -> None:
        for key in keys:
            self.ddb.put_item(TableName=self.table, Item={"pk": {"S": key}, "sk": {"S": "x"}, "n": {"N": "1"}})

    def poller(
        self, handler: Handler, checkpoint: Path | None = None, clock: Any = time.time, **settings: Any
    ) -> StreamPoller:
        config = MappingConfig(
            logical_id="TestMapping",
            **{"batch_size": 10, "report_item_failures": True, "on_failure_arn": self.queue_arn, **settings},
        )
        function = LocalFunction("Fake", "fake", "tests.fake.handler", {}, handler=handler)
        poller = StreamPoller(
            config,
            function,
            table_name=self.table,
            ddb=self.ddb,
            streams=self.streams,
            sqs=self.sqs,
            sns=self.sns,
            checkpoints=Checkpoints(checkpoint),
            fresh_table=True,
            poll_interval_s=0.02,
            clock=clock,
        )
        self.pollers.append(poller)
        return poller

    def failures(self) -> list[dict[str, Any]]:
        messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(message["Body"]) for message in messages]

    def stop(self) -> None:
        for poller in self.pollers:
            poller.stop()


@pytest.fixture
def harness(
    ddb_local: str, aws_endpoint: str, ddb_local_table: Callable[..., str], tmp_path: Path
) -> Iterator[Harness]:
    h = Harness(ddb_local, aws_endpoint, ddb_local_table("poll"), tmp_path)
    try:
        yield h
    finally:
        h.stop()


def test_the_handler_gets_lambdas_dynamodb_stream_event(harness: Harness) -> None:
    # Given a poller on an empty table, When an item is written
    recorder = Recorder()
    harness.poller(recorder).start()
    harness.put("k1")

    # Then the handler gets Lambda's event for it
    wait_for(lambda: recorder.batches, timeout=10, message="one batch")
    (record,) = recorder.batches[0]
    assert record["eventName"] == "INSERT"
    assert record["eventSource"] == "aws:dynamodb"
    assert record["eventVersion"] == "1.1"
    assert record["awsRegion"]
    assert record["eventSourceARN"].endswith(
        harness.ddb.describe_table(TableName=harness.table)["Table"]["LatestStreamArn"].rsplit("/", 1)[-1]
    )
    dynamodb = record["dynamodb"]
    assert dynamodb["Keys"] == {"pk": {"S": "k1"}, "sk": {"S": "x"}}
    assert dynamodb["NewImage"]["n"] == {"N": "1"}
    assert dynamodb["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert isinstance(dynamodb["ApproximateCreationDateTime"], int)
    assert dynamodb["SequenceNumber"].isdigit()
    assert isinstance(dynamodb["SizeBytes"], int)
    json.dumps(recorder.batches)  # the event is plain JSON, as Lambda's is


def test_batches_respect_the_batch_size_and_the_stream_order(harness: Harness) -> None:
    # Given 7 records already in the stream
    harness.put(*[f"k{i}" for i in range(7)])
    recorder = Recorder()

    # When a poller with batch size 3 starts
    harness.poller(recorder, batch_size=3).start()

    # Then it invokes with 3, 3 and 1 records, in order
    wait_for(lambda: len(recorder.pks()) >= 7, timeout=10, message="7 records")
    assert recorder.sizes() == [3, 3, 1]
    assert recorder.pks() == [f"k{i}" for i in range(7)]


def test_the_batching_window_gathers_records_written_apart(harness: Harness) -> None:
    recorder = Recorder()
    harness.poller(recorder, batch_size=100, window_s=1.5).start()
    for i in range(4):
        harness.put(f"w{i}")
        time.sleep(0.1)
    wait_for(lambda: recorder.batches, timeout=10, message="a batch")
    time.sleep(0.3)
    assert recorder.sizes() == [4]


def test_a_reported_item_failure_retries_from_that_record_only(harness: Harness) -> None:
    # Given a handler that reports the third record as failed on its first invocation
    def rule(records: list[dict[str, Any]], attempt: int) -> Any:
        if attempt == 1:
            return {"batchItemFailures": [{"itemIdentifier": records[2]["dynamodb"]["SequenceNumber"]}]}
        return {"batchItemFailures": []}

    harness.put(*[f"p{i}" for i in range(5)])
    recorder = Recorder(rule)
    harness.poller(recorder).start()

    # Then the first two are done once, and the batch is retried from the third
    wait_for(lambda: len(recorder.batches) >= 2, timeout=10, message="the retry")
    time.sleep(0.3)
    first, second = recorder.batches
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in first] == ["p0", "p1", "p2", "p3", "p4"]
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in second] == ["p2", "p3", "p4"]
    assert harness.failures() == []


def test_an_unknown_failure_id_fails_the_whole_batch(harness: Harness) -> None:
    def rule(records: list[dict[str, Any]], attempt: int) -> Any:
        return {"batchItemFailures": [{"itemIdentifier": "not-in-the-batch"}]} if attempt == 1 else {}

    harness.put("u0", "u1")
    recorder = Recorder(rule)
    harness.poller(recorder, bisect=False).start()
    wait_for(lambda: len(recorder.batches) >= 2, timeout=10, message="the retry")
    assert recorder.sizes()[:2] == [2, 2]


def test_a_record_that_keeps_failing_goes_to_the_failure_queue_with_its_context(harness: Harness) -> None:
    # Given a record that always fails, then a good one behind it
    def rule(records: list[dict[str, Any]], attempt: int) -> Any:
        bad = [r for r in records if r["dynamodb"]["Keys"]["pk"]["S"] == "bad"]
        return {"batchItemFailures": [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in bad]}

    harness.put("bad", "good")
    recorder = Recorder(rule)
    poller = harness.poller(recorder, max_retries=2)
    poller.start()

    # Then after 1 + 2 attempts it goes to the queue, and the good record is processed after it
    failures = wait_for(harness.failures, timeout=15, message="the failure message")
    (failure,) = failures
    info = failure["DDBStreamBatchInfo"]
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 3
    assert info["streamArn"] == poller.stream_arn
    assert info["shardId"] in poller.shards
    assert info["batchSize"] == 2
    assert int(info["startSequenceNumber"]) <= int(info["endSequenceNumber"])
    assert [k for k in recorder.pks() if k == "bad"] == ["bad"] * 3
    # And the records can be read again from the stream with that context
    iterator = harness.streams.get_shard_iterator(
        StreamArn=info["streamArn"],
        ShardId=info["shardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=info["startSequenceNumber"],
    )["ShardIterator"]
    replay = harness.streams.get_records(ShardIterator=iterator)["Records"]
    assert replay[0]["dynamodb"]["Keys"]["pk"]["S"] == "bad"
    # And a later record is not blocked
    harness.put("after")
    wait_for(lambda: "after" in recorder.pks(), timeout=10, message="the record after")


def test_bisect_isolates_a_poison_record_so_its_neighbours_succeed(harness: Harness) -> None:
    # Given a handler that raises whenever its batch holds the poison record
    def rule(records: list[dict[str, Any]], attempt: int) -> Any:
        if any(r["dynamodb"]["Keys"]["pk"]["S"] == "poison" for r in records):
            raise RuntimeError("poison")
        return {}

    keys = ["a", "b", "poison", "c", "d"]
    harness.put(*keys)
    recorder = Recorder(rule)
    harness.poller(recorder, bisect=True, max_retries=1).start()

    # Then the poison record alone goes to the queue; every other record succeeds
    (failure,) = wait_for(harness.failures, timeout=15, message="the poison's failure message")
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 1

    def succeeded() -> set[str]:
        return {
            r["dynamodb"]["Keys"]["pk"]["S"]
            for batch in recorder.batches
            if not any(x["dynamodb"]["Keys"]["pk"]["S"] == "poison" for x in batch)
            for r in batch
        }

    wait_for(lambda: succeeded() == {"a", "b", "c", "d"}, timeout=10, message="the neighbours")


def test_records_older_than_the_maximum_age_are_discarded_without_invoking(harness: Harness) -> None:
    harness.put("old")
    recorder = Recorder()
    harness.poller(recorder, max_record_age_s=60, clock=lambda: time.time() + 3600).start()
    (failure,) = wait_for(harness.failures, timeout=10, message="the age failure")
    assert failure["requestContext"]["condition"] == "RecordAgeExceeded"
    assert recorder.batches == []


def test_a_restarted_poller_resumes_after_its_checkpoint(harness: Harness) -> None:
    # Given a poller that finished 3 records and saved its position
    checkpoint = harness.tmp / "checkpoints" / "TestMapping.json"
    first = Recorder()
    poller = harness.poller(first, checkpoint=checkpoint)
    poller.start()
    harness.put("r0", "r1", "r2")
    wait_for(lambda: len(first.pks()) == 3, timeout=10, message="3 records")
    poller.stop()
    saved = json.loads(checkpoint.read_text())
    assert saved["streamArn"] == poller.stream_arn

    # When 2 more are written while it is stopped, and a new poller starts from the same file
    harness.put("r3", "r4")
    second = Recorder()
    harness.poller(second, checkpoint=checkpoint).start()

    # Then it gets exactly the 2 new records: nothing replayed, nothing skipped
    wait_for(lambda: len(second.pks()) >= 2, timeout=10, message="the 2 new records")
    time.sleep(0.3)
    assert second.pks() == ["r3", "r4"]


def test_a_failed_batch_is_not_checkpointed(harness: Harness) -> None:
    checkpoint = harness.tmp / "checkpoints" / "TestMapping.json"
    failing = Recorder(lambda records, attempt: (_ for _ in ()).throw(RuntimeError("down")))
    poller = harness.poller(failing, checkpoint=checkpoint, max_retries=-1, bisect=False)
    poller.start()
    harness.put("z0")
    wait_for(lambda: len(failing.batches) >= 2, timeout=10, message="retries")
    poller.stop()
    assert not checkpoint.exists() or json.loads(checkpoint.read_text())["shards"] == {}

    again = Recorder()
    harness.poller(again, checkpoint=checkpoint).start()
    wait_for(lambda: again.pks() == ["z0"], timeout=10, message="the record again")
