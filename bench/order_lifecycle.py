"""DynamoDB requests and write units of one order's whole lifecycle, ours against the seed's design.

The order: 2 lines, created, confirmed, processing, shipped, delivered. Both designs run on
DynamoDB Local (in memory, stopped at the end) with the same counter:

- ours: the API handler in-process for the five writes, then the real stream Lambdas
  (`handlers.projector`, `handlers.data_sync`) fed the records read from the tables' streams
  until they are quiet: projection catch-up, stock settled per order in one transaction,
  notification markers on the idempotency table (SNS itself is a recording stub: no DynamoDB);
- the seed's design (the e-commerce example of the MBC CQRS Serverless framework, described in
  docs/design.md, "The reference's behaviour"), replayed call for call with the reference
  framework's `CommandService.publish`: `publishAsync` = GetItem of the command version it
  names (updates) + conditional PutItem of the next version; status updates GetItem the order
  first; inventory moves item by item (GetItem + publishAsync per line). Its projection is
  counted at its minimum, check-version GetItem + history PutItem + data PutItem per command;
  the reference framework's Step Functions projection spends more (a status UpdateItem before
  and after each of its ~6 steps, a TTL update, reads of the previous and next command).

Counting: a botocore `before-call.dynamodb.*` hook counts requests on the one DynamoDB client
every component uses (a wrapper around `BaseClient._make_api_call` checks that no other client
made any); `provide-client-params.dynamodb.*` sees each request's parameters. Write units are
computed with DynamoDB's published rules from the item sizes: 1 WCU per started KB written,
2 per KB in a transaction, charged also when a condition fails; UpdateItem/DeleteItem take what
DynamoDB Local reports (ReturnConsumedCapacity), 1 if it reports nothing. Read units are what
DynamoDB Local reports (strongly consistent: 1 per 4 KB; transactions 2x, not applicable here).

Run: `python -m bench.order_lifecycle` (the figures do not depend on `--quick`).
"""

from __future__ import annotations

import contextlib
import math
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bench._common import (
    BASE_ENV,
    REGION,
    Figure,
    call_api,
    environment,
    parse_quick,
    print_table,
    quiet,
    reset_wiring,
    say,
    table_env,
)

TENANT = "bench-life"
LINES = {"PRD-001": 2, "PRD-002": 1}
STEPS = ("confirmed", "processing", "shipped", "delivered")
_CAPACITY_OPS = {
    "GetItem", "BatchGetItem", "Query", "Scan", "PutItem", "UpdateItem", "DeleteItem",
    "BatchWriteItem", "TransactWriteItems", "TransactGetItems",
}  # fmt: skip


# ---- item sizes and write units, by DynamoDB's published rules ----------------------------------


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


# ---- the counter -------------------------------------------------------------------------------


@dataclass
class Phase:
    requests: Counter[str] = field(default_factory=Counter)  # operation -> requests
    wcu: float = 0.0
    rcu: float = 0.0

    def add(self, other: Phase) -> None:
        self.requests.update(other.requests)
        self.wcu += other.wcu
        self.rcu += other.rcu

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    def ops(self) -> str:
        return ", ".join(f"{op} {n}" for op, n in sorted(self.requests.items(), key=lambda kv: -kv[1]))


