"""Stock for whole orders: reserve, release and deduct every line at once, exactly once.

One call, `StockService.settle`, brings an order's stock to what the order's CURRENT status
(read from the data table, never the stream image) requires:

| inventoryStatus | order status                    | step                | becomes   |
|-----------------|---------------------------------|---------------------|-----------|
| pending         | pending, confirmed, processing  | reserve             | reserved or failed |
| pending         | shipped, delivered              | reserve and deduct  | deducted or failed |
| pending         | cancelled                       | none (skip)         | skipped   |
| reserved        | cancelled                       | release             | released  |
| reserved        | shipped, delivered              | deduct              | deducted  |
| anything else   | any                             | nothing to do       | unchanged |

Each step is ONE `CommandService.publish_many` transaction: a command per inventory record (each
version-checked, so `reservedQuantity <= quantity` holds against every concurrent change) AND the
order command recording the outcome in `attributes.inventoryStatus`. The order's inventoryStatus
is therefore the exactly-once marker: a replayed stream record finds the step already done and
writes nothing. A lost race (`VersionMismatchError`) is retried after a jittered exponential
backoff, a bounded number of times; only a real shortage fails an order, and then nothing of it
is reserved.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cqrs.context import UserContext
from cqrs.errors import CqrsError, VersionMismatchError
from cqrs.items import Command, Item
from cqrs.services import CqrsServices
from shop.entities import inventory_sk, order_sk
from shop.status import InventoryStatus, OrderStatus
from shop.stock_levels import StockLevel, level_of

STOCK_ACTOR = "data-sync"
SOURCE = "data-sync:stock"
DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_BASE_DELAY_S = 0.025
DEFAULT_MAX_DELAY_S = 1.0

_SHIPPED = frozenset({OrderStatus.SHIPPED, OrderStatus.DELIVERED})


class Step(StrEnum):
    """What `settle` does to an order's stock."""

    RESERVE = "reserve"
    RESERVE_AND_DEDUCT = "reserve_and_deduct"  # shipped before its reservation ran
    RELEASE = "release"
    DEDUCT = "deduct"
    SKIP = "skip"  # cancelled before its reservation ran: nothing to reserve, ever


class Movement(StrEnum):
    """`lastMovement.type` on an inventory record: which kind of change made this version."""

    RESERVE = "reserve"
    RELEASE = "release"
    DEDUCT = "deduct"


class StockContentionError(CqrsError):
    """Every attempt lost a race; the stream record fails and is retried later."""


class StockRecordMissingError(CqrsError):
    """A reserved order names a product without a stock record: the data is inconsistent."""


@dataclass(frozen=True)
class OrderLine:
    product_code: str
    quantity: int


@dataclass(frozen=True)
class Shortage:
    """A line that could not be reserved: `available` units were free, `requested` were asked."""

    product_code: str
    requested: int
    available: int

    def to_dict(self) -> dict[str, Any]:
        return {"productCode": self.product_code, "requested": self.requested, "available": self.available}


@dataclass(frozen=True)
class Settlement:
    """What `settle` found and did. `order` is the order after the step (None: no such order)."""

    order: Item | None
    step: Step | None = None  # None: nothing to do (already settled, or no order)
    shortages: tuple[Shortage, ...] = ()
    attempts: int = 1
    clamped: tuple[str, ...] = field(default_factory=tuple)  # product codes whose counts were clamped at 0

    @property
    def inventory_status(self) -> InventoryStatus | None:
        return inventory_status_of(self.order) if self.order is not None else None


# ---- pure rules: functions of values, no AWS --------------------------------------------------


def inventory_status_of(order: Item) -> InventoryStatus:
    return InventoryStatus(order.attributes.get("inventoryStatus") or InventoryStatus.PENDING)


