"""Atomic, per-tenant sequences (`UpdateItem ADD`), optionally rotating per period.

Concurrent callers never get the same value: DynamoDB applies each `ADD` atomically and returns
the value it produced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from cqrs.clock import Clock, utc_now
from cqrs.context import UserContext
from cqrs.errors import ValidationError
from cqrs.keys import KEY_SEPARATOR, generate_sk

MAX_NUMBER_WIDTH = 12


class Rotation(Enum):
    NONE = "none"
    DAILY = "daily"
    MONTHLY = "monthly"
    YEARLY = "yearly"
    FISCAL_YEARLY = "fiscal_yearly"


@dataclass(frozen=True)
class SequenceValue:
    name: str
    value: int
    period: str | None  # e.g. `2026-11`, `FY2026`; None without rotation
    moment: datetime  # the time the value was issued, for formatting
    fiscal_year: int

    def format(self, template: str) -> str:
        """Render `template`: `{no}` the value (`{no:06}` zero-padded), `{yyyy}`, `{yy}`, `{mm}`,
        `{dd}` the issue date, `{fy}` the fiscal year. E.g. `ORD-{no:06}`, `{yyyy}-{mm}-{no:04}`."""
        try:
            return template.format(
                no=self.value,
                yyyy=f"{self.moment.year:04d}",
                yy=f"{self.moment.year % 100:02d}",
                mm=f"{self.moment.month:02d}",
                dd=f"{self.moment.day:02d}",
                fy=self.fiscal_year,
            )
        except (KeyError, IndexError, ValueError) as error:
            raise ValidationError("template", f"invalid sequence template {template!r}: {error}") from None


@dataclass(frozen=True)
class NumberFormat:
    """A document number: `prefix`, the period when the sequence rotates, the zero-padded value.

    `ORD-000001` (no rotation), `INV-2026-0001` (yearly), `INV-FY2026-0001` (fiscal-yearly). A
    rotating sequence restarts at 1 each period, so the period is part of the number: without it
    the second year's first number would repeat the first year's.
    """

    prefix: str = ""
    width: int = 6
    rotation: Rotation = Rotation.NONE
    fiscal_start_month: int = 4

    def __post_init__(self) -> None:
        if not 1 <= self.width <= MAX_NUMBER_WIDTH:
            raise ValidationError("width", f"must be 1..{MAX_NUMBER_WIDTH}")
        if not 1 <= self.fiscal_start_month <= 12:
            raise ValidationError("fiscalStartMonth", "must be 1..12")

    def render(self, value: SequenceValue) -> str:
        period = f"{value.period}-" if value.period else ""
        return f"{self.prefix}{period}{value.value:0{self.width}d}"


def fiscal_year(moment: datetime, start_month: int) -> int:
    """Fiscal years are named by the calendar year they start in (April 2026 - March 2027 is 2026
    when they start in April)."""
    return moment.year if moment.month >= start_month else moment.year - 1


def period_of(moment: datetime, rotation: Rotation, fiscal_start_month: int = 4) -> str | None:
    match rotation:
        case Rotation.NONE:
            return None
        case Rotation.DAILY:
            return moment.strftime("%Y-%m-%d")
        case Rotation.MONTHLY:
            return moment.strftime("%Y-%m")
        case Rotation.YEARLY:
            return moment.strftime("%Y")
        case Rotation.FISCAL_YEARLY:
            return f"FY{fiscal_year(moment, fiscal_start_month)}"


class SequenceService:
    def __init__(self, client: Any, table_name: str, clock: Clock = utc_now, fiscal_start_month: int = 4) -> None:
        if not 1 <= fiscal_start_month <= 12:
            raise ValidationError("fiscalStartMonth", "must be 1..12")
        self._client = client
        self._table = table_name
        self._clock = clock
        self._fiscal_start_month = fiscal_start_month

    def next(
        self,
        name: str,
        ctx: UserContext,
        rotate: Rotation | str | None = None,
        *,
        fiscal_start_month: int | None = None,
    ) -> SequenceValue:
        """The next value of sequence `name` in the caller's tenant (and current period).

        `fiscal_start_month` overrides the service's for this call (a tenant's own fiscal year).
        """
        rotation = Rotation(rotate) if rotate is not None else Rotation.NONE
        start_month = self._fiscal_start_month if fiscal_start_month is None else fiscal_start_month
        if not 1 <= start_month <= 12:
            raise ValidationError("fiscalStartMonth", "must be 1..12")
        moment = self._clock()
        period = period_of(moment, rotation, start_month)
        sk = generate_sk("SEQ", name, "name") + (f"{KEY_SEPARATOR}{period}" if period else "")
        response = self._client.update_item(
            TableName=self._table,
            Key={"pk": {"S": ctx.pk}, "sk": {"S": sk}},
            UpdateExpression="ADD #value :one SET tenantCode = :tenant, #name = :name",
            ExpressionAttributeNames={"#value": "value", "#name": "name"},
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":tenant": {"S": ctx.tenant_code},
                ":name": {"S": name},
            },
            ReturnValues="UPDATED_NEW",
        )
        value = int(response["Attributes"]["value"]["N"])
        return SequenceValue(name, value, period, moment, fiscal_year(moment, start_month))

    def next_number(self, name: str, ctx: UserContext, number_format: NumberFormat) -> str:
        """The next value of sequence `name`, rendered in `number_format` (e.g. `ORD-000001`)."""
        value = self.next(name, ctx, number_format.rotation, fiscal_start_month=number_format.fiscal_start_month)
        return number_format.render(value)
