"""The pusher on DynamoDB Local: only the tenant's connections, in parallel, gone ones removed."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest

from live.connections import Connection, ConnectionStore
from live.pusher import Pusher, PushResult

pytestmark = pytest.mark.ddb_local
WAIT_S = 10.0


class GoneError(Exception):
    pass


class FakeManagement:
    """The @connections API: records what each connection got; `slow` blocks until released."""

    class exceptions:  # noqa: N801 - boto3's shape: client.exceptions.GoneException
        GoneException = GoneError

    def __init__(self, gone: set[str], slow: set[str]) -> None:
        self.gone = gone
        self.slow = slow
        self.release = threading.Event()
        self.received: dict[str, list[dict[str, Any]]] = {}
        self.changed = threading.Condition()

    def post_to_connection(self, ConnectionId: str, Data: bytes) -> None:  # noqa: N803 - boto3's names
        if ConnectionId in self.slow:
            assert self.release.wait(WAIT_S), "the test never released the slow connection"
        if ConnectionId in self.gone:
            raise GoneError(ConnectionId)
        with self.changed:
            self.received.setdefault(ConnectionId, []).append(json.loads(Data))
            self.changed.notify_all()

    def wait_until(self, predicate: Callable[[], bool]) -> bool:
        with self.changed:
            return self.changed.wait_for(predicate, timeout=WAIT_S)


@pytest.fixture
def store(ddb_local_client: Any, ddb_local_table: Callable[..., str]) -> ConnectionStore:
    return ConnectionStore(ddb_local_client, ddb_local_table("connections", stream=False))


def test_each_connection_of_the_tenant_gets_it_and_a_slow_one_delays_no_other(store: ConnectionStore) -> None:
    # Given four connections of shop-a (one slow, one gone) and one of shop-b
    for tenant, connection_id in (("shop-a", "a1"), ("shop-a", "a2"), ("shop-a", "a0-slow"), ("shop-a", "gone")):
        store.add(Connection(tenant, connection_id, "user"))
    store.add(Connection("shop-b", "b1", "user"))
    management = FakeManagement(gone={"gone"}, slow={"a0-slow"})
    pusher = Pusher(management, store)
    message = {"type": "order.created", "tenantCode": "shop-a", "orderCode": "ORD-000001"}

    # When a message for shop-a is pushed
    results: list[PushResult] = []
    worker = threading.Thread(target=lambda: results.append(pusher.push("shop-a", [message])))
    worker.start()

    # Then the others get it while the slow connection still holds its call
    assert management.wait_until(lambda: {"a1", "a2"} <= set(management.received))
    assert not management.release.is_set() and worker.is_alive()
    management.release.set()
    worker.join(WAIT_S)
    assert not worker.is_alive()

    assert results == [PushResult(delivered=3, gone=1, failed=0)]
    assert management.received == {"a0-slow": [message], "a1": [message], "a2": [message]}
    # And the gone connection is forgotten, shop-b's is untouched
    assert sorted(c.connection_id for c in store.of_tenant("shop-a")) == ["a0-slow", "a1", "a2"]
    assert [c.connection_id for c in store.of_tenant("shop-b")] == ["b1"]


def test_expired_connections_are_not_pushed_to(ddb_local_client: Any, ddb_local_table: Callable[..., str]) -> None:
    table = ddb_local_table("connections", stream=False)
    now = [1_800_000_000.0]
    store = ConnectionStore(ddb_local_client, table, clock=lambda: now[0])
    store.add(Connection("shop-a", "old", "user"))
    now[0] += 3 * 3600  # past the connection TTL, before DynamoDB's TTL sweep deleted it
    store.add(Connection("shop-a", "new", "user"))
    assert [c.connection_id for c in store.of_tenant("shop-a")] == ["new"]
