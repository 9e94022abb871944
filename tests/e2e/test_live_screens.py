"""Live staff screens over the local runtime's WebSocket API, with real tokens from the local Cognito."""

from __future__ import annotations

import io
import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from client.watch import Watcher
from harness.runtime_process import Api, RuntimeProcess, authenticate, demo_user, token_for, wait_for
from harness.seed import order_body

pytestmark = pytest.mark.e2e
RECEIVE_S = 15.0


def open_socket(outputs: dict[str, Any], token: str, tenant: str | None = None) -> ClientConnection:
    query = f"?token={token}" + (f"&tenant={tenant}" if tenant else "")
    return connect(outputs["WebSocketUrl"] + query, open_timeout=15)


def refused_status(outputs: dict[str, Any], token: str, tenant: str | None = None) -> int:
    with pytest.raises(InvalidStatus) as refused, open_socket(outputs, token, tenant):
        pass
    return int(refused.value.response.status_code)


def received(socket: ClientConnection) -> Iterator[dict[str, Any]]:
    """Each message as it arrives, for at most `RECEIVE_S` seconds."""
    deadline = time.monotonic() + RECEIVE_S
    while (left := deadline - time.monotonic()) > 0:
        try:
            yield json.loads(socket.recv(timeout=left))
        except TimeoutError:
            return


def messages_about(socket: ClientConnection, order_code: str, until_type: str) -> list[dict[str, Any]]:
    """Messages about `order_code`, up to and including the first of type `until_type` (bounded)."""
    out: list[dict[str, Any]] = []
    for message in received(socket):
        if message.get("orderCode") == order_code:
            out.append(message)
            if message["type"] == until_type:
                return out
    raise AssertionError(f"no {until_type} for {order_code} within {RECEIVE_S} s; got {out}")


def stock_alert(socket: ClientConnection, product_code: str) -> dict[str, Any]:
    """The first `stock.alert` about `product_code` (bounded)."""
    for message in received(socket):
        if message["type"] == "stock.alert" and message.get("productCode") == product_code:
            return message
    raise AssertionError(f"no stock.alert for {product_code} within {RECEIVE_S} s")


def test_websocket_url_is_in_the_outputs_file(outputs: dict[str, Any]) -> None:
    assert outputs["WebSocketUrl"].startswith("ws://127.0.0.1:")
    assert outputs["WebSocketUrl"].endswith("/dev")


def test_shop_a_screen_gets_its_new_orders_reservation_and_shop_b_nothing(
    outputs: dict[str, Any], staff_a: Api
) -> None:
    # Given a staff screen of shop-a and one of shop-b
    with (
        open_socket(outputs, token_for(outputs, "shop-a", "staff")) as screen_a,
        open_socket(outputs, token_for(outputs, "shop-b", "staff")) as screen_b,
    ):
        # When shop-a takes an order
        status, created = staff_a.post("/orders", order_body(("PRD-001", 1)))
        assert status == 201, created
        code = created["code"]

        # Then shop-a's screen sees it created, then its stock reserved
        seen = messages_about(screen_a, code, "order.stock")
        assert [m["type"] for m in seen] == ["order.created", "order.stock"]
        assert seen[0] | {"at": "-"} == {
            "type": "order.created",
            "tenantCode": "shop-a",
            "orderCode": code,
            "status": "pending",
            "inventoryStatus": "pending",
            "version": 1,
            "at": "-",
        }
        assert (seen[1]["inventoryStatus"], seen[1]["version"], seen[1]["tenantCode"]) == ("reserved", 2, "shop-a")

        # And shop-b's screen got nothing at all: its next message is about its own order
        status, own = Api(outputs["ApiUrl"], token_for(outputs, "shop-b", "staff")).post(
            "/orders", order_body(("PRD-001", 1))
        )
        assert status == 201, own
        first = json.loads(screen_b.recv(timeout=RECEIVE_S))
        assert (first["tenantCode"], first["orderCode"], first["type"]) == ("shop-b", own["code"], "order.created")


def _resign(token: str, key: Any, **changes: Any) -> str:
    claims = jwt.decode(token, options={"verify_signature": False})
    claims.update(changes)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": jwt.get_unverified_header(token)["kid"]})


