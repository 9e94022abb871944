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

    def next(self, name: str, ctx: UserContext, rotate: Rotation | str | None = None) -> SequenceValue:
        """The next value of sequence `name` in the caller's tenant (and current period)."""
        rotation = Rotation(rotate) if rotate is not None else Rotation.NONE
        moment = self._clock()
        period = period_of(moment, rotation, self._fiscal_start_month)
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
        return SequenceValue(name, value, period, moment, fiscal_year(moment, self._fiscal_start_month))
