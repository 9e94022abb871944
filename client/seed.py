"""Seed a tenant's catalogue through the API: one product (and its stock) per row of a JSON or CSV file.

JSON: a list of objects (or `{"products": [...]}`) with the fields of `POST /products` plus
optional `stock` (the quantity on hand) and `warehouseCode`. CSV: a header row with the same
names; `images` separated by `|`, `isActive` true/false. Every row is tried; each failure is
reported with its row number and the API's message, and never stops the others.

This is the project's one catalogue seeder: the CLI seeds over HTTP (`ShopApi`); the local
runtime's demo and the benches seed through the API handler in-process (`CallApi`).
"""

from __future__ import annotations

import contextlib
import csv
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Protocol

from client.errors import ApiError, ClientError

STOCK_FIELDS = ("stock", "warehouseCode")
MAX_ROWS = 10_000


@dataclass
class RowResult:
    row: int
    code: str | None
    ok: bool
    product: str = ""  # created | exists | failed
    stock: str = ""  # set | skipped | failed | ""
    error: str | None = None


def read_catalogue(path: Path) -> list[dict[str, Any]]:
    """The rows of a catalogue file (`.csv`, else JSON), as dicts with JSON-typed values."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise ClientError(f"cannot read {path}: {error.strerror}") from None
    if path.suffix.lower() == ".csv":
        rows: list[dict[str, Any]] = [_csv_row(row) for row in csv.DictReader(text.splitlines())]
    else:
        try:
            document = json.loads(text, parse_float=Decimal)
        except ValueError as error:
            raise ClientError(f"{path}: not JSON ({error})") from None
        if isinstance(document, dict):
            document = document.get("products")
        if not isinstance(document, list):
            raise ClientError(f'{path}: expected a list of products (or {{"products": [...]}})')
        rows = document
    if len(rows) > MAX_ROWS:
        raise ClientError(f"{path}: {len(rows)} rows; at most {MAX_ROWS} per file")
    return rows


def _csv_row(row: dict[str, str | None]) -> dict[str, Any]:
    """CSV cells are text: turn the known numeric and boolean columns into JSON values; a cell that
    does not parse is passed on as text, so the API names the field in its error."""
    out: dict[str, Any] = {}
    for key, raw in row.items():
        if key is None or raw is None or raw.strip() == "":
            continue
        value: Any = raw.strip()
        if key == "price":
            with contextlib.suppress(InvalidOperation):
                value = Decimal(value)
        elif key == "stock" and value.lstrip("-").isdigit():
            value = int(value)
        elif key == "isActive" and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            value = value.lower() in ("true", "1", "yes")
        elif key == "images":
            value = [part.strip() for part in value.split("|") if part.strip()]
        out[key.strip()] = value
    return out


class CatalogueApi(Protocol):
    """The two API calls seeding needs (`client.api.ShopApi` has them); an error status raises `ApiError`."""

    def create_product(self, body: dict[str, Any]) -> Any: ...

    def set_inventory(
        self, product_code: str, quantity: int, version: int, warehouse_code: str | None = None
    ) -> Any: ...


Call = Callable[[str, str, Any], tuple[int, Any]]


class CallApi:
    """`CatalogueApi` over `call(method, path, body) -> (status, JSON body)`: the API handler invoked
    in-process, as an admin of one tenant, instead of over HTTP."""

    def __init__(self, call: Call) -> None:
        self._call = call

    def create_product(self, body: dict[str, Any]) -> Any:
        return self._send("POST", "/products", body)

    def set_inventory(self, product_code: str, quantity: int, version: int, warehouse_code: str | None = None) -> Any:
        body: dict[str, Any] = {"version": version, "quantity": quantity}
        if warehouse_code is not None:
            body["warehouseCode"] = warehouse_code
        return self._send("PATCH", f"/inventory/{product_code}", body)

    def _send(self, method: str, path: str, body: Any) -> Any:
        status, answer = self._call(method, path, body)
        if status >= 300:
            message = answer.get("message", "") if isinstance(answer, dict) else str(answer)
            raise ApiError(status, message, answer, method, path)
        return answer


def seed_catalogue(api: CatalogueApi, rows: list[dict[str, Any]]) -> list[RowResult]:
    """Create each row's product (an existing one is kept as it is) and, when `stock` is given and
    the product has no stock record yet, its stock (version 0)."""
    results = []
    for number, row in enumerate(rows, start=1):
        results.append(_seed_row(api, number, row))
    return results


def _seed_row(api: CatalogueApi, number: int, row: Any) -> RowResult:
    if not isinstance(row, dict):
        return RowResult(number, None, False, "failed", error="not an object")
    code = row.get("code")
    result = RowResult(number, str(code) if code is not None else None, False)
    product = {key: value for key, value in row.items() if key not in STOCK_FIELDS}
    try:
        api.create_product(product)
        result.product = "created"
    except ApiError as error:
        if error.status != 409:
            result.product, result.error = "failed", _describe(error)
            return result
        result.product = "exists"
    if row.get("stock") is None:
        result.ok = True
        return result
    try:
        stock = row["stock"]
        if not isinstance(stock, int) or isinstance(stock, bool):
            raise ClientError(f"stock must be a whole number, not {stock!r}")
        api.set_inventory(str(code), stock, version=0, warehouse_code=row.get("warehouseCode"))
        result.stock, result.ok = "set", True
    except ApiError as error:
        if error.status == 409:
            result.stock, result.ok = "skipped", True  # a stock record exists: never reset it
        else:
            result.stock, result.error = "failed", _describe(error)
    except ClientError as error:
        result.stock, result.error = "failed", str(error)
    return result


def _describe(error: ApiError) -> str:
    fields = error.body.get("errors") if isinstance(error.body, dict) else None
    if fields:
        details = "; ".join(f"{e.get('field', '?')}: {e.get('message', '')}" for e in fields if isinstance(e, dict))
        return f"{error.status} {error.message} ({details})" if details else f"{error.status} {error.message}"
    return f"{error.status} {error.message}"


def report(results: list[RowResult]) -> dict[str, Any]:
    return {
        "rows": len(results),
        "ok": sum(r.ok for r in results),
        "failed": sum(not r.ok for r in results),
        "results": [asdict(r) for r in results],
    }
