"""The two shapes the core moves: a `Command` (what a caller wants) and an `Item` (what is stored).

Both carry camelCase field names on the wire and in DynamoDB, as the reference framework does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from cqrs.keys import KEY_SEPARATOR, type_of_sk


@dataclass(frozen=True)
class Command:
    """A request to make an entity's state `attributes` (and `name`).

    `version` is the version the caller read: 0 means "create; none may exist yet".
    """

    pk: str
    sk: str
    code: str
    name: str
    tenant_code: str
    attributes: Mapping[str, Any]
    version: int = 0

    @property
    def type(self) -> str:
        return type_of_sk(self.sk)

    @property
    def id(self) -> str:
        return f"{self.pk}{KEY_SEPARATOR}{self.sk}"

    @classmethod
    def updating(cls, current: Item, attributes: Mapping[str, Any], *, name: str | None = None) -> Command:
        """The command that makes `current` hold `attributes`, based on the version it was read at."""
        return cls(
            pk=current.pk,
            sk=current.sk,
            code=current.code,
            name=current.name if name is None else name,
            tenant_code=current.tenant_code,
            attributes=attributes,
            version=current.version,
        )


@dataclass(frozen=True)
class Item:
    """One accepted state of an entity, as the data table and the command log (the history) hold it."""

    pk: str
    sk: str
    code: str
    name: str
    tenant_code: str
    version: int
    attributes: Mapping[str, Any]
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str
    source: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def type(self) -> str:
        return type_of_sk(self.sk)

    @property
    def id(self) -> str:
        return f"{self.pk}{KEY_SEPARATOR}{self.sk}"

    def to_dict(self) -> dict[str, Any]:
        """The stored and wire form (camelCase)."""
        out: dict[str, Any] = {
            "pk": self.pk,
            "sk": self.sk,
            "id": self.id,
            "code": self.code,
            "name": self.name,
            "tenantCode": self.tenant_code,
            "type": self.type,
            "version": self.version,
            "attributes": dict(self.attributes),
            "createdAt": self.created_at,
            "createdBy": self.created_by,
            "updatedAt": self.updated_at,
            "updatedBy": self.updated_by,
        }
        if self.source:
            out["source"] = self.source
        out.update(self.extra)
        return out

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Item:
        known = {
            "pk", "sk", "id", "code", "name", "tenantCode", "type", "version", "attributes",
            "createdAt", "createdBy", "updatedAt", "updatedBy", "source",
        }  # fmt: skip
        return cls(
            pk=raw["pk"],
            sk=raw["sk"],
            code=raw["code"],
            name=raw.get("name", ""),
            tenant_code=raw["tenantCode"],
            version=int(raw["version"]),
            attributes=raw.get("attributes") or {},
            created_at=raw.get("createdAt", ""),
            created_by=raw.get("createdBy", ""),
            updated_at=raw.get("updatedAt", ""),
            updated_by=raw.get("updatedBy", ""),
            source=raw.get("source"),
            extra={k: v for k, v in raw.items() if k not in known},
        )

    def with_sk(self, sk: str) -> Item:
        return replace(self, sk=sk)