def test_forged_expired_and_access_tokens_are_refused_at_the_handshake(
    outputs: dict[str, Any], local_runtime: RuntimeProcess
) -> None:
    token = token_for(outputs, "shop-a", "staff")
    # The local pool's own key (kept only in the runtime's state directory), to make a token valid
    # in every respect but the one each refusal breaks
    pem = (local_runtime.state_dir / "cognito" / "signing-key.pem").read_bytes()
    pool_key = serialization.load_pem_private_key(pem, password=None)
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    access_token = authenticate(outputs, *demo_user(outputs, "shop-a", "staff"))["AccessToken"]

    # The same claims re-signed with the pool's key are accepted: each refusal is about what it breaks
    with open_socket(outputs, _resign(token, pool_key)):
        pass
    assert refused_status(outputs, _resign(token, forger)) == 401  # forged
    assert refused_status(outputs, _resign(token, pool_key, exp=int(time.time()) - 60)) == 401  # expired
    assert refused_status(outputs, access_token) == 401  # an access token
    assert refused_status(outputs, "") == 401  # none
    # A valid user of shop-a may not watch shop-b
    assert refused_status(outputs, token, tenant="shop-b") == 403


def _connections_table(outputs: dict[str, Any]) -> tuple[Any, str]:
    client = boto3.client(
        "dynamodb",
        endpoint_url=outputs["DynamoDbEndpointUrl"],
        region_name=outputs["Region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - DynamoDB Local takes any key
    )
    (table,) = [name for name in client.list_tables()["TableNames"] if "LiveConnections" in name]
    return client, table


def test_a_vanished_connection_is_removed_by_the_pusher(outputs: dict[str, Any], staff_a: Api) -> None:
    client, table = _connections_table(outputs)
    key = {"pk": {"S": "TENANT#shop-a"}, "sk": {"S": "CONN#vanished-connection"}}
    # Given a connection the table still holds but API Gateway no longer knows (no $disconnect ran)
    client.put_item(
        TableName=table,
        Item={
            **key,
            "connectionId": {"S": "vanished-connection"},
            "tenantCode": {"S": "shop-a"},
            "userId": {"S": "someone"},
            "expiresAt": {"N": str(int(time.time()) + 3600)},
        },
    )
    # When the next change of shop-a is pushed
    status, created = staff_a.post("/orders", order_body(("PRD-001", 1)))
    assert status == 201, created
    # Then the pusher got GoneException for it and deleted it
    wait_for(
        lambda: "Item" not in client.get_item(TableName=table, Key=key, ConsistentRead=True),
        timeout=RECEIVE_S,
        message="the vanished connection removed",
    )


def test_a_closed_screen_is_forgotten_at_once(outputs: dict[str, Any]) -> None:
    client, table = _connections_table(outputs)

    def shop_b_connections() -> int:
        return len(
            client.query(
                TableName=table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": "TENANT#shop-b"}},
                ConsistentRead=True,
            )["Items"]
        )

    before = shop_b_connections()
    with open_socket(outputs, token_for(outputs, "shop-b", "admin")):
        wait_for(lambda: shop_b_connections() == before + 1, timeout=RECEIVE_S, message="connection kept")
    wait_for(lambda: shop_b_connections() == before, timeout=RECEIVE_S, message="$disconnect removed it")


def test_watch_refreshes_a_refused_token_and_prints_one_line_per_event(outputs: dict[str, Any], staff_a: Api) -> None:
    tokens = ["not-a-token", token_for(outputs, "shop-a", "staff")]
    asked: list[bool] = []

    def token(refresh: bool) -> str:
        asked.append(refresh)
        return tokens[min(len(asked) - 1, 1)]

    out = io.StringIO()
    watcher = Watcher(outputs["WebSocketUrl"], token, out=out, max_reconnects=3, duration_s=20, sleep=lambda s: None)
    thread = threading.Thread(target=watcher.run)
    thread.start()
    try:
        # The first token is refused (401): the watcher asks for a refreshed one and connects
        wait_for(lambda: len(asked) >= 2, timeout=RECEIVE_S, message="a refreshed token")
        assert asked[:2] == [False, True]
        assert watcher.connected.wait(RECEIVE_S)
        status, created = staff_a.post("/orders", order_body(("PRD-001", 1)))
        assert status == 201, created
        code = created["code"]
        wait_for(lambda: f"order.stock shop-a {code}" in out.getvalue(), timeout=RECEIVE_S, message="watch lines")
    finally:
        watcher.stopped.set()
        thread.join(RECEIVE_S)
    assert not thread.is_alive()
    lines = [line for line in out.getvalue().splitlines() if f" {code} " in line]
    assert [line.split(" ")[1] for line in lines[:2]] == ["order.created", "order.stock"]
    assert "status=pending inventoryStatus=reserved v2" in lines[1]


def test_a_failed_reservation_reaches_the_screens_as_a_stock_alert(outputs: dict[str, Any], staff_a: Api) -> None:
    status, stock = staff_a.get("/inventory/PRD-002")
    assert status == 200, stock
    available = int(stock["attributes"]["quantity"]) - int(stock["attributes"]["reservedQuantity"])
    with open_socket(outputs, token_for(outputs, "shop-a", "staff")) as screen:
        # When an order asks for more than is available
        status, created = staff_a.post("/orders", order_body(("PRD-002", available + 1)))
        assert status == 201, created
        # Then the screen hears that its reservation failed, and why
        seen = messages_about(screen, created["code"], "stock.alert")
    assert [m["type"] for m in seen] == ["order.created", "order.stock", "stock.alert"]
    assert seen[-1]["inventoryStatus"] == "failed"
    assert seen[-1]["reason"].startswith("insufficient stock: PRD-002 requested")


def test_stock_falling_below_the_threshold_is_a_stock_alert(outputs: dict[str, Any], staff_a: Api) -> None:
    admin = Api(outputs["ApiUrl"], token_for(outputs, "shop-a", "admin"))
    try:
        # Given PRD-001 with exactly 10 units available (the stack's low-stock threshold is 5)
        for _ in range(5):  # an earlier test's reservation may still be landing: 409, read again
            status, stock = admin.get("/inventory/PRD-001")
            assert status == 200, stock
            on_hand = int(stock["attributes"]["reservedQuantity"]) + 10
            status, stock = admin.patch("/inventory/PRD-001", {"version": stock["version"], "quantity": on_hand})
            if status != 409:
                break
        assert status == 200, stock
        with open_socket(outputs, token_for(outputs, "shop-a", "staff")) as screen:
            # When an order leaves 4 of them
            status, created = staff_a.post("/orders", order_body(("PRD-001", 6)))
            assert status == 201, created
            # Then the screen gets one alert for the product
            alert = stock_alert(screen, "PRD-001")
        # (4 left, or fewer if an earlier test's reservation landed after the stock was set)
        assert (alert["tenantCode"], alert["threshold"]) == ("shop-a", 5)
        assert 0 <= alert["available"] <= 4
    finally:
        admin.close()


def test_the_alert_uses_the_tenants_own_low_stock_threshold(outputs: dict[str, Any]) -> None:
    operator = Api(outputs["ApiUrl"], token_for(outputs, "common", "system_admin"))
    tenant = f"low-{uuid.uuid4().hex[:8]}"
    in_tenant = {"headers": {"X-Tenant-Code": tenant}}
    try:
        # Given a shop whose low-stock threshold is 20 (the default is 5), with 30 units of a product
        status, body = operator.post("/tenants", {"code": tenant, "name": "Low", "settings": {"lowStockThreshold": 20}})
        assert status == 201, body
        product = {"code": "PRD-LOW", "name": "Low", "categoryCode": "C", "sku": "S", "price": 1, "currency": "USD"}
        assert operator.post("/products", product, **in_tenant)[0] == 201
        status, body = operator.patch("/inventory/PRD-LOW", {"version": 0, "quantity": 30}, **in_tenant)
        assert status == 200, body
        with open_socket(outputs, token_for(outputs, "common", "system_admin"), tenant) as screen:
            # When an order leaves 15 (not low by the default, low by the shop's setting)
            status, created = operator.post("/orders", order_body(("PRD-LOW", 15)), **in_tenant)
            assert status == 201, created
            # Then the screen gets the alert with the shop's threshold
            alert = stock_alert(screen, "PRD-LOW")
        assert (alert["tenantCode"], alert["available"], alert["threshold"]) == (tenant, 15, 20)
    finally:
        operator.close()