class Meter:
    """Counts requests, write units and read units of one DynamoDB client, per phase."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.phase: Phase | None = None
        self._pending_wcu: float | None = None
        self.other_clients = 0
        events = client.meta.events
        events.register("provide-client-params.dynamodb.*", self._params)
        events.register("before-call.dynamodb.*", self._count)
        events.register("after-call.dynamodb.*", self._consumed)

    def _params(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if self.phase is None:
            return
        if model.name in _CAPACITY_OPS and "ReturnConsumedCapacity" not in params:
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

    def _count(self, event_name: str, **_: Any) -> None:
        if self.phase is not None:
            self.phase.requests[event_name.rsplit(".", 1)[-1]] += 1

    def _consumed(self, event_name: str, parsed: dict[str, Any], **_: Any) -> None:
        if self.phase is None:
            return
        operation = event_name.rsplit(".", 1)[-1]
        reported = parsed.get("ConsumedCapacity")
        units = reported if isinstance(reported, list) else [reported] if reported else []
        reported_total = sum(float(u.get("CapacityUnits", 0)) for u in units)
        if self._pending_wcu is not None:
            self.phase.wcu += self._pending_wcu  # charged even when the condition fails
        elif operation in ("UpdateItem", "DeleteItem"):
            self.phase.wcu += reported_total or 1
        else:
            self.phase.rcu += reported_total
        self._pending_wcu = None

    @contextlib.contextmanager
    def measure(self, phase: Phase) -> Iterator[Phase]:
        self.phase = phase
        try:
            yield phase
        finally:
            self.phase = None

    @contextlib.contextmanager
    def watching_other_clients(self) -> Iterator[None]:
        from botocore.client import BaseClient

        original: Callable[..., Any] = BaseClient._make_api_call
        meter = self

        def counting(client: BaseClient, operation_name: str, api_params: Any) -> Any:
            service = client.meta.service_model.service_name
            if meter.phase is not None and service == "dynamodb" and client is not meter.client:
                meter.other_clients += 1
            return original(client, operation_name, api_params)

        BaseClient._make_api_call = counting
        try:
            yield
        finally:
            BaseClient._make_api_call = original


# ---- ours --------------------------------------------------------------------------------------


def ours(meter: Meter, streams: Any, tables: Any, idempotency_table: str) -> dict[str, Phase]:
    from handlers import data_sync
    from shop import wiring
    from tests.support.streams import RecordingSns, StreamPump, StreamReader, stream_arn

    client = meter.client
    sns = RecordingSns()
    notifications = wiring.build_notifications(sns, "arn:aws:sns:us-east-1:123456789012:n", idempotency_table, client)
    registry = wiring.build_data_sync(wiring.shop().stock, notifications)
    saved = (data_sync.notifications, data_sync.data_sync)
    data_sync.notifications, data_sync.data_sync = (lambda: notifications), (lambda: registry)  # type: ignore[assignment]
    try:
        from handlers import projector

        pump = StreamPump(
            command=StreamReader(streams, stream_arn(client, tables.command)),
            data=StreamReader(streams, stream_arn(client, tables.data)),
            projector=projector.handler,
            data_sync=data_sync.handler,
        )
        for code, stock in (("PRD-001", 10), ("PRD-002", 5)):
            product = {"code": code, "name": code, "categoryCode": "CAT", "sku": f"SKU-{code}", "price": 29.99}
            _ok(call_api("POST", "/products", {**product, "currency": "USD"}, tenant=TENANT), 201)
            _ok(call_api("PATCH", f"/inventory/{code}", {"version": 0, "quantity": stock}, tenant=TENANT), 200)
        pump.drain()  # the setup's records are not the lifecycle's

        phases = {"API": Phase(), "projector": Phase(), "data-sync": Phase()}
        original_invoke = pump.invoke

        def invoke(function: str, event: dict[str, Any]) -> dict[str, Any]:
            with meter.measure(phases["projector" if function == "projector" else "data-sync"]):
                return original_invoke(function, event)

        pump.invoke = invoke  # type: ignore[method-assign]
        body = {
            "customerId": "CUST-001",
            "items": [{"productCode": c, "quantity": q} for c, q in LINES.items()],
            "shippingAddress": {"street": "1 Main St", "city": "Tokyo", "postalCode": "100-0001", "country": "JP"},
            "paymentMethod": "credit_card",
        }
        with meter.measure(phases["API"]):
            code = _ok(call_api("POST", "/orders", body, tenant=TENANT), 201)["code"]
        pump.drain()
        for status in STEPS:
            with meter.measure(phases["API"]):
                _ok(call_api("PATCH", f"/orders/{code}/status", {"status": status}, tenant=TENANT), 200)
            pump.drain()

        levels = [call_api("GET", f"/inventory/{c}", tenant=TENANT).body["attributes"] for c in LINES]
        final = [(int(a["quantity"]), int(a["reservedQuantity"])) for a in levels]
        if final != [(8, 0), (4, 0)] or len(sns.published) != 3:
            raise RuntimeError(f"our lifecycle went wrong: stock {final}, {len(sns.published)} notifications")
        return phases
    finally:
        data_sync.notifications, data_sync.data_sync = saved


def _ok(result: Any, status: int) -> Any:
    if result.status != status:
        raise RuntimeError(f"expected {status}, got {result.status}: {result.body}")
    return result.body


# ---- the seed's design, call for call ----------------------------------------------------------


class SeedDesign:
    """The seed's calls on its own tables (see the module docstring for the sources)."""

    def __init__(self, client: Any, tables: Any) -> None:
        from cqrs.dynamo import serialize

        self._serialize = serialize
        self.client = client
        self.tables = tables
        self.pk = f"TENANT#{TENANT}"
        self.pending: list[dict[str, Any]] = []  # commands written, waiting for the projection

    def get_data(self, sk: str) -> dict[str, Any]:
        from cqrs.dynamo import deserialize

        raw = self.client.get_item(TableName=self.tables.data, Key=self._key(sk))["Item"]
        return deserialize(raw)

    def publish_async(self, sk: str, attributes: dict[str, Any], version: int) -> None:
        if version > 0:  # CommandService.publish: the named version must exist (and dirty check)
            self.client.get_item(TableName=self.tables.command, Key=self._key(f"{sk}@{version}"))
        code = sk.split("#", 1)[1]
        command = {
            "pk": self.pk,
            "sk": f"{sk}@{version + 1}",
            "id": f"{self.pk}#{sk}",
            "code": code,
            "name": code,
            "tenantCode": TENANT,
            "type": sk.split("#", 1)[0],
            "version": version + 1,
            "attributes": attributes,
            "source": "seed",
            "requestId": "00000000-0000-0000-0000-000000000000",
            "createdAt": "2024-01-15T10:30:00.000Z",
            "createdBy": "user-1",
            "updatedAt": "2024-01-15T10:30:00.000Z",
            "updatedBy": "user-1",
        }
        self.client.put_item(
            TableName=self.tables.command,
            Item=self._serialize(command),
            ConditionExpression="attribute_not_exists(pk) AND attribute_not_exists(sk)",
        )
        self.pending.append(command)

    def project(self) -> None:
        """The minimal projection of each pending command: check version, history, data."""
        while self.pending:
            command = self.pending.pop(0)
            sk = command["sk"].rsplit("@", 1)[0]
            self.client.get_item(TableName=self.tables.data, Key=self._key(sk))
            self.client.put_item(TableName=self.tables.history, Item=self._serialize(command))
            self.client.put_item(TableName=self.tables.data, Item=self._serialize({**command, "sk": sk}))

    def _key(self, sk: str) -> dict[str, Any]:
        return {"pk": {"S": self.pk}, "sk": {"S": sk}}


