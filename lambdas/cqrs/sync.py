"""Data-sync dispatch: hand each read-model change to the handlers registered for its sort key.

The Python counterpart of the reference framework's `@DataSyncHandler`: handlers register for a
sort-key prefix (`ORDER#`), and the data-stream Lambda dispatches every change to them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from cqrs.dynamo import deserialize
from cqrs.items import Item
from cqrs.keys import tenant_of_pk

EventName = Literal["INSERT", "MODIFY", "REMOVE"]


@dataclass(frozen=True)
class DataChange:
    """One change of the read model: the images before and after (None when absent)."""

    event_name: EventName
    pk: str
    sk: str
    new: Item | None
    old: Item | None

    @property
    def tenant_code(self) -> str:
        return tenant_of_pk(self.pk)

    @classmethod
    def from_images(cls, event_name: str, new: Mapping[str, Any] | None, old: Mapping[str, Any] | None) -> DataChange:
        """Build a change from deserialized stream images."""
        if event_name not in ("INSERT", "MODIFY", "REMOVE"):
            raise ValueError(f"unknown stream event {event_name!r}")
        image = new or old
        if not image:
            raise ValueError("a data change needs a new or an old image")
        return cls(
            event_name=event_name,  # type: ignore[arg-type]
            pk=str(image["pk"]),
            sk=str(image["sk"]),
            new=Item.from_dict(new) if new else None,
            old=Item.from_dict(old) if old else None,
        )

    @classmethod
    def from_stream_record(cls, raw: Mapping[str, Any]) -> DataChange:
        """The change a data-table stream record describes (raises on a malformed record)."""
        stream = raw["dynamodb"]
        new = deserialize(stream["NewImage"]) if "NewImage" in stream else None
        old = deserialize(stream["OldImage"]) if "OldImage" in stream else None
        return cls.from_images(str(raw.get("eventName")), new, old)


class DataSyncHandler(Protocol):
    def handle_sync(self, change: DataChange) -> None: ...


class DataSyncRegistry:
    """Sort-key prefix -> handlers, in registration order."""

    def __init__(self) -> None:
        self._handlers: list[tuple[str, DataSyncHandler]] = []

    def register(self, sk_prefix: str, handler: DataSyncHandler) -> None:
        if not sk_prefix:
            raise ValueError("a data-sync handler needs a sort-key prefix")
        self._handlers.append((sk_prefix, handler))

    def handlers_for(self, sk: str) -> list[DataSyncHandler]:
        return [handler for prefix, handler in self._handlers if sk.startswith(prefix)]

    def dispatch(self, change: DataChange) -> int:
        """Run every handler registered for the change's sort key; return how many ran.

        A handler's exception propagates: the caller reports the record as failed so the stream
        retries it (handlers are idempotent, so re-running the ones that succeeded is safe).
        """
        handlers = self.handlers_for(change.sk)
        for handler in handlers:
            handler.handle_sync(change)
        return len(handlers)