def next_step(status: OrderStatus, inventory_status: InventoryStatus) -> Step | None:
    """The step that brings the stock in line with the order's status (see the module table)."""
    if inventory_status == InventoryStatus.PENDING:
        if status == OrderStatus.CANCELLED:
            return Step.SKIP
        return Step.RESERVE_AND_DEDUCT if status in _SHIPPED else Step.RESERVE
    if inventory_status == InventoryStatus.RESERVED:
        if status == OrderStatus.CANCELLED:
            return Step.RELEASE
        if status in _SHIPPED:
            return Step.DEDUCT
    return None


def order_lines(order: Item) -> list[OrderLine]:
    """The order's lines, one per product (quantities of a product named twice are added)."""
    totals: dict[str, int] = {}
    for line in order.attributes.get("items") or []:
        code = str(line["productCode"])
        quantity = int(line["quantity"])
        if quantity <= 0:
            raise ValueError(f"order {order.code}: line {code} has quantity {quantity}")
        totals[code] = totals.get(code, 0) + quantity
    if not totals:
        raise ValueError(f"order {order.code} has no lines")
    return [OrderLine(code, quantity) for code, quantity in totals.items()]


def reserve(level: StockLevel, quantity: int) -> StockLevel | None:
    """Reserve `quantity` units, or None when fewer are available."""
    if level.available < quantity:
        return None
    return StockLevel(level.quantity, level.reserved + quantity)


def reserve_and_deduct(level: StockLevel, quantity: int) -> StockLevel | None:
    """Take `quantity` unreserved units out of stock at once, or None when fewer are available."""
    if level.available < quantity:
        return None
    return StockLevel(level.quantity - quantity, level.reserved)


def release(level: StockLevel, quantity: int) -> tuple[StockLevel, bool]:
    """Give back `quantity` reserved units; True when fewer were reserved (clamped at 0)."""
    reserved = level.reserved - quantity
    return StockLevel(level.quantity, max(0, reserved)), reserved < 0


def deduct(level: StockLevel, quantity: int) -> tuple[StockLevel, bool]:
    """Ship `quantity` reserved units: on-hand and reserved both drop; True when clamped at 0."""
    reserved = level.reserved - quantity
    on_hand = level.quantity - quantity
    clamped = reserved < 0 or on_hand < 0
    on_hand, reserved = max(0, on_hand), max(0, reserved)
    return StockLevel(on_hand, min(reserved, on_hand)), clamped


def shortage_reason(shortages: Iterable[Shortage]) -> str:
    parts = [f"{s.product_code} requested {s.requested}, available {s.available}" for s in shortages]
    return "insufficient stock: " + "; ".join(parts)


@dataclass(frozen=True)
class _Plan:
    levels: dict[str, StockLevel]  # product code -> new level (empty for skip/failure)
    movement: Movement | None
    outcome: InventoryStatus
    shortages: tuple[Shortage, ...] = ()
    clamped: tuple[str, ...] = ()


def plan(step: Step, lines: list[OrderLine], stock: Mapping[str, Item | None]) -> _Plan:
    """The new stock levels and the order's new inventoryStatus for `step` (pure)."""
    if step == Step.SKIP:
        return _Plan({}, None, InventoryStatus.SKIPPED)
    if step in (Step.RESERVE, Step.RESERVE_AND_DEDUCT):
        take = reserve if step == Step.RESERVE else reserve_and_deduct
        levels: dict[str, StockLevel] = {}
        shortages: list[Shortage] = []
        for line in lines:
            item = stock.get(line.product_code)
            level = level_of(item) if item is not None else StockLevel(0, 0)
            new = take(level, line.quantity)
            if new is None:
                shortages.append(Shortage(line.product_code, line.quantity, max(0, level.available)))
            else:
                levels[line.product_code] = new
        if shortages:
            return _Plan({}, None, InventoryStatus.FAILED, tuple(shortages))
        if step == Step.RESERVE:
            return _Plan(levels, Movement.RESERVE, InventoryStatus.RESERVED)
        return _Plan(levels, Movement.DEDUCT, InventoryStatus.DEDUCTED)

    give = release if step == Step.RELEASE else deduct
    levels, clamped = {}, []
    for line in lines:
        item = stock.get(line.product_code)
        if item is None:
            raise StockRecordMissingError(f"no stock record for {line.product_code}, which this order reserved")
        levels[line.product_code], was_clamped = give(level_of(item), line.quantity)
        if was_clamped:
            clamped.append(line.product_code)
    if step == Step.RELEASE:
        return _Plan(levels, Movement.RELEASE, InventoryStatus.RELEASED, clamped=tuple(clamped))
    return _Plan(levels, Movement.DEDUCT, InventoryStatus.DEDUCTED, clamped=tuple(clamped))


