"""What the proof suite sent and saw: requests tried, 5xx answers, orders accepted (to find lost ones).

Every HTTP request of the suite goes through `RecordingApi` (or its `ledger.record` for the fuzzer's
own client). The session's one `Ledger` belongs to the `ledger` fixture; when the session ends, its
finalizer reads back every accepted order (`lost_orders`) and fails the run on a lost order or any
5xx (tests/proof/conftest.py).
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from harness.runtime_process import Api
from harness.seed import order_body


@dataclass
class Ledger:
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)  # "<status> <method> <path>" of each 5xx
    created_orders: dict[str, set[str]] = field(default_factory=dict)  # tenant -> codes answered 201
    lost_orders: list[str] = field(default_factory=list)  # "<tenant> <code>" accepted but not found later
    checked_orders: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, method: str, path: str, status: int, tenant: str | None = None, body: Any = None) -> None:
        with self._lock:
            self.requests += 1
            self.statuses[status] += 1
            if status >= 500:
                self.server_errors.append(f"{status} {method} {path[:200]}")
            created = method == "POST" and path.split("?")[0].rstrip("/") == "/orders" and status == 201
            if tenant and created and isinstance(body, dict) and isinstance(body.get("code"), str):
                self.created_orders.setdefault(tenant, set()).add(body["code"])

    def summary(self) -> str:
        accepted = sum(len(codes) for codes in self.created_orders.values())
        return (
            f"proof: requests tried {self.requests}, 5xx seen {len(self.server_errors)}, "
            f"orders accepted {accepted}, orders checked {self.checked_orders}, orders lost {len(self.lost_orders)}"
        )


class RecordingApi(Api):
    """`Api` that records every request (and the orders it created) in the suite's ledger."""

    def __init__(self, base_url: str, token: str | None, tenant: str, ledger: Ledger, timeout: float = 30.0) -> None:
        super().__init__(base_url, token, timeout=timeout)
        self.tenant = tenant
        self.ledger = ledger

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        token: str | None = None,
    ) -> tuple[int, Any]:
        status, answer = super().request(method, path, body, headers=headers, raw=raw, token=token)
        self.ledger.record(method, path, status, self.tenant, answer)
        return status, answer

    def clone(self) -> RecordingApi:
        """A new connection with the same identity (one per client thread)."""
        return RecordingApi(f"http://{self.host}:{self.port}/", self.token, self.tenant, self.ledger, self.timeout)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10].upper()}"


def new_product(api: RecordingApi, stock: int, price: str = "10.00") -> str:
    """A product of the caller's tenant that no other test uses, with `stock` units on hand."""
    code = unique("PRF")
    status, body = api.post(
        "/products",
        {
            "code": code,
            "name": f"Proof {code}",
            "categoryCode": "CAT-PROOF",
            "sku": f"SKU-{code}",
            "price": float(price),
            "currency": "USD",
        },
    )
    assert status == 201, body
    status, body = api.patch(f"/inventory/{code}", {"version": 0, "quantity": stock})
    assert status == 200, body
    return code


def multi_line_order(products: list[str], quantity: int = 1, customer: str = "CUST-PROOF") -> dict[str, Any]:
    body = order_body((products[0], quantity), customerId=customer)
    body["items"] = [{"productCode": code, "quantity": quantity} for code in products]
    return body


MAX_PAGES = 50


def all_pages(api: RecordingApi, path: str) -> list[tuple[int, Any]]:
    """Every page of a listing (bounded), each answer kept for the scan."""
    answers, cursor = [], None
    for _ in range(MAX_PAGES):
        status, body = api.get(f"{path}?limit=100" + (f"&cursor={quote(cursor)}" if cursor else ""))
        answers.append((status, body))
        assert status == 200, body
        cursor = body["nextCursor"]
        if not cursor:
            return answers
    raise AssertionError(f"{path}: more than {MAX_PAGES} pages")


def lost_orders(created: dict[str, set[str]], admin_of: Callable[[str], RecordingApi]) -> list[str]:
    """Each order answered 201 (tenant -> codes) that does not read back, or is not listed, in its
    tenant: "<tenant> <code>"."""
    lost = []
    for tenant, codes in sorted(created.items()):
        api = admin_of(tenant)
        listed = {item["code"] for _, page in all_pages(api, "/orders") for item in page["items"]}
        for code in sorted(codes):
            status, order = api.get(f"/orders/{code}")
            if status != 200 or order.get("code") != code or code not in listed:
                lost.append(f"{tenant} {code}")
    return lost
