"""The command-stream Lambda: projects each accepted command onto the read model (data table).

The writer puts the read model right after logging the command, so this is the idempotent
catch-up (`cqrs.projection.Projector`) for a writer that stopped between the two: a replayed or
out-of-date record never moves the read model back. Only INSERT records are commands; MODIFY and
REMOVE (a logged version withdrawn because the read model was ahead) are ignored.

A record that fails is reported as a batch item failure (logged with tenant, keys and error); the
event source retries it and finally hands it to its on-failure queue.
"""

from __future__ import annotations

import contextlib
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from cqrs.dynamo import deserialize
from cqrs.keys import tenant_of_pk
from cqrs.projection import Projection
from handlers.observability import logger, metrics, tracer
from shop.wiring import shop

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> Projection | None:
    raw = record.raw_event
    try:
        if raw.get("eventName") != "INSERT":
            return None
        outcome = shop().core.projector.apply(deserialize(raw["dynamodb"]["NewImage"]))
    except Exception:
        logger.exception("command record failed", extra=describe(raw))
        metrics.add_metric(name="ProjectionFailures", unit=MetricUnit.Count, value=1)
        raise
    if outcome is Projection.APPLIED:
        metrics.add_metric(name="CommandsProjected", unit=MetricUnit.Count, value=1)
    return outcome


def describe(raw: dict[str, Any]) -> dict[str, Any]:
    """Enough to find and replay a record: its id, position, event, keys and tenant."""
    stream = raw.get("dynamodb") or {}
    keys: dict[str, Any] = {}
    with contextlib.suppress(Exception):
        keys = deserialize(stream.get("Keys") or {})
    tenant = None
    with contextlib.suppress(Exception):
        tenant = tenant_of_pk(str(keys.get("pk")))
    return {
        "tenant": tenant,
        "pk": keys.get("pk"),
        "sk": keys.get("sk"),
        "eventID": raw.get("eventID"),
        "eventName": raw.get("eventName"),
        "sequenceNumber": stream.get("SequenceNumber"),
        "eventSourceARN": raw.get("eventSourceARN"),
    }


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
