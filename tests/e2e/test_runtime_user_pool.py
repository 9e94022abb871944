"""The local user pool keeps the template's rules, over the runtime's AWS endpoint with boto3.

Each test is a rule that moto's Cognito broke: SignUp on an admin-only pool, any confirmation
code, a user rewriting attributes the app client may not write or that are immutable, and
tokens signed with a key anyone can have.
"""

from __future__ import annotations

import gzip
import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import jwt
import pytest
from botocore.exceptions import ClientError

from harness.runtime_process import Api, demo_user

pytestmark = pytest.mark.e2e

PASSWORD = "Pool-Rules-Pass1!"  # noqa: S105 - a local pool's test user


@pytest.fixture(scope="module")
def cognito(outputs: dict[str, Any]) -> Any:
    return boto3.client(
        "cognito-idp",
        endpoint_url=outputs["AwsEndpointUrl"],
        region_name=outputs["Region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - the local emulator takes any key
    )


@pytest.fixture(scope="module")
def user(cognito: Any, outputs: dict[str, Any]) -> Iterator[str]:
    """A user of tenant pool-rules-a, created by an admin as the template allows."""
    email = "member@pool-rules-a.example.com"
    cognito.admin_create_user(
        UserPoolId=outputs["UserPoolId"],
        Username=email,
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "custom:tenant", "Value": "pool-rules-a"},
            {"Name": "custom:role", "Value": "staff"},
        ],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(UserPoolId=outputs["UserPoolId"], Username=email, Password=PASSWORD, Permanent=True)
    yield email
    cognito.admin_delete_user(UserPoolId=outputs["UserPoolId"], Username=email)


def sign_in(cognito: Any, outputs: dict[str, Any], username: str, password: str) -> dict[str, Any]:
    result = cognito.initiate_auth(
        ClientId=outputs["UserPoolClientId"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    return dict(result["AuthenticationResult"])


def error_code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_sign_up_is_refused_because_only_admins_create_users(cognito: Any, outputs: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as refused:
        cognito.sign_up(
            ClientId=outputs["UserPoolClientId"],
            Username="intruder@pool-rules-x.example.com",
            Password=PASSWORD,
            UserAttributes=[{"Name": "custom:tenant", "Value": "shop-a"}, {"Name": "custom:role", "Value": "admin"}],
        )
    assert error_code(refused) == "NotAuthorizedException"
    assert "SignUp is not permitted" in str(refused.value)


def test_a_made_up_confirmation_code_confirms_nothing(cognito: Any, outputs: dict[str, Any], user: str) -> None:
    with pytest.raises(ClientError) as refused:
        cognito.confirm_sign_up(ClientId=outputs["UserPoolClientId"], Username=user, ConfirmationCode="123456")
    assert error_code(refused) in ("NotAuthorizedException", "CodeMismatchException")


def test_a_user_cannot_write_attributes_the_client_may_not_write(
    cognito: Any, outputs: dict[str, Any], user: str
) -> None:
    tokens = sign_in(cognito, outputs, user, PASSWORD)
    # The app client may write `name`: the rule refuses only what the template forbids.
    cognito.update_user_attributes(AccessToken=tokens["AccessToken"], UserAttributes=[{"Name": "name", "Value": "M"}])
    for attribute, value in (("custom:tenant", "shop-a"), ("custom:role", "admin")):
        with pytest.raises(ClientError) as refused:
            cognito.update_user_attributes(
                AccessToken=tokens["AccessToken"], UserAttributes=[{"Name": attribute, "Value": value}]
            )
        assert error_code(refused) == "NotAuthorizedException"
        assert attribute in str(refused.value)
    # And a new ID token still says what the admin set
    claims = jwt.decode(sign_in(cognito, outputs, user, PASSWORD)["IdToken"], options={"verify_signature": False})
    assert (claims["custom:tenant"], claims["custom:role"], claims["name"]) == ("pool-rules-a", "staff", "M")


def test_not_even_an_admin_changes_an_immutable_attribute(cognito: Any, outputs: dict[str, Any], user: str) -> None:
    with pytest.raises(ClientError) as refused:
        cognito.admin_update_user_attributes(
            UserPoolId=outputs["UserPoolId"], Username=user, UserAttributes=[{"Name": "custom:tenant", "Value": "b"}]
        )
    assert error_code(refused) == "InvalidParameterException"
    assert "custom:tenant" in str(refused.value)
    # The role is mutable: an admin may change it.
    cognito.admin_update_user_attributes(
        UserPoolId=outputs["UserPoolId"], Username=user, UserAttributes=[{"Name": "custom:role", "Value": "staff"}]
    )


def moto_signing_key() -> Any:
    """The private key moto ships in its package: anyone who installs moto has it."""
    import moto.cognitoidp

    path = Path(moto.cognitoidp.__file__).parent / "resources" / "jwks-private.json.gz"
    jwk = json.loads(gzip.decompress(path.read_bytes()))  # one private JWK
    return jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(jwk)), str(jwk.get("kid", "dummy"))


def test_a_token_minted_with_a_published_key_is_refused_and_a_real_one_accepted(
    cognito: Any, outputs: dict[str, Any]
) -> None:
    username, password = demo_user(outputs, "shop-a", "admin")
    real = sign_in(cognito, outputs, username, password)["IdToken"]
    claims = jwt.decode(real, options={"verify_signature": False})
    key, kid = moto_signing_key()
    forged_claims = {**claims, "custom:tenant": "shop-b", "exp": int(time.time()) + 600}
    forged = jwt.encode(forged_claims, key, algorithm="RS256", headers={"kid": kid})
    api = Api(outputs["ApiUrl"])
    try:
        assert api.get("/orders?limit=1", token=real)[0] == 200
        assert api.get("/orders?limit=1", token=forged)[0] == 401
    finally:
        api.close()
    # The pool's JWKS publishes exactly the key that signed the real token
    with urllib.request.urlopen(  # noqa: S310 - loopback
        f"{outputs['AwsEndpointUrl']}/{outputs['UserPoolId']}/.well-known/jwks.json", timeout=10
    ) as response:
        keys = json.loads(response.read())["keys"]
    assert [k["kid"] for k in keys] == [jwt.get_unverified_header(real)["kid"]]
    assert kid not in [k["kid"] for k in keys]
