"""The core's services, built together over one DynamoDB client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cqrs.clock import Clock, utc_now
from cqrs.commands import CommandService
from cqrs.data import DataService
from cqrs.history import HistoryService
from cqrs.projection import Projector
from cqrs.sequences import SequenceService
from cqrs.settings import Tables


@dataclass(frozen=True)
class CqrsServices:
    commands: CommandService
    data: DataService
    sequences: SequenceService
    history: HistoryService
    projector: Projector
    clock: Clock

    @classmethod
    def build(cls, client: Any, tables: Tables, clock: Clock = utc_now) -> CqrsServices:
        return cls(
            commands=CommandService(client, tables, clock),
            data=DataService(client, tables.data),
            sequences=SequenceService(client, tables.sequences, clock),
            history=HistoryService(client, tables.command),  # the log is the history
            projector=Projector(client, tables),
            clock=clock,
        )
