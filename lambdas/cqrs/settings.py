"""Table names, parsed once from the environment on first use (never at import)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

from cqrs.errors import CqrsError

COMMAND_TABLE_ENV = "COMMAND_TABLE_NAME"
DATA_TABLE_ENV = "DATA_TABLE_NAME"
SEQUENCES_TABLE_ENV = "SEQUENCES_TABLE_NAME"


class ConfigurationError(CqrsError):
    """The function's environment lacks a setting the deployment must provide."""


def require_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise ConfigurationError(f"environment variable {name} is not set")
    return value


@dataclass(frozen=True)
class Tables:
    command: str
    data: str
    sequences: str

    @classmethod
    def from_env(cls) -> Tables:
        return cls(
            command=require_env(COMMAND_TABLE_ENV),
            data=require_env(DATA_TABLE_ENV),
            sequences=require_env(SEQUENCES_TABLE_ENV),
        )


@lru_cache(maxsize=1)
def tables() -> Tables:
    return Tables.from_env()