def jittered_backoff(attempt: int, base: float, cap: float, rand: Callable[[], float]) -> float:
    """'Full jitter': a uniform delay in [0, min(cap, base * 2**attempt))."""
    return rand() * min(cap, base * (2**attempt))


# ---- the service -------------------------------------------------------------------------------


class StockService:
    """Settles orders' stock through atomic, version-checked command batches."""

    def __init__(
        self,
        core: CqrsServices,
        *,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        base_delay: float = DEFAULT_BASE_DELAY_S,
        max_delay: float = DEFAULT_MAX_DELAY_S,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._core = core
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._sleep = sleep
        self._rand = rand

    def settle(self, tenant_code: str, order_code: str) -> Settlement:
        """Bring the order's stock in line with its current status (see the module docstring).

        Idempotent: once a step is recorded on the order, calling again does nothing. Raises
        `StockContentionError` when every attempt lost a race (the caller's record is retried).
        """
        ctx = UserContext.system(tenant_code, STOCK_ACTOR)
        last: VersionMismatchError | None = None
        for attempt in range(self._max_attempts):
            order = self._core.data.get_item(ctx.pk, order_sk(order_code))
            if order is None:
                return Settlement(None, attempts=attempt + 1)
            step = next_step(OrderStatus(order.attributes["status"]), inventory_status_of(order))
            if step is None:
                return Settlement(order, attempts=attempt + 1)
            try:
                return self._apply(step, order, ctx, attempt + 1)
            except VersionMismatchError as conflict:  # includes CommandConflictError: a lost race
                last = conflict
                if attempt + 1 < self._max_attempts:
                    self._sleep(jittered_backoff(attempt, self._base_delay, self._max_delay, self._rand))
        raise StockContentionError(
            f"order {order_code}: stock still contended after {self._max_attempts} attempts ({last})"
        )

    def _apply(self, step: Step, order: Item, ctx: UserContext, attempts: int) -> Settlement:
        lines = order_lines(order) if step != Step.SKIP else []
        keys = [(ctx.pk, inventory_sk(line.product_code)) for line in lines]
        found = self._core.data.get_items(keys) if keys else {}
        stock = {line.product_code: found.get(key) for line, key in zip(lines, keys, strict=True)}
        outcome = plan(step, lines, stock)

        commands: list[Command] = []
        currents: dict[tuple[str, str], Item | None] = {}
        for line in lines:
            new_level = outcome.levels.get(line.product_code)
            current = stock[line.product_code]
            if new_level is None or current is None:
                continue
            attributes = {
                **current.attributes,
                "quantity": new_level.quantity,
                "reservedQuantity": new_level.reserved,
                "lastMovement": {
                    "type": str(outcome.movement),
                    "orderCode": order.code,
                    "quantity": line.quantity,
                },
            }
            commands.append(Command.updating(current, attributes))
            currents[(current.pk, current.sk)] = current

        order_attributes = {**order.attributes, "inventoryStatus": outcome.outcome.value}
        if outcome.shortages:
            order_attributes["inventoryFailure"] = {
                "reason": shortage_reason(outcome.shortages),
                "lines": [s.to_dict() for s in outcome.shortages],
            }
        commands.append(Command.updating(order, order_attributes))
        currents[(order.pk, order.sk)] = order

        stored = self._core.commands.publish_many(commands, ctx, currents=currents, source=SOURCE)
        return Settlement(stored[-1], step, outcome.shortages, attempts, outcome.clamped)
