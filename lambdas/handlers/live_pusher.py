"""The data-stream Lambda that keeps staff screens live: each read-model change becomes the
messages `live.messages` defines, pushed to every connection of the change's tenant only."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from cqrs.sync import DataChange
from handlers.observability import logger
from live.messages import Message, messages_for
from live.wiring import low_stock_threshold, pusher

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


# The messages of the batch being handled, by tenant, in stream order: pushed once per batch, so a
# batch reads each tenant's connections once and sends each connection its messages in one go.
_batch: dict[str, list[Message]] = {}


def record_handler(record: DynamoDBRecord) -> int:
    change = DataChange.from_stream_record(record.raw_event)
    messages = messages_for(change, low_stock_threshold)
    if messages:
        _batch.setdefault(change.tenant_code, []).extend(messages)
    return len(messages)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    _batch.clear()
    try:
        response = process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
        for tenant, messages in _batch.items():
            result = pusher().push(tenant, messages)
            logger.debug("pushed", extra={"tenant": tenant, "messages": len(messages), **vars(result)})
        return response
    finally:
        _batch.clear()