def seed(meter: Meter, client: Any, tables: Any, order_template: dict[str, Any]) -> dict[str, Phase]:
    design = SeedDesign(client, tables)
    for code, stock in (("PRD-001", 10), ("PRD-002", 5)):
        design.publish_async(
            f"INVENTORY#{code}",
            {"productCode": code, "quantity": stock, "reservedQuantity": 0, "warehouseCode": "MAIN",
             "lastRestockedAt": "2024-01-15T10:30:00.000Z"},
            0,
        )  # fmt: skip
    design.project()

    phases = {"API": Phase(), "projection": Phase(), "data-sync": Phase()}
    # The order as the seed stores it: our order's attributes without what only we record.
    attributes = {k: v for k, v in order_template.items() if k not in ("inventoryStatus", "inventoryFailure")}
    sk = "ORDER#ORD-000001"

    def project() -> None:
        with meter.measure(phases["projection"]):
            design.project()

    def move_stock(change: Callable[[dict[str, Any], int], None]) -> None:
        with meter.measure(phases["data-sync"]):
            for code, quantity in LINES.items():  # item by item, as InventoryService does
                item = design.get_data(f"INVENTORY#{code}")
                stock = dict(item["attributes"])
                change(stock, quantity)
                design.publish_async(f"INVENTORY#{code}", stock, int(item["version"]))
        project()

    def reserve(stock: dict[str, Any], quantity: int) -> None:
        stock["reservedQuantity"] = int(stock["reservedQuantity"]) + quantity

    def deduct(stock: dict[str, Any], quantity: int) -> None:
        stock["quantity"] = int(stock["quantity"]) - quantity
        stock["reservedQuantity"] = int(stock["reservedQuantity"]) - quantity

    with meter.measure(phases["API"]):
        client.update_item(
            TableName=tables.sequences,
            Key={"pk": {"S": design.pk}, "sk": {"S": "SEQ#ORDER"}},
            UpdateExpression="ADD #v :one",
            ExpressionAttributeNames={"#v": "value"},
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
        design.publish_async(sk, {**attributes, "status": "pending"}, 0)
    project()
    move_stock(reserve)  # OrderDataSyncHandler: new order
    for status in STEPS:
        with meter.measure(phases["API"]):  # OrderService.updateOrderStatus
            current = design.get_data(sk)
            design.publish_async(sk, {**current["attributes"], "status": status}, int(current["version"]))
        project()
        if status == "shipped":
            move_stock(deduct)

    final = [
        (int(a["quantity"]), int(a["reservedQuantity"]))
        for a in (design.get_data(f"INVENTORY#{c}")["attributes"] for c in LINES)
    ]
    if final != [(8, 0), (4, 0)]:
        raise RuntimeError(f"the seed's lifecycle went wrong: stock {final}")
    return phases


# ---- the report --------------------------------------------------------------------------------


def _fmt(units: float) -> str:
    return f"{units:g}"


def run(quick: bool = False) -> list[Figure]:
    import boto3

    from cqrs.dynamo import deserialize, dynamodb_client
    from local.dynamodb_local import DynamoDBLocal
    from tests.support.tables import create_tables

    with DynamoDBLocal() as ddb:
        env = {**BASE_ENV, "AWS_ENDPOINT_URL_DYNAMODB": ddb.endpoint, "POWERTOOLS_METRICS_DISABLED": "true"}
        with environment(env, remove=("AWS_ENDPOINT_URL",)):
            setup = boto3.client("dynamodb", region_name=REGION, endpoint_url=ddb.endpoint)
            streams = boto3.client("dynamodbstreams", region_name=REGION, endpoint_url=ddb.endpoint)
            tables, idempotency = create_tables(setup, prefix="life")
            seed_tables, _ = create_tables(setup, prefix="seed")
            with environment(table_env(tables, idempotency)), quiet():
                reset_wiring()
                meter = Meter(dynamodb_client())
                with meter.watching_other_clients():
                    our_phases = ours(meter, streams, tables, idempotency)
                    scan = setup.scan(TableName=tables.data)["Items"]
                    order = next(deserialize(i) for i in scan if i["sk"]["S"].startswith("ORDER#"))
                    seed_phases = seed(meter, meter.client, seed_tables, dict(order["attributes"]))
                reset_wiring()

    def total(phases: dict[str, Phase]) -> Phase:
        out = Phase()
        for phase in phases.values():
            out.add(phase)
        return out

    ours_total, seed_total = total(our_phases), total(seed_phases)
    rows: list[list[object]] = []
    for name, phases, grand in (("ours", our_phases, ours_total), ("seed", seed_phases, seed_total)):
        for phase_name, phase in [*phases.items(), ("total", grand)]:
            rows.append([name, phase_name, phase.total, _fmt(phase.wcu), _fmt(phase.rcu), phase.ops()])
    print_table(
        "One order's lifecycle (2 lines: create, confirm, process, ship, deliver) on DynamoDB Local",
        ["design", "phase", "requests", "WCU", "RCU", "requests by operation"],
        rows,
    )
    say(
        f"Other DynamoDB clients used during the measurement: {meter.other_clients}. "
        "Stream reads (GetRecords) are Lambda's, not billed as table requests, and not counted."
    )
    say(
        "Ours writes command + data + history in one transaction (2 WCU per KB each) so every write "
        "is readable at once, settles a whole order's stock in one transaction and keeps a marker "
        "per notification; the seed writes one item at a time and can leave half an order reserved."
    )
    say(
        f"Of our {_fmt(ours_total.wcu)} WCU, {_fmt(our_phases['projector'].wcu)} are the projector's catch-up "
        "(history PutItem + conditional data PutItem per command) rewriting what the API's transaction "
        "already wrote; a version check before writing would trade them for reads."
    )
    what = "per order lifecycle, 2 lines (ours / seed)"
    return [
        Figure("lifecycle", f"DynamoDB requests {what}", f"{ours_total.total} / {seed_total.total}"),
        Figure("lifecycle", f"write units {what}", f"{_fmt(ours_total.wcu)} / {_fmt(seed_total.wcu)}"),
        Figure("lifecycle", f"read units {what}", f"{_fmt(ours_total.rcu)} / {_fmt(seed_total.rcu)}"),
    ]


def main() -> None:
    run(parse_quick(__doc__ or ""))


if __name__ == "__main__":
    main()
