"""Where each stream poller is: the last finished sequence number per shard, saved atomically.

`<state>/checkpoints/<mapping>.json` is replaced whole after each finished batch, so a restart
resumes after the last finished record: nothing that had finished is replayed, nothing is skipped.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

log = logging.getLogger("local")

CLOSED = "CLOSED"  # a shard whose every record is finished


class Checkpoints:
    """Last finished sequence number per shard (or CLOSED) for one mapping, saved atomically.

    `path=None` keeps them in memory only (`--in-memory`). Positions are kept per stream ARN: a
    recreated table has a new stream, and its old positions mean nothing.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.stream_arn: str | None = None
        self.shards: dict[str, str] = {}
        if path is not None and path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                self.stream_arn = data.get("streamArn")
                self.shards = {str(k): str(v) for k, v in (data.get("shards") or {}).items()}
            except (OSError, ValueError) as error:
                log.warning("ignoring unreadable checkpoint %s: %s", path, error)

    def for_stream(self, stream_arn: str) -> dict[str, str]:
        if self.stream_arn != stream_arn:
            self.stream_arn, self.shards = stream_arn, {}
        return self.shards

    @property
    def known(self) -> bool:
        return self.path is not None and self.path.exists() and bool(self.stream_arn)

    def save(self, shard_id: str, position: str) -> None:
        self.shards[shard_id] = position
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        temporary.write_text(json.dumps({"streamArn": self.stream_arn, "shards": self.shards}), encoding="utf-8")
        os.replace(temporary, self.path)
