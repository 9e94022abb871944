"""What users see: the local runtime over HTTP, with real tokens from the local Cognito."""

from __future__ import annotations

import re
import time
from typing import Any

import boto3
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from harness.runtime_process import Api, RuntimeProcess, token_for, wait_for
from harness.seed import SEED_ORDER, order_body

pytestmark = pytest.mark.e2e

ORDER_CODE = re.compile(r"^ORD-\d{6}$")


def stock(api: Api, product: str) -> dict[str, Any]:
    status, body = api.get(f"/inventory/{product}")
    assert status == 200, body
    return dict(body["attributes"])


def order(api: Api, code: str) -> dict[str, Any]:
    status, body = api.get(f"/orders/{code}")
    assert status == 200, body
    return dict(body)


def wait_inventory_status(api: Api, code: str, expected: str, timeout: float = 15.0) -> dict[str, Any]:
    return wait_for(
        lambda: (lambda o: o if o["attributes"].get("inventoryStatus") == expected else None)(order(api, code)),
        timeout=timeout,
        message=f"{code} inventoryStatus={expected}",
    )


# -- the seed's example ------------------------------------------------------------------------


def test_the_seed_example_gives_the_seed_response_and_reads_back_at_once(admin_a: Api) -> None:
    # Given the seed's example request, When it is posted by an admin of shop-a
    status, body = admin_a.post("/orders", SEED_ORDER)

    # Then the response has the seed's shape and totals
    assert status == 201, body
    code = body["code"]
    assert ORDER_CODE.match(code)
    assert body["pk"] == "TENANT#shop-a"
    assert body["sk"] == f"ORDER#{code}"
    assert body["name"] == f"Order {code}"
    assert body["version"] == 1
    attributes = body["attributes"]
    assert (attributes["subtotal"], attributes["tax"], attributes["total"]) == (59.98, 6.0, 65.98)
    assert attributes["status"] == "pending"
    assert attributes["customerId"] == "CUST-001"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", attributes["placedAt"])
    # And the order reads back right away (no 404 window after the POST)
    status, again = admin_a.get(f"/orders/{code}")
    assert status == 200 and again["code"] == code


def test_money_leaves_with_two_decimals_on_the_wire(outputs: dict[str, Any], admin_a: Api) -> None:
    import http.client
    from urllib.parse import urlsplit

    status, body = admin_a.post("/orders", SEED_ORDER)
    assert status == 201
    split = urlsplit(outputs["ApiUrl"])
    connection = http.client.HTTPConnection(split.hostname, split.port, timeout=30)
    try:
        connection.request("GET", f"/orders/{body['code']}", headers={"Authorization": f"Bearer {admin_a.token}"})
        text = connection.getresponse().read().decode()
    finally:
        connection.close()
    assert '"tax":6.00' in text.replace(" ", "")
    assert '"total":65.98' in text.replace(" ", "")


# -- the order lifecycle moves stock -------------------------------------------------------------


def test_order_lifecycle_reserves_then_deducts_stock(admin_a: Api) -> None:
    # Given the stock of PRD-002
    before = stock(admin_a, "PRD-002")

    # When an order for 2 is created
    status, created = admin_a.post("/orders", order_body(("PRD-002", 2)))
    assert status == 201, created
    code = created["code"]

    # Then the reservation becomes visible (asynchronously: command stream -> data stream -> data-sync)
    wait_inventory_status(admin_a, code, "reserved")
    reserved = stock(admin_a, "PRD-002")
    assert reserved["reservedQuantity"] == before["reservedQuantity"] + 2
    assert reserved["quantity"] == before["quantity"]

    # When it is confirmed, processed and shipped
    for next_status in ("confirmed", "processing", "shipped"):
        status, body = admin_a.patch(f"/orders/{code}/status", {"status": next_status})
        assert status == 200, body

    # Then the stock is deducted: quantity down by 2 and the reservation gone
    wait_inventory_status(admin_a, code, "deducted")
    shipped = stock(admin_a, "PRD-002")
    assert shipped["quantity"] == before["quantity"] - 2
    assert shipped["reservedQuantity"] == before["reservedQuantity"]

    # And it can be delivered
    status, body = admin_a.patch(f"/orders/{code}/status", {"status": "delivered"})
    assert status == 200, body
    assert order(admin_a, code)["attributes"]["status"] == "delivered"


