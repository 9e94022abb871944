"""The benches' one botocore request meter: what a measured block costs in DynamoDB requests, write
units and read units, on the client under study and on every other client.

It sees the same calls two ways, so a bench can tell what our code asked for from what ran:

- the metered client's own botocore events: `before-call.dynamodb.*` lists its requests in order;
  with `capacity=True`, `provide-client-params.dynamodb.*` sizes the items each request writes and
  `after-call.dynamodb.*` takes the units the endpoint reports (see `RequestMeter`);
- `every_client()`: a wrapper around `BaseClient._make_api_call`, which every boto3 client goes
  through, including those a library builds for itself.

Write units follow DynamoDB's published rules: 1 per started KB written, 2 per KB in a transaction,
charged also when a condition fails; UpdateItem/DeleteItem take what the endpoint reports (1 if it
reports nothing). Read units are what the endpoint reports.
"""

from __future__ import annotations

import contextlib
import math
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

# Operations that accept ReturnConsumedCapacity.
CAPACITY_OPERATIONS = {
    "GetItem", "BatchGetItem", "Query", "Scan", "PutItem", "UpdateItem", "DeleteItem",
    "BatchWriteItem", "TransactWriteItems", "TransactGetItems",
}  # fmt: skip
OTHER_CLIENT = " (other client)"


def value_size(value: dict[str, Any]) -> int:
    """Bytes DynamoDB counts for one typed attribute value (`{"S": ...}`, `{"M": ...}`, ...)."""
    (kind, inner), = value.items()  # fmt: skip
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        digits = inner.lstrip("-").replace(".", "").lstrip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(v) + 1 for k, v in inner.items())
    if kind == "L":
        return 3 + sum(value_size(v) + 1 for v in inner)
    if kind == "SS":
        return sum(len(s.encode()) for s in inner)
    if kind == "NS":
        return sum(value_size({"N": n}) for n in inner)
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def write_units(item: dict[str, Any], transactional: bool = False) -> int:
    return math.ceil(item_size(item) / 1024) * (2 if transactional else 1)


@dataclass
class Usage:
    """What measured blocks cost (one block, or several measured into the same `Usage`)."""

    requests: list[str] = field(default_factory=list)  # the metered client's DynamoDB operations, in order
    calls: list[str] = field(default_factory=list)  # "service.Operation" on any client (inside every_client())
    dynamodb: list[str] = field(default_factory=list)  # DynamoDB operations on any client, others' marked
    wcu: float = 0.0
    rcu: float = 0.0

    @property
    def total(self) -> int:
        """Requests of the metered client."""
        return len(self.requests)

    @property
    def other_clients(self) -> int:
        """DynamoDB requests of any other client."""
        return sum(call.endswith(OTHER_CLIENT) for call in self.dynamodb)

    def counts(self) -> Counter[str]:
        return Counter(self.requests)

    def add(self, other: Usage) -> None:
        self.requests += other.requests
        self.calls += other.calls
        self.dynamodb += other.dynamodb
        self.wcu += other.wcu
        self.rcu += other.rcu


class RequestMeter:
    """Meters one DynamoDB client: `with meter.measure() as usage:` counts what the block costs."""

    def __init__(self, client: Any, *, capacity: bool = False) -> None:
        self.client = client
        self._usage: Usage | None = None
        self._pending_wcu: float | None = None
        events = client.meta.events
        events.register("before-call.dynamodb.*", self._count)
        if capacity:
            events.register("provide-client-params.dynamodb.*", self._params)
            events.register("after-call.dynamodb.*", self._consumed)

    @contextlib.contextmanager
    def measure(self, usage: Usage | None = None) -> Iterator[Usage]:
        """Count the block into `usage` (a new one by default), which it yields."""
        self._usage = usage if usage is not None else Usage()
        try:
            yield self._usage
        finally:
            self._usage = None

    @contextlib.contextmanager
    def every_client(self) -> Iterator[None]:
        """Also record, while measuring, the calls of every boto3 client in the process."""
        from botocore.client import BaseClient

        original: Callable[..., Any] = BaseClient._make_api_call
        meter = self

        def recording(client: BaseClient, operation_name: str, api_params: Any) -> Any:
            usage = meter._usage
            if usage is not None:
                service = client.meta.service_model.service_name
                usage.calls.append(f"{service}.{operation_name}")
                if service == "dynamodb":
                    own = client is meter.client
                    usage.dynamodb.append(operation_name if own else operation_name + OTHER_CLIENT)
            return original(client, operation_name, api_params)

        BaseClient._make_api_call = recording
        try:
            yield
        finally:
            BaseClient._make_api_call = original

    def _count(self, event_name: str, **_: Any) -> None:
        if self._usage is not None:
            self._usage.requests.append(event_name.rsplit(".", 1)[-1])

    def _params(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if self._usage is None:
            return
        if model.name in CAPACITY_OPERATIONS and "ReturnConsumedCapacity" not in params:
            params["ReturnConsumedCapacity"] = "TOTAL"
        self._pending_wcu = None
        if model.name == "PutItem":
            self._pending_wcu = write_units(params["Item"])
        elif model.name == "TransactWriteItems":
            total = 0
            for action in params["TransactItems"]:
                if "Put" in action:
                    total += write_units(action["Put"]["Item"], transactional=True)
                else:  # Update/Delete/ConditionCheck: not used by either design; 1 KB each
                    total += 2
            self._pending_wcu = total
        elif model.name == "BatchWriteItem":
            self._pending_wcu = sum(
                write_units(r["PutRequest"]["Item"]) if "PutRequest" in r else 1
                for requests in params["RequestItems"].values()
                for r in requests
            )

    def _consumed(self, event_name: str, parsed: dict[str, Any], **_: Any) -> None:
        if self._usage is None:
            return
        operation = event_name.rsplit(".", 1)[-1]
        reported = parsed.get("ConsumedCapacity")
        units = reported if isinstance(reported, list) else [reported] if reported else []
        reported_total = sum(float(u.get("CapacityUnits", 0)) for u in units)
        if self._pending_wcu is not None:
            self._usage.wcu += self._pending_wcu  # charged even when the condition fails
        elif operation in ("UpdateItem", "DeleteItem"):
            self._usage.wcu += reported_total or 1
        else:
            self._usage.rcu += reported_total
        self._pending_wcu = None
