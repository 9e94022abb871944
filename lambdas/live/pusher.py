"""Sends messages to every connection of one tenant, all at once, dropping the ones that are gone.

Each message goes to each connection through API Gateway's `@connections` management API
(`PostToConnection`), from a pool of threads: one slow or dead connection holds one thread until
its call times out and never delays the others. `GoneException` (the client left without a
`$disconnect`) deletes the connection. Other failures are logged and dropped: a live screen
shows the state as it is on its next message, and retrying the whole stream record would send
the same message twice to every connection that did get it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from live.connections import Connection, ConnectionStore

logger = Logger(child=True)
MAX_PARALLEL_POSTS = 32


@dataclass
class PushResult:
    delivered: int = 0
    gone: int = 0
    failed: int = 0


class Pusher:
    def __init__(self, management: Any, store: ConnectionStore, max_parallel: int = MAX_PARALLEL_POSTS) -> None:
        self._management = management
        self._store = store
        self._pool = ThreadPoolExecutor(max_workers=max_parallel, thread_name_prefix="push")

    def push(self, tenant_code: str, messages: Iterable[dict[str, Any]]) -> PushResult:
        """Send `messages`, in order, to each of the tenant's connections (in parallel)."""
        payloads = [json.dumps(m, separators=(",", ":"), default=str).encode() for m in messages]
        result = PushResult()
        if not payloads:
            return result
        connections = self._store.of_tenant(tenant_code)
        for outcome in self._pool.map(lambda c: self._send(c, payloads), connections):
            setattr(result, outcome, getattr(result, outcome) + 1)
        return result

    def _send(self, connection: Connection, payloads: list[bytes]) -> str:
        try:
            for payload in payloads:
                self._management.post_to_connection(ConnectionId=connection.connection_id, Data=payload)
        except self._management.exceptions.GoneException:
            self._store.remove(connection.tenant_code, connection.connection_id)
            return "gone"
        except Exception as error:  # noqa: BLE001 - one connection's failure must not stop the others
            logger.warning(
                "push failed",
                extra={"tenant": connection.tenant_code, "connection": connection.connection_id, "error": str(error)},
            )
            return "failed"
        return "delivered"