def test_cancelling_a_reserved_order_releases_its_stock(admin_a: Api) -> None:
    before = stock(admin_a, "PRD-003")
    status, created = admin_a.post("/orders", order_body(("PRD-003", 1)))
    assert status == 201, created
    wait_inventory_status(admin_a, created["code"], "reserved")
    assert stock(admin_a, "PRD-003")["reservedQuantity"] == before["reservedQuantity"] + 1

    status, body = admin_a.patch(f"/orders/{created['code']}/status", {"status": "cancelled"})
    assert status == 200, body

    wait_inventory_status(admin_a, created["code"], "released")
    after = stock(admin_a, "PRD-003")
    assert (after["quantity"], after["reservedQuantity"]) == (before["quantity"], before["reservedQuantity"])


def test_an_order_beyond_the_stock_fails_its_reservation_and_reserves_nothing(admin_b: Api) -> None:
    before = stock(admin_b, "PRD-003")
    status, created = admin_b.post("/orders", order_body(("PRD-003", before["available"] + 1)))
    assert status == 201, created
    wait_inventory_status(admin_b, created["code"], "failed")
    assert stock(admin_b, "PRD-003") == before


# -- the authorizer -------------------------------------------------------------------------------


def _pool_signing_key(runtime: RuntimeProcess) -> Any:
    """The local pool's private key, from the runtime's state directory (the only place it is),
    to make a token that is valid in every respect but the one a test breaks."""
    pem = (runtime.state_dir / "cognito" / "signing-key.pem").read_bytes()
    return serialization.load_pem_private_key(pem, password=None)


def _resign(token: str, key: Any, **changes: Any) -> str:
    claims = jwt.decode(token, options={"verify_signature": False})
    claims.update(changes)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": jwt.get_unverified_header(token)["kid"]})


def _unauthorized(api: Api, token: str | None) -> None:
    headers = {"Authorization": token} if token is not None else {}
    status, body = api.request("GET", "/orders", headers=headers, token="")
    assert (status, body) == (401, {"message": "Unauthorized"})


def test_a_valid_token_is_accepted_raw_or_as_bearer(outputs: dict[str, Any], local_runtime: RuntimeProcess) -> None:
    token = token_for(outputs, "shop-a", "staff")
    api = Api(outputs["ApiUrl"])
    try:
        assert api.request("GET", "/orders", headers={"Authorization": token}, token="")[0] == 200
        assert api.request("GET", "/orders", headers={"Authorization": f"Bearer {token}"}, token="")[0] == 200
        # The same claims re-signed with the pool's key pass: the refusals below are about what they break
        resigned = _resign(token, _pool_signing_key(local_runtime))
        assert api.request("GET", "/orders", headers={"Authorization": resigned}, token="")[0] == 200
    finally:
        api.close()


