"""`ops replay-failed`: re-drive the stream records that exhausted their retries.

Each stream consumer (projector, data-sync) hands a batch it gave up on to its on-failure queue as
Lambda's invocation record: a pointer (`DDBStreamBatchInfo`: stream, shard, first and last
sequence number, arrival times), not the records. For each message this reads the records back:

- from the stream while it still holds them (DynamoDB keeps stream records 24 hours);
- else from the history table, which keeps every accepted version for good: the versions written
  within the batch's arrival window (arrival times are rounded down, so up to a minute after)
  are rebuilt into the records the stream carried (the projector gets each command; the
  data-sync gets each change as an old and a new image).

and hands them to the consumer's own handler, in this process, with this checkout's code and the
caller's credentials. Both handlers are idempotent (a step already done is not done twice), so a
record re-driven twice, or a window that holds more than the failed records, changes nothing
more. A message is deleted only when every record of it succeeded; `--dry-run` reads and reports
but re-drives and deletes nothing. Every loop is bounded in count.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError as AwsError

from client.errors import ClientError
from client.outputs import BOTO_CONFIG
from infra import names

LAMBDAS = Path(__file__).resolve().parent.parent / "lambdas"
MAX_MESSAGES = 100  # per queue and run
MAX_STREAM_PAGES = 50  # GetRecords calls per message
MAX_HISTORY_PAGES = 200  # Scan pages per message (fallback)
# Stream arrival times are rounded down (to the second on AWS, to the minute on DynamoDB Local):
# the window reaches a minute past the last arrival. Re-driving more than failed changes nothing.
WINDOW_BEFORE = timedelta(seconds=2)
WINDOW_AFTER = timedelta(seconds=62)
DYNAMODB_ENDPOINT = "DynamoDbEndpointUrl"
AWS_ENDPOINT = "AwsEndpointUrl"

# consumer -> (queue output, handler module)
CONSUMERS = {
    "projector": (names.OUTPUT_PROJECTOR_FAILURES_QUEUE, "handlers.projector"),
    "data-sync": (names.OUTPUT_DATA_SYNC_FAILURES_QUEUE, "handlers.data_sync"),
}
# What the functions read from their environment, from the stack's outputs.
_ENVIRONMENT = {
    names.ENV_COMMAND_TABLE: names.OUTPUT_COMMAND_TABLE,
    names.ENV_DATA_TABLE: names.OUTPUT_DATA_TABLE,
    names.ENV_HISTORY_TABLE: names.OUTPUT_HISTORY_TABLE,
    names.ENV_SEQUENCES_TABLE: names.OUTPUT_SEQUENCES_TABLE,
    names.ENV_IDEMPOTENCY_TABLE: names.OUTPUT_IDEMPOTENCY_TABLE,
    names.ENV_NOTIFICATION_TOPIC: names.OUTPUT_NOTIFICATION_TOPIC_ARN,
}


@dataclass(frozen=True)
class Batch:
    """One on-failure message: where its records were, and when they arrived."""

    stream_arn: str
    shard_id: str
    first: str
    last: str
    size: int
    arrived_from: datetime
    arrived_to: datetime

    @classmethod
    def from_message(cls, body: str) -> Batch:
        try:
            info = json.loads(body)["DDBStreamBatchInfo"]
            return cls(
                stream_arn=str(info["streamArn"]),
                shard_id=str(info["shardId"]),
                first=str(info["startSequenceNumber"]),
                last=str(info["endSequenceNumber"]),
                size=int(info.get("batchSize") or 0),
                arrived_from=_instant(info["approximateArrivalOfFirstRecord"]),
                arrived_to=_instant(info["approximateArrivalOfLastRecord"]),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise ClientError(f"not an on-failure record of a DynamoDB stream: {error}") from None


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _stamp(moment: datetime) -> str:
    """The items' own timestamp format (`cqrs.clock.iso_timestamp`): sortable as text."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Replayer:
    """Reads the on-failure queues of one stack and re-drives their records."""

    def __init__(self, outputs: dict[str, Any], *, dry_run: bool, max_messages: int = MAX_MESSAGES) -> None:
        missing = [key for key, _ in CONSUMERS.values() if not outputs.get(key)] + [
            key for key in _ENVIRONMENT.values() if not outputs.get(key)
        ]
        if missing:
            raise ClientError(f"the outputs lack {', '.join(missing)}: deploy this version of the stack first")
        self._outputs = outputs
        self._dry_run = dry_run
        self._max_messages = max_messages
        region = str(outputs[names.OUTPUT_REGION])
        self._sqs = _client("sqs", region, outputs.get(AWS_ENDPOINT))
        ddb_endpoint = outputs.get(DYNAMODB_ENDPOINT)
        self._streams = _client("dynamodbstreams", region, ddb_endpoint)
        self._dynamodb = _client("dynamodb", region, ddb_endpoint)

    def run(self) -> dict[str, Any]:
        report: dict[str, Any] = {"dryRun": self._dry_run, "queues": {}}
        with self._function_environment():
            for consumer, (output, module) in CONSUMERS.items():
                url = str(self._outputs[output])
                report["queues"][consumer] = [self._one(consumer, module, url, m) for m in self._messages(url)]
        messages = [m for q in report["queues"].values() for m in q]
        report["messages"] = len(messages)
        report["replayed"] = sum(1 for m in messages if m["action"] == "replayed")
        report["kept"] = sum(1 for m in messages if m["action"] in ("kept", "would replay"))
        return report

    def _messages(self, url: str) -> Iterator[dict[str, Any]]:
        """Up to `max_messages` messages, each received once this run (hidden while it runs)."""
        seen: set[str] = set()
        for _ in range(self._max_messages):
            response = self._sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=0, VisibilityTimeout=300
            )
            batch = response.get("Messages") or []
            if not batch:
                return
            if batch[0]["MessageId"] in seen:  # kept earlier this run: show it again at once
                self._sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=batch[0]["ReceiptHandle"], VisibilityTimeout=0
                )
                return
            seen.add(batch[0]["MessageId"])
            yield batch[0]

    def _one(self, consumer: str, module: str, url: str, message: dict[str, Any]) -> dict[str, Any]:
        batch = Batch.from_message(message["Body"])
        records, source = self._stream_records(batch)
        if records is None:
            records, source = self._history_records(batch, consumer), "history"
        entry: dict[str, Any] = {
            "messageId": message["MessageId"],
            "shardId": batch.shard_id,
            "sequenceNumbers": [batch.first, batch.last],
            "source": source,
            "records": len(records),
            "keys": sorted({f"{_key(r, 'pk')} {_key(r, 'sk')}" for r in records}),
        }
        if self._dry_run:
            # Seen, not changed: let the next run (or an operator) receive it at once.
            self._sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
            return {**entry, "action": "would replay", "failed": []}
        failed = _invoke(module, records) if records else []
        if failed:
            self._sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
            return {**entry, "action": "kept", "failed": failed}
        self._sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return {**entry, "action": "replayed", "failed": []}

    def _stream_records(self, batch: Batch) -> tuple[list[dict[str, Any]] | None, str]:
        """The batch's records from the stream, or (None, why) when the stream no longer has them."""
        try:
            iterator = self._streams.get_shard_iterator(
                StreamArn=batch.stream_arn,
                ShardId=batch.shard_id,
                ShardIteratorType="AT_SEQUENCE_NUMBER",
                SequenceNumber=batch.first,
            ).get("ShardIterator")
            records: list[dict[str, Any]] = []
            for _ in range(MAX_STREAM_PAGES):
                if not iterator:
                    break
                page = self._streams.get_records(ShardIterator=iterator, Limit=1000)
                for record in page.get("Records") or []:
                    if int(record["dynamodb"]["SequenceNumber"]) > int(batch.last):
                        return records or None, "stream"
                    records.append({**record, "eventSourceARN": batch.stream_arn})
                if records and int(records[-1]["dynamodb"]["SequenceNumber"]) >= int(batch.last):
                    return records, "stream"
                if not page.get("Records") and page.get("NextShardIterator") == iterator:
                    break
                iterator = page.get("NextShardIterator")
            return (records or None), "stream"
        except AwsError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in ("TrimmedDataAccessException", "ResourceNotFoundException", "ValidationException"):
                return None, "history"
            raise

    def _history_records(self, batch: Batch, consumer: str) -> list[dict[str, Any]]:
        """Rebuild the window's records from the history table (every accepted version, for good)."""
        table = str(self._outputs[names.OUTPUT_HISTORY_TABLE])
        request: dict[str, Any] = {
            "TableName": table,
            "FilterExpression": "updatedAt BETWEEN :from AND :to",
            "ExpressionAttributeValues": {
                ":from": {"S": _stamp(batch.arrived_from - WINDOW_BEFORE)},
                ":to": {"S": _stamp(batch.arrived_to + WINDOW_AFTER)},
            },
            "ConsistentRead": True,
        }
        versions: list[dict[str, Any]] = []
        for _ in range(MAX_HISTORY_PAGES):
            page = self._dynamodb.scan(**request)
            versions += page.get("Items") or []
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        else:
            raise ClientError(f"history window of {batch.shard_id} spans more than {MAX_HISTORY_PAGES} pages")
        versions.sort(key=lambda item: (item["updatedAt"]["S"], item["sk"]["S"]))
        return [self._rebuilt(item, consumer, batch) for item in versions]

    def _rebuilt(self, item: dict[str, Any], consumer: str, batch: Batch) -> dict[str, Any]:
        base_sk, _, version = item["sk"]["S"].rpartition("@")
        keys = {"pk": item["pk"], "sk": item["sk"] if consumer == "projector" else {"S": base_sk}}
        stream: dict[str, Any] = {"Keys": keys, "SequenceNumber": "0", "StreamViewType": "NEW_AND_OLD_IMAGES"}
        if consumer == "projector":
            stream["NewImage"] = item  # the command, as the command stream carried it
            event = "INSERT"
        else:
            stream["NewImage"] = {**item, "sk": {"S": base_sk}}
            previous = self._dynamodb.get_item(
                TableName=str(self._outputs[names.OUTPUT_HISTORY_TABLE]),
                Key={"pk": item["pk"], "sk": {"S": f"{base_sk}@{int(version) - 1}"}},
                ConsistentRead=True,
            ).get("Item")
            if previous:
                stream["OldImage"] = {**previous, "sk": {"S": base_sk}}
            event = "MODIFY" if previous else "INSERT"
        return {
            "eventName": event,
            "eventSource": "aws:dynamodb",
            "eventSourceARN": batch.stream_arn,
            "dynamodb": stream,
        }

    @contextmanager
    def _function_environment(self) -> Iterator[None]:
        """The functions' settings (tables, topic, endpoints) for the in-process handlers."""
        values = {env: str(self._outputs[output]) for env, output in _ENVIRONMENT.items()}
        values["AWS_DEFAULT_REGION"] = str(self._outputs[names.OUTPUT_REGION])
        values[names.ENV_POWERTOOLS_SERVICE_NAME] = names.SERVICE_NAME
        values[names.ENV_POWERTOOLS_METRICS_NAMESPACE] = names.METRICS_NAMESPACE
        values["POWERTOOLS_LOG_LEVEL"] = "WARNING"
        values["POWERTOOLS_TRACE_DISABLED"] = "true"  # no X-Ray daemon outside Lambda
        if self._outputs.get(AWS_ENDPOINT):
            values["AWS_ENDPOINT_URL"] = str(self._outputs[AWS_ENDPOINT])
            values.setdefault("AWS_ACCESS_KEY_ID", os.environ.get("AWS_ACCESS_KEY_ID", "local"))
            values.setdefault("AWS_SECRET_ACCESS_KEY", os.environ.get("AWS_SECRET_ACCESS_KEY", "local"))
        if self._outputs.get(DYNAMODB_ENDPOINT):
            values["AWS_ENDPOINT_URL_DYNAMODB"] = str(self._outputs[DYNAMODB_ENDPOINT])
            values["AWS_ENDPOINT_URL_DYNAMODB_STREAMS"] = str(self._outputs[DYNAMODB_ENDPOINT])
        saved = {key: os.environ.get(key) for key in values}
        os.environ.update(values)
        added_path = str(LAMBDAS) not in sys.path
        if added_path:
            sys.path.insert(0, str(LAMBDAS))
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            if added_path:
                sys.path.remove(str(LAMBDAS))


