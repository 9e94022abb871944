"""`python -m client ops replay-failed`, end to end on the local runtime, with records made to fail.

The runtime runs a copy of the stack's template whose stream mappings give up after one retry
(the deployed policy retries for 15 minutes). A cancellation whose stock record has gone missing
makes the data-sync fail (it cannot release what the order reserved); its record lands in the
on-failure queue. Once the stock record is back, the command re-drives it: from the stream, and,
when the stream no longer has it, from the history table.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.e2e.conftest import session_template
from tests.e2e.runtime_process import PROJECT_ROOT, Api, RuntimeProcess, order_body, token_for, wait_for

pytestmark = pytest.mark.e2e

TENANT = "shop-a"
CLI_TIMEOUT_S = 120
QUEUE_TIMEOUT_S = 90.0


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RuntimeProcess]:
    source = session_template(tmp_path_factory)
    template = json.loads(source.read_text())
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Lambda::EventSourceMapping":
            resource["Properties"]["MaximumRetryAttempts"] = 1
    copy = source.parent / "replay-failed.template.json"
    copy.write_text(json.dumps(template))
    process = RuntimeProcess(
        state_dir=tmp_path_factory.mktemp("replay-state"), template=copy, extra_args=["--in-memory"]
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def api(runtime: RuntimeProcess) -> Iterator[Api]:
    client = Api(runtime.outputs["ApiUrl"], token_for(runtime.outputs, TENANT, "admin"))
    yield client
    client.close()


def aws(runtime: RuntimeProcess, service: str) -> Any:
    endpoint = runtime.outputs["DynamoDbEndpointUrl" if service == "dynamodb" else "AwsEndpointUrl"]
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=runtime.outputs["Region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - the local emulators take any key
    )


def replay(runtime: RuntimeProcess, *args: str) -> dict[str, Any]:
    argv = [sys.executable, "-m", "client", "--outputs", str(runtime.state_dir / "outputs.json")]
    done = subprocess.run(
        [*argv, "ops", "replay-failed", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout))


def queued(runtime: RuntimeProcess) -> int:
    attributes = aws(runtime, "sqs").get_queue_attributes(
        QueueUrl=runtime.outputs["DataSyncFailuresQueueUrl"],
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def order_of(api: Api, code: str) -> dict[str, Any]:
    status, order = api.get(f"/orders/{code}")
    assert status == 200, order
    return dict(order["attributes"])


def failed_cancellation(runtime: RuntimeProcess, api: Api) -> tuple[str, str, dict[str, Any]]:
    """An order whose cancellation the data-sync could not settle; (product, order, stock item)."""
    product = f"RPL-{uuid.uuid4().hex[:8].upper()}"
    body = {"code": product, "name": "Replay", "categoryCode": "C", "sku": product, "price": 5, "currency": "USD"}
    assert api.post("/products", body)[0] == 201
    assert api.patch(f"/inventory/{product}", {"version": 0, "quantity": 5})[0] == 200
    status, order = api.post("/orders", order_body(product, 2))
    assert status == 201, order
    code = order["code"]
    wait_for(lambda: order_of(api, code)["inventoryStatus"] == "reserved", timeout=60, message="the reservation")

    # The stock record goes missing: releasing what the order reserved cannot succeed
    dynamodb = aws(runtime, "dynamodb")
    key = {"pk": {"S": f"TENANT#{TENANT}"}, "sk": {"S": f"INVENTORY#{product}"}}
    table = runtime.outputs["DataTableName"]
    stock = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]

    def gone_for_good() -> bool:
        # The projector (a catch-up, batching for 1 s) may still write the record back once.
        dynamodb.delete_item(TableName=table, Key=key)
        time.sleep(2.0)
        return "Item" not in dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True)

    wait_for(gone_for_good, timeout=30, message="the stock record deleted")
    assert api.patch(f"/orders/{code}/status", {"status": "cancelled"})[0] == 200
    try:
        wait_for(lambda: queued(runtime) == 1, timeout=QUEUE_TIMEOUT_S, message="the failed record in the queue")
    except AssertionError as error:
        raise AssertionError("\n".join([str(error), *runtime.lines[-40:]])) from None
    assert order_of(api, code)["inventoryStatus"] == "reserved"  # nothing released
    return product, code, stock


def restore(runtime: RuntimeProcess, stock: dict[str, Any]) -> None:
    aws(runtime, "dynamodb").put_item(TableName=runtime.outputs["DataTableName"], Item=stock)


def test_a_failed_record_is_replayed_from_the_stream(runtime: RuntimeProcess, api: Api) -> None:
    product, code, stock = failed_cancellation(runtime, api)
    restore(runtime, stock)

    # --dry-run reads and reports, and changes nothing
    report = replay(runtime, "--dry-run")
    assert (report["dryRun"], report["messages"], report["replayed"], report["kept"]) == (True, 1, 0, 1)
    (entry,) = report["queues"]["data-sync"]
    assert (entry["action"], entry["source"]) == ("would replay", "stream")
    assert f"TENANT#{TENANT} ORDER#{code}" in entry["keys"]
    assert report["queues"]["projector"] == []
    assert order_of(api, code)["inventoryStatus"] == "reserved"
    assert queued(runtime) == 1

    # The replay releases the reservation once, and empties the queue
    report = replay(runtime)
    assert (report["dryRun"], report["messages"], report["replayed"]) == (False, 1, 1)
    assert report["queues"]["data-sync"][0]["action"] == "replayed"
    assert order_of(api, code)["inventoryStatus"] == "released"
    status, inventory = api.get(f"/inventory/{product}")
    assert (status, inventory["attributes"]["quantity"], inventory["attributes"]["reservedQuantity"]) == (200, 5, 0)
    assert queued(runtime) == 0
    assert replay(runtime)["messages"] == 0


def test_a_record_the_stream_no_longer_holds_is_replayed_from_the_history(runtime: RuntimeProcess, api: Api) -> None:
    product, code, stock = failed_cancellation(runtime, api)
    # As after the stream's 24 hours: the message points at a shard that is gone
    sqs, url = aws(runtime, "sqs"), runtime.outputs["DataSyncFailuresQueueUrl"]
    (message,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=1)["Messages"]
    body = json.loads(message["Body"])
    body["DDBStreamBatchInfo"]["shardId"] = "shardId-00000000000000000000-00000000"
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body))
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    restore(runtime, stock)

    report = replay(runtime)

    (entry,) = report["queues"]["data-sync"]
    assert (entry["action"], entry["source"]) == ("replayed", "history")
    assert f"TENANT#{TENANT} ORDER#{code}" in entry["keys"]
    assert order_of(api, code)["inventoryStatus"] == "released"
    status, inventory = api.get(f"/inventory/{product}")
    assert (status, inventory["attributes"]["reservedQuantity"]) == (200, 0)
    assert queued(runtime) == 0


def test_the_queue_urls_are_stack_outputs(runtime: RuntimeProcess) -> None:
    for name in ("ProjectorFailuresQueueUrl", "DataSyncFailuresQueueUrl"):
        assert runtime.outputs[name].startswith("http://127.0.0.1:"), runtime.outputs[name]
    assert Path(runtime.state_dir / "outputs.json").is_file()
