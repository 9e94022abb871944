"""Lambda's DynamoDB stream event, built from stream records as DynamoDB Streams returns them.

The one place that shapes what a stream function receives: the local runtime's pollers use it,
and so do the tests that feed handlers stream records (harness/streams.py), so that a handler sees the
same event in both. Lambda's record differs from a `GetRecords` record as boto3 returns it:
binary values (`B`, `BS`) are base64 text, `ApproximateCreationDateTime` is whole epoch seconds,
and every record names its source (`eventSource`, `eventSourceARN`, `awsRegion`).
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

REGION = "us-east-1"


def _b64_binaries(value: Any) -> Any:
    """boto3 decodes B/BS attribute values to bytes; Lambda's event carries them base64-encoded."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key == "B" and isinstance(item, bytes | bytearray):
                out[key] = base64.b64encode(item).decode()
            elif key == "BS" and isinstance(item, list):
                out[key] = [base64.b64encode(bytes(x)).decode() for x in item]
            else:
                out[key] = _b64_binaries(item)
        return out
    if isinstance(value, list):
        return [_b64_binaries(item) for item in value]
    return value


def lambda_record(raw: dict[str, Any], stream_arn: str, region: str = REGION) -> dict[str, Any]:
    """A GetRecords record (as boto3 returns it) in the shape Lambda puts in `event["Records"]`."""
    dynamodb = _b64_binaries(dict(raw.get("dynamodb") or {}))
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    record: dict[str, Any] = {
        "eventID": raw.get("eventID", ""),
        "eventName": raw.get("eventName", ""),
        "eventVersion": raw.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": raw.get("awsRegion") or region,
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }
    if raw.get("userIdentity"):
        # TTL deletions carry {"type": "Service", "principalId": "dynamodb.amazonaws.com"}.
        record["userIdentity"] = raw["userIdentity"]
    return record


def lambda_event(records: list[dict[str, Any]], stream_arn: str, region: str = REGION) -> dict[str, Any]:
    """The event an event source mapping hands the function for one batch of GetRecords records."""
    return {"Records": [lambda_record(record, stream_arn, region) for record in records]}
