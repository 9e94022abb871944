"""The data-stream Lambda: hands each read-model change to the handlers registered for its key.

`shop.wiring.data_sync()` holds the registry (orders: `shop.order_sync.OrderDataSyncHandler`).
Each record is one `DataChange`; a record whose image cannot be read (a poison record) or whose
handler raises fails alone, as a batch item failure logged with tenant, keys and error, and is
retried by the event source until it lands in the on-failure queue. Handlers are idempotent, so
the retries (and Lambda re-delivering records after the first failure) change nothing twice.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from cqrs.sync import DataChange
from handlers.observability import logger, metrics, tracer
from handlers.projector import describe
from shop.wiring import data_sync

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> int:
    raw = record.raw_event
    try:
        handled = data_sync().dispatch(DataChange.from_stream_record(raw))
    except Exception:
        logger.exception("data change failed", extra=describe(raw))
        metrics.add_metric(name="DataSyncFailures", unit=MetricUnit.Count, value=1)
        raise
    if handled:
        metrics.add_metric(name="DataChangesHandled", unit=MetricUnit.Count, value=1)
    return handled


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
