"""A small typed client for the shop's REST API: one method per route, JSON in and out.

    api = ShopApi.from_outputs()            # .local/outputs.json or outputs.json
    api.login("admin@shop-a.example.com", "...")
    order = api.create_order({...})
    api.update_order_status(order["code"], "confirmed")

Errors raise `ApiError` with the HTTP status and the API's message. The ID token is refreshed
when it expires (or once when the API answers 401). HTTP is `urllib.request` with a timeout.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import quote, urlencode, urlsplit

from client.auth import Session, Tokens
from client.errors import ApiError, ClientError
from client.outputs import Stack, load_stack
from infra.names import TENANT_HEADER

DEFAULT_TIMEOUT_S = 30.0
MAX_PAGES = 1000  # the bound on --all: 100 000 items at the largest page size
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
Json = dict[str, Any]


class Page(TypedDict):
    items: list[Json]
    nextCursor: str | None


def dumps(value: Any, indent: int | None = 2) -> str:
    """JSON with `Decimal`s written as the numbers they are (`6.00` stays `6.00`)."""
    marker = "\x00dec:"

    def mark(item: Any) -> Any:
        if isinstance(item, Decimal):
            return f"{marker}{item}\x00"
        if isinstance(item, dict):
            return {key: mark(v) for key, v in item.items()}
        if isinstance(item, list | tuple):
            return [mark(v) for v in item]
        return item

    text = json.dumps(mark(value), indent=indent, ensure_ascii=False)
    return re.sub(r'"\\u0000dec:([^"\\]+)\\u0000"', r"\1", text)


def _loads(data: bytes) -> Any:
    text = data.decode("utf-8", errors="replace")
    if not text:
        return None
    try:
        return json.loads(text, parse_float=Decimal)
    except ValueError:
        return text


def _segment(value: str) -> str:
    return quote(value, safe="")


class ShopApi:
    """The API of one stack, as the user logged in with `login` (kept in the session file).

    `tenant` is sent as `X-Tenant-Code` on every request but the registry's (`/tenants...`): an
    operator names the shop it acts in with it; a shop's own users need not set it.
    """

    def __init__(
        self,
        stack: Stack,
        session: Session | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        tenant: str | None = None,
    ) -> None:
        self.stack = stack
        self.session = session or Session(stack)
        self.timeout = timeout
        self.tenant = tenant
        self.base_url = stack.api_url if stack.api_url.endswith("/") else stack.api_url + "/"
        # A local stack is on loopback: never send its requests through an HTTP(S)_PROXY.
        local = urlsplit(self.base_url).hostname in LOOPBACK_HOSTS
        self._opener = urllib.request.build_opener(*([urllib.request.ProxyHandler({})] if local else []))

    @classmethod
    def from_outputs(
        cls,
        outputs: Path | None = None,
        *,
        stack: str | None = None,
        cache_dir: Path | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> ShopApi:
        found = load_stack(outputs, stack)
        return cls(found, Session(found, cache_dir), timeout)

    # -- session ---------------------------------------------------------------------------------

    def login(self, username: str, password: str, new_password: str | None = None) -> Tokens:
        return self.session.login(username, password, new_password)

    def logout(self) -> bool:
        return self.session.logout()

    def whoami(self) -> Json:
        claims = self.session.tokens().claims
        return {
            "username": claims.get("email") or claims.get("cognito:username"),
            "tenant": claims.get("custom:tenant"),
            "role": claims.get("custom:role"),
            "groups": claims.get("cognito:groups", []),
            "expiresAt": claims.get("exp"),
        }

    # -- orders ----------------------------------------------------------------------------------

    def create_order(self, body: Json, idempotency_key: str | None = None) -> Json:
        """POST /orders. An `Idempotency-Key` is always sent (a new one unless given), so the one
        retry after a dropped connection cannot create a second order."""
        headers = {"Idempotency-Key": idempotency_key or str(uuid.uuid4())}
        return self._json("POST", "orders", body, headers=headers, retry=True)

    def list_orders(self, *, limit: int | None = None, cursor: str | None = None, **filters: Any) -> Page:
        """GET /orders; `filters`: status, customerId, placedFrom, placedTo, order (None ones are left out)."""
        return self._page("orders", {**filters, "limit": limit, "cursor": cursor})

    def iter_orders(self, *, limit: int | None = None, max_pages: int = MAX_PAGES, **filters: Any) -> Iterator[Page]:
        return self._pages("orders", {**filters, "limit": limit}, max_pages)

    def order_history(self, code: str, *, limit: int | None = None, cursor: str | None = None) -> Page:
        """GET /orders/{code}/history: the order's versions, newest first."""
        return self._page(f"orders/{_segment(code)}/history", {"limit": limit, "cursor": cursor})

    def get_order(self, code: str) -> Json:
        return self._json("GET", f"orders/{_segment(code)}")

    def update_order_status(self, code: str, status: str, version: int | None = None) -> Json:
        body: Json = {"status": status}
        if version is not None:
            body["version"] = version
        return self._json("PATCH", f"orders/{_segment(code)}/status", body)

    # -- products --------------------------------------------------------------------------------

    def create_product(self, body: Json) -> Json:
        return self._json("POST", "products", body)

    def list_products(self, *, limit: int | None = None, cursor: str | None = None, **filters: Any) -> Page:
        """GET /products; `filters`: categoryCode, isActive."""
        return self._page("products", {**filters, "limit": limit, "cursor": cursor})

    def iter_products(self, *, limit: int | None = None, max_pages: int = MAX_PAGES, **filters: Any) -> Iterator[Page]:
        return self._pages("products", {**filters, "limit": limit}, max_pages)

    def product_history(self, code: str, *, limit: int | None = None, cursor: str | None = None) -> Page:
        return self._page(f"products/{_segment(code)}/history", {"limit": limit, "cursor": cursor})

    def get_product(self, code: str) -> Json:
        return self._json("GET", f"products/{_segment(code)}")

    def update_product(self, code: str, version: int, changes: Json) -> Json:
        return self._json("PATCH", f"products/{_segment(code)}", {**changes, "version": version})

    # -- inventory -------------------------------------------------------------------------------

    def list_inventory(self, *, limit: int | None = None, cursor: str | None = None, **filters: Any) -> Page:
        """GET /inventory; `filters`: availableBelow."""
        return self._page("inventory", {**filters, "limit": limit, "cursor": cursor})

    def iter_inventory(self, *, limit: int | None = None, max_pages: int = MAX_PAGES, **filters: Any) -> Iterator[Page]:
        return self._pages("inventory", {**filters, "limit": limit}, max_pages)

    def inventory_history(self, product_code: str, *, limit: int | None = None, cursor: str | None = None) -> Page:
        return self._page(f"inventory/{_segment(product_code)}/history", {"limit": limit, "cursor": cursor})

    def get_inventory(self, product_code: str) -> Json:
        return self._json("GET", f"inventory/{_segment(product_code)}")

    def set_inventory(self, product_code: str, quantity: int, version: int, warehouse_code: str | None = None) -> Json:
        """Set the stock to `quantity`; `version` 0 creates the stock record."""
        return self._patch_inventory(product_code, {"version": version, "quantity": quantity}, warehouse_code)

    def restock_inventory(
        self, product_code: str, amount: int, version: int, warehouse_code: str | None = None
    ) -> Json:
        return self._patch_inventory(product_code, {"version": version, "restock": amount}, warehouse_code)

    def _patch_inventory(self, product_code: str, body: Json, warehouse_code: str | None) -> Json:
        if warehouse_code is not None:
            body["warehouseCode"] = warehouse_code
        return self._json("PATCH", f"inventory/{_segment(product_code)}", body)

    # -- tenants ---------------------------------------------------------------------------------

    def create_tenant(self, body: Json) -> Json:
        """POST /tenants (operators): `{code, name, settings?}`."""
        return self._json("POST", "tenants", body)

    def list_tenants(self, *, limit: int | None = None, cursor: str | None = None) -> Page:
        return self._page("tenants", {"limit": limit, "cursor": cursor})

    def iter_tenants(self, *, limit: int | None = None, max_pages: int = MAX_PAGES) -> Iterator[Page]:
        return self._pages("tenants", {"limit": limit}, max_pages)

    def get_tenant(self, code: str) -> Json:
        return self._json("GET", f"tenants/{_segment(code)}")

    def update_tenant(self, code: str, version: int, changes: Json) -> Json:
        """PATCH /tenants/{code} (operators): `name`, `status`, `settings` (only those given change)."""
        return self._json("PATCH", f"tenants/{_segment(code)}", {**changes, "version": version})

    def tenant_history(self, code: str, *, limit: int | None = None, cursor: str | None = None) -> Page:
        """GET /tenants/{code}/history (operators): the registry record's versions, newest first."""
        return self._page(f"tenants/{_segment(code)}/history", {"limit": limit, "cursor": cursor})

    def own_tenant(self) -> Json:
        """GET /tenant: the caller's tenant and its effective settings."""
        return self._json("GET", "tenant")

    def update_own_settings(self, version: int, settings: Json) -> Json:
        return self._json("PATCH", "tenant/settings", {**settings, "version": version})

    # -- public ----------------------------------------------------------------------------------

    def openapi(self) -> Json:
        return self._json("GET", "openapi.json", auth=False)

    # -- HTTP ------------------------------------------------------------------------------------

    def _page(self, path: str, query: dict[str, Any]) -> Page:
        # Booleans travel as the API reads them (true/false), not as Python's True/False.
        params = {
            key: (str(value).lower() if isinstance(value, bool) else value)
            for key, value in query.items()
            if value is not None
        }
        target = f"{path}?{urlencode(params)}" if params else path
        page = self._json("GET", target)
        return Page(items=list(page.get("items") or []), nextCursor=page.get("nextCursor"))

    def _pages(self, path: str, query: dict[str, Any], max_pages: int) -> Iterator[Page]:
        """Pages until `nextCursor` is null, at most `max_pages` (the last page's cursor says if more remain)."""
        cursor: str | None = None
        for _ in range(max_pages):
            page = self._page(path, {**query, "cursor": cursor})
            yield page
            cursor = page["nextCursor"]
            if not cursor:
                return

    def _json(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        auth: bool = True,
        retry: bool | None = None,
    ) -> Json:
        # GETs are safe to retry once after a dropped connection; writes only with an idempotency key.
        retry = method == "GET" if retry is None else retry
        status, answer = self._send(method, path, body, headers or {}, auth, retry)
        if status == 401 and auth:
            # The token expired or was revoked between the check and the request: refresh once.
            self.session.id_token(force_refresh=True)
            status, answer = self._send(method, path, body, headers or {}, auth, retry)
        if status >= 400:
            message = answer.get("message") if isinstance(answer, dict) else None
            raise ApiError(status, str(message or answer or f"HTTP {status}"), answer, method, "/" + path)
        if not isinstance(answer, dict):
            raise ApiError(status, f"unexpected response: {str(answer)[:200]!r}", answer, method, "/" + path)
        return answer

    def _send(
        self, method: str, path: str, body: Any, headers: dict[str, str], auth: bool, retry: bool
    ) -> tuple[int, Any]:
        all_headers = {"Accept": "application/json", **headers}
        data = None
        if body is not None:
            data = dumps(body, indent=None).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        if self.tenant is not None and not path.startswith("tenants"):
            all_headers[TENANT_HEADER] = self.tenant
        if auth:
            # The raw ID token: what API Gateway's Cognito authorizer expects (the local front takes it too).
            all_headers["Authorization"] = self.session.id_token()
        request = urllib.request.Request(self.base_url + path, data=data, headers=all_headers, method=method)
        for attempt in range(2 if retry else 1):
            try:
                with self._opener.open(request, timeout=self.timeout) as response:
                    return int(response.status), _loads(response.read())
            except urllib.error.HTTPError as error:
                return int(error.code), _loads(error.read())
            except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
                if attempt or not retry:
                    reason = getattr(error, "reason", error)
                    raise ClientError(f"{method} {self.base_url}{path}: {reason}") from None
        raise AssertionError("unreachable")