def test_missing_malformed_forged_expired_and_wrong_use_tokens_get_401(
    outputs: dict[str, Any], local_runtime: RuntimeProcess
) -> None:
    token = token_for(outputs, "shop-a", "admin")
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pool_key = _pool_signing_key(local_runtime)
    api = Api(outputs["ApiUrl"])
    try:
        _unauthorized(api, None)  # missing
        _unauthorized(api, "Bearer not-a-jwt")  # malformed
        _unauthorized(api, _resign(token, forger))  # forged: another key
        _unauthorized(api, _resign(token, pool_key, exp=int(time.time()) - 60))  # expired
        _unauthorized(api, _resign(token, pool_key, token_use="access"))  # not an ID token
        _unauthorized(api, _resign(token, pool_key, aud="some-other-client"))  # another audience
        _unauthorized(api, token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"))  # tampered signature
    finally:
        api.close()


def test_a_token_from_another_user_pool_gets_401(outputs: dict[str, Any]) -> None:
    # Given another pool on the same local Cognito, with a user carrying the same tenant claim
    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=outputs["AwsEndpointUrl"],
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106
    )
    pool = cognito.create_user_pool(
        PoolName="intruder", Schema=[{"Name": "tenant", "AttributeDataType": "String", "Mutable": False}]
    )["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool, ClientName="intruder", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    cognito.admin_create_user(
        UserPoolId=pool,
        Username="mallory",
        UserAttributes=[{"Name": "custom:tenant", "Value": "shop-a"}],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(UserPoolId=pool, Username="mallory", Password="Intruder-Pass1!", Permanent=True)
    token = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "mallory", "PASSWORD": "Intruder-Pass1!"},
    )["AuthenticationResult"]["IdToken"]

    # When it calls the API, Then it is refused as the Cognito authorizer would
    api = Api(outputs["ApiUrl"], token)
    try:
        assert api.get("/orders") == (401, {"message": "Unauthorized"})
    finally:
        api.close()


def test_the_openapi_document_and_swagger_need_no_token(outputs: dict[str, Any]) -> None:
    api = Api(outputs["ApiUrl"])
    try:
        status, document = api.get("/openapi.json", token="")
        assert status == 200 and "/orders" in document["paths"]
        assert api.get("/swagger", token="")[0] == 200
    finally:
        api.close()


def test_unknown_routes_and_oversized_bodies_are_answered_as_api_gateway_does(admin_a: Api) -> None:
    assert admin_a.get("/no-such-thing") == (403, {"message": "Missing Authentication Token"})
    status, body = admin_a.request("POST", "/orders", raw=b"x" * (10 * 1024 * 1024 + 1))
    assert (status, body) == (413, {"message": "Request Too Long"})
    # And the connection after it works again
    assert admin_a.get("/orders")[0] == 200


def test_the_stage_prefix_of_the_deployed_url_works_too(admin_a: Api) -> None:
    assert admin_a.get("/dev/orders")[0] == 200


# -- tenant isolation -----------------------------------------------------------------------------


def test_a_tenant_cannot_see_or_change_another_tenants_order(admin_a: Api, admin_b: Api) -> None:
    # Given an order of shop-a with a customer id nobody else uses
    status, created = admin_a.post("/orders", order_body(("PRD-001", 1), customerId="CUST-ISOLATION-A"))
    assert status == 201
    code = created["code"]

    # When shop-b lists its orders and asks for that code
    status, listing = admin_b.get("/orders?limit=100")
    assert status == 200
    assert all(item["attributes"]["customerId"] != "CUST-ISOLATION-A" for item in listing["items"])
    status, seen = admin_b.get(f"/orders/{code}")
    # Then it gets nothing of shop-a's (404, or its own order that happens to have that number)
    assert status == 404 or (seen["pk"] == "TENANT#shop-b" and seen["attributes"]["customerId"] != "CUST-ISOLATION-A")

    # When shop-b tries to cancel it, shop-a's order stays pending
    admin_b.patch(f"/orders/{code}/status", {"status": "cancelled"})
    assert order(admin_a, code)["attributes"]["status"] == "pending"

    # And a tenant named in the body is refused, naming the field (the tenant comes from the token)
    status, body = admin_a.post("/orders", {**order_body(("PRD-001", 1)), "tenantCode": "shop-b"})
    assert status == 422
    assert [error["field"] for error in body["errors"]] == ["tenantCode"]


def test_each_invocation_gets_one_log_line(local_runtime: RuntimeProcess, admin_a: Api) -> None:
    admin_a.get("/orders?limit=1")
    wait_for(
        lambda: any(re.search(r" api GET /orders 200 \d+ms", line) for line in local_runtime.lines),
        timeout=5,
        message="the invocation's log line",
    )
