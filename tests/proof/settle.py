"""Waiting for the asynchronous reservations (command stream -> data stream -> data-sync), bounded."""

from __future__ import annotations

import time
from typing import Any

from tests.proof.ledger import RecordingApi

# Every inventoryStatus the data-sync writes: a client that ships at once may see `deducted` first.
SETTLED = {"reserved", "failed", "released", "deducted", "skipped"}
SETTLE_TIMEOUT_S = 90.0  # 50 contended reservations on a loaded 2-core machine take 5-30 s


def settle(api: RecordingApi, codes: list[str], timeout: float = SETTLE_TIMEOUT_S) -> dict[str, dict[str, Any]]:
    """Each order once the data-sync has acted on its stock (any `inventoryStatus` but pending).

    AssertionError after `timeout`.
    """
    done: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for code in [c for c in codes if c not in done]:
            status, body = api.get(f"/orders/{code}")
            assert status == 200, (code, status, body)
            if body["attributes"].get("inventoryStatus") in SETTLED:
                done[code] = body
        if len(done) == len(codes):
            return done
        time.sleep(0.5)
    pending = sorted(set(codes) - set(done))
    raise AssertionError(f"{len(pending)} of {len(codes)} orders not settled after {timeout} s: {pending[:5]}")


def stock(api: RecordingApi, product: str) -> dict[str, Any]:
    status, body = api.get(f"/inventory/{product}")
    assert status == 200, body
    return dict(body["attributes"])
