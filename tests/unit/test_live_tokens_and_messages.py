"""The WebSocket authorizer's ID-token check, the tenant a user may watch, the messages of a change."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from cqrs.items import Item
from cqrs.sync import DataChange
from live.access import WatchForbidden, watched_tenant
from live.id_tokens import IdTokenVerifier, TokenRefused, jwks_url
from live.messages import messages_for

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool"
CLIENT = "client-1"
NOW = 1_800_000_000.0
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwks() -> dict[str, Any]:
    numbers = KEY.public_key().public_numbers()
    return {"keys": [{"kty": "RSA", "kid": "k1", "alg": "RS256", "n": _b64(numbers.n), "e": _b64(numbers.e)}]}


def token(key: Any = KEY, kid: str = "k1", **overrides: Any) -> str:
    claims = {
        "sub": "user-1",
        "iss": ISSUER,
        "aud": CLIENT,
        "token_use": "id",
        "iat": int(NOW) - 10,
        "exp": int(NOW) + 3600,
        "custom:tenant": "shop-a",
        **overrides,
    }
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def verifier() -> IdTokenVerifier:
    return IdTokenVerifier(ISSUER, frozenset({CLIENT}), jwks, clock=lambda: NOW)


def test_a_valid_id_token_gives_its_claims(verifier: IdTokenVerifier) -> None:
    claims = verifier.verify(token())
    assert claims["sub"] == "user-1"
    assert claims["custom:tenant"] == "shop-a"


@pytest.mark.parametrize(
    ("label", "make", "reason"),
    [
        ("forged: signed by another key", lambda: token(key=OTHER_KEY), "bad signature"),
        ("unknown key id", lambda: token(kid="k2"), "does not publish"),
        ("expired", lambda: token(exp=int(NOW) - 1), "expired"),
        ("access token", lambda: token(token_use="access"), "token_use"),
        ("another issuer", lambda: token(iss="https://cognito-idp.us-east-1.amazonaws.com/other"), "issuer"),
        ("another audience", lambda: token(aud="client-2"), "audience"),
        ("no audience", lambda: token(aud=None), "missing claims"),
        ("not a JWT", lambda: "abc.def", "not a JWS"),
        ("empty", lambda: "", "not a JWS"),
    ],
)
def test_bad_tokens_are_refused(verifier: IdTokenVerifier, label: str, make: Any, reason: str) -> None:
    with pytest.raises(TokenRefused, match=reason):
        verifier.verify(make())


def test_a_tampered_payload_is_refused(verifier: IdTokenVerifier) -> None:
    header, payload, signature = token().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["custom:tenant"] = "shop-b"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(TokenRefused, match="bad signature"):
        verifier.verify(f"{header}.{forged}.{signature}")


def test_alg_none_and_hs256_are_refused(verifier: IdTokenVerifier) -> None:
    unsigned = jwt.encode({"sub": "x"}, None, algorithm="none", headers={"kid": "k1"})
    with pytest.raises(TokenRefused, match="not RS256"):
        verifier.verify(unsigned)
    hmac_signed = jwt.encode({"sub": "x"}, "secret-secret-secret-secret-32by", algorithm="HS256", headers={"kid": "k1"})
    with pytest.raises(TokenRefused, match="not RS256"):
        verifier.verify(hmac_signed)


def test_jwks_url_follows_the_sdk_endpoint_settings() -> None:
    assert jwks_url("eu-west-1", "p1", {}) == "https://cognito-idp.eu-west-1.amazonaws.com/p1/.well-known/jwks.json"
    assert jwks_url("eu-west-1", "p1", {"AWS_ENDPOINT_URL": "http://127.0.0.1:5000/"}) == (
        "http://127.0.0.1:5000/p1/.well-known/jwks.json"
    )


def test_a_user_watches_their_own_tenant_and_only_a_system_admin_another() -> None:
    staff = {"custom:tenant": "shop-a", "custom:role": "staff"}
    assert watched_tenant(staff, None) == "shop-a"
    assert watched_tenant(staff, "shop-a") == "shop-a"
    with pytest.raises(WatchForbidden):
        watched_tenant(staff, "shop-b")
    admin = {"custom:tenant": "shop-a", "custom:role": "admin"}
    with pytest.raises(WatchForbidden):
        watched_tenant(admin, "shop-b")
    system_admin = {"custom:tenant": "ops", "custom:role": "system_admin"}
    assert watched_tenant(system_admin, "shop-b") == "shop-b"


def item(sk: str, version: int, **attributes: Any) -> Item:
    return Item(
        pk="TENANT#shop-a",
        sk=sk,
        code=sk.split("#", 1)[1],
        name="x",
        tenant_code="shop-a",
        version=version,
        attributes=attributes,
        created_at="2026-12-02T09:00:00.000Z",
        created_by="u",
        updated_at=f"2026-12-02T09:00:0{version}.000Z",
        updated_by="u",
    )


def no_threshold(tenant_code: str) -> int:
    raise AssertionError("an order change never needs the low-stock threshold")


def change(new: Item | None, old: Item | None) -> DataChange:
    name = "INSERT" if old is None else "MODIFY"
    image = new or old
    assert image is not None
    return DataChange(name, image.pk, image.sk, new, old)  # type: ignore[arg-type]


def test_order_changes_become_created_status_and_stock_messages() -> None:
    placed = item("ORDER#ORD-000001", 1, status="pending", inventoryStatus="pending")
    reserved = item("ORDER#ORD-000001", 2, status="pending", inventoryStatus="reserved")
    confirmed = item("ORDER#ORD-000001", 3, status="confirmed", inventoryStatus="reserved")
    assert messages_for(change(placed, None), no_threshold) == [
        {
            "type": "order.created",
            "tenantCode": "shop-a",
            "orderCode": "ORD-000001",
            "status": "pending",
            "inventoryStatus": "pending",
            "version": 1,
            "at": "2026-12-02T09:00:01.000Z",
        }
    ]
    assert [m["type"] for m in messages_for(change(reserved, placed), no_threshold)] == ["order.stock"]
    assert [m["type"] for m in messages_for(change(confirmed, reserved), no_threshold)] == ["order.status"]
    assert messages_for(change(confirmed, confirmed), no_threshold) == []


def test_a_failed_reservation_is_also_a_stock_alert() -> None:
    placed = item("ORDER#ORD-000002", 1, status="pending", inventoryStatus="pending")
    failed = item(
        "ORDER#ORD-000002",
        2,
        status="pending",
        inventoryStatus="failed",
        inventoryFailure={"reason": "insufficient stock: PRD-001 requested 5, available 2"},
    )
    messages = messages_for(change(failed, placed), no_threshold)
    assert [m["type"] for m in messages] == ["order.stock", "stock.alert"]
    assert messages[1]["reason"] == "insufficient stock: PRD-001 requested 5, available 2"


def stock(version: int, quantity: int, reserved: int) -> Item:
    return item("INVENTORY#PRD-001", version, quantity=Decimal(quantity), reservedQuantity=Decimal(reserved))


def test_stock_falling_below_the_threshold_alerts_once() -> None:
    def threshold(tenant_code: str) -> int:
        assert tenant_code == "shop-a"  # the changed record's tenant, whose setting applies
        return 5

    assert messages_for(change(stock(2, 10, 4), stock(1, 10, 0)), threshold) == []  # 6 available: above
    assert messages_for(change(stock(3, 10, 6), stock(2, 10, 4)), threshold) == [
        {
            "type": "stock.alert",
            "tenantCode": "shop-a",
            "productCode": "PRD-001",
            "available": 4,
            "threshold": 5,
            "version": 3,
            "at": "2026-12-02T09:00:03.000Z",
        }
    ]
    assert messages_for(change(stock(4, 10, 7), stock(3, 10, 6)), threshold) == []  # already below


def test_the_threshold_is_the_tenants_and_exactly_at_it_is_not_low() -> None:
    six_to_five = change(stock(2, 10, 5), stock(1, 10, 4))
    assert messages_for(six_to_five, lambda tenant: 5) == []  # 5 available is not below 5
    assert [m["threshold"] for m in messages_for(six_to_five, lambda tenant: 6)] == [6]
    assert messages_for(change(stock(2, 10, 10), stock(1, 10, 0)), lambda tenant: 0) == []  # 0: never low