def _key(record: dict[str, Any], name: str) -> str:
    return str(record["dynamodb"]["Keys"][name]["S"])


class _Context:
    """The Lambda context the handlers read (function name, request id, remaining time)."""

    function_name = "replay-failed"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:local:000000000000:function:replay-failed"
    aws_request_id = "replay-failed"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


def _invoke(module: str, records: list[dict[str, Any]]) -> list[str]:
    """Run the consumer's handler on `records`; the keys of the records that failed again."""
    import importlib

    # Rebuilt records carry no sequence number ("0"): number them, since partial failures name one.
    numbered = [
        r if r["dynamodb"]["SequenceNumber"] != "0" else {**r, "dynamodb": {**r["dynamodb"], "SequenceNumber": str(i)}}
        for i, r in enumerate(records, 1)
    ]
    # The handlers log and write metrics on stdout, which is this command's JSON report.
    with redirect_stdout(sys.stderr):
        handler: Callable[[dict[str, Any], Any], Any] = importlib.import_module(module).handler
        result = handler({"Records": numbered}, _Context()) or {}
    failed = {str(f.get("itemIdentifier")) for f in result.get("batchItemFailures") or []}
    return [f"{_key(r, 'pk')} {_key(r, 'sk')}" for r in numbered if str(r["dynamodb"]["SequenceNumber"]) in failed]


def _client(service: str, region: str, endpoint: Any) -> Any:
    kwargs: dict[str, Any] = {"region_name": region, "config": BOTO_CONFIG}
    if endpoint:
        kwargs["endpoint_url"] = str(endpoint)
        kwargs.setdefault("aws_access_key_id", os.environ.get("AWS_ACCESS_KEY_ID", "local"))
        kwargs.setdefault("aws_secret_access_key", os.environ.get("AWS_SECRET_ACCESS_KEY", "local"))
    return boto3.client(service, **kwargs)
