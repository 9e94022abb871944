"""The local user pool's rules and keys, called directly (no HTTP, no AWS)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jwt
import pytest

from local.cognito.pool import CognitoError, UserPools
from local.cognito.signing_key import SigningKey

PASSWORD = "Unit-Pool-Pass1!"  # noqa: S105 - a local pool's test user
SCHEMA = [
    {"Name": "email", "Mutable": True, "Required": True},
    {"Name": "tenant", "AttributeDataType": "String", "Mutable": False},
    {"Name": "role", "AttributeDataType": "String", "Mutable": True},
]
POLICY = {
    "MinimumLength": 12,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
    "RequireUppercase": True,
}


def make_pool(pools: UserPools, admin_only: bool = True) -> tuple[str, str]:
    """A pool like the template's (admin-created users only, immutable tenant) and its client."""
    pool_id = pools.call(
        "CreateUserPool",
        {
            "PoolName": "shop-users",
            "Schema": SCHEMA,
            "UsernameAttributes": ["email"],
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": admin_only},
            "Policies": {"PasswordPolicy": POLICY},
        },
    )["UserPool"]["Id"]
    client_id = pools.call(
        "CreateUserPoolClient",
        {
            "UserPoolId": pool_id,
            "ClientName": "api",
            "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            "ReadAttributes": ["custom:role", "custom:tenant", "email", "email_verified", "name"],
            "WriteAttributes": ["email", "name"],
        },
    )["UserPoolClient"]["ClientId"]
    return pool_id, client_id


def add_user(pools: UserPools, pool_id: str, email: str = "a@shop-a.example.com") -> None:
    attributes = [
        {"Name": "email", "Value": email},
        {"Name": "custom:tenant", "Value": "shop-a"},
        {"Name": "custom:role", "Value": "staff"},
    ]
    pools.call(
        "AdminCreateUser",
        {"UserPoolId": pool_id, "Username": email, "UserAttributes": attributes, "MessageAction": "SUPPRESS"},
    )
    pools.call(
        "AdminSetUserPassword", {"UserPoolId": pool_id, "Username": email, "Password": PASSWORD, "Permanent": True}
    )


def sign_in(pools: UserPools, client_id: str, email: str = "a@shop-a.example.com") -> dict[str, Any]:
    answer = pools.call(
        "InitiateAuth",
        {
            "ClientId": client_id,
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": email, "PASSWORD": PASSWORD},
        },
    )
    return dict(answer["AuthenticationResult"])


@pytest.fixture
def pools() -> UserPools:
    return UserPools(SigningKey.generate(), "us-east-1")


def refused(pools: UserPools, operation: str, request: dict[str, Any]) -> CognitoError:
    with pytest.raises(CognitoError) as error:
        pools.call(operation, request)
    return error.value


def test_sign_up_is_refused_where_only_admins_create_users(pools: UserPools) -> None:
    _, client_id = make_pool(pools, admin_only=True)
    error = refused(pools, "SignUp", {"ClientId": client_id, "Username": "x@y.example.com", "Password": PASSWORD})
    assert error.error_type == "NotAuthorizedException"


def test_confirm_sign_up_takes_only_the_code_the_pool_issued(pools: UserPools) -> None:
    pool_id, client_id = make_pool(pools, admin_only=False)
    pools.call("SignUp", {"ClientId": client_id, "Username": "x@y.example.com", "Password": PASSWORD})
    code = pools.pools[pool_id].user("x@y.example.com").confirmation_code
    assert code is not None
    wrong = "000000" if code != "000000" else "111111"
    request = {"ClientId": client_id, "Username": "x@y.example.com", "ConfirmationCode": wrong}
    assert refused(pools, "ConfirmSignUp", request).error_type == "CodeMismatchException"
    pools.call("ConfirmSignUp", {**request, "ConfirmationCode": code})
    assert pools.pools[pool_id].user("x@y.example.com").status == "CONFIRMED"


def test_a_user_writes_only_the_clients_write_attributes_and_nothing_immutable(pools: UserPools) -> None:
    pool_id, client_id = make_pool(pools)
    add_user(pools, pool_id)
    access = sign_in(pools, client_id)["AccessToken"]
    pools.call("UpdateUserAttributes", {"AccessToken": access, "UserAttributes": [{"Name": "name", "Value": "A"}]})
    for name in ("custom:tenant", "custom:role"):
        error = refused(
            pools, "UpdateUserAttributes", {"AccessToken": access, "UserAttributes": [{"Name": name, "Value": "x"}]}
        )
        assert error.error_type == "NotAuthorizedException" and name in error.message
    # An admin may change the role, not the (immutable) tenant
    pools.call(
        "AdminUpdateUserAttributes",
        {
            "UserPoolId": pool_id,
            "Username": "a@shop-a.example.com",
            "UserAttributes": [{"Name": "custom:role", "Value": "admin"}],
        },
    )
    error = refused(
        pools,
        "AdminUpdateUserAttributes",
        {
            "UserPoolId": pool_id,
            "Username": "a@shop-a.example.com",
            "UserAttributes": [{"Name": "custom:tenant", "Value": "b"}],
        },
    )
    assert error.error_type == "InvalidParameterException" and "custom:tenant" in error.message
    claims = jwt.decode(sign_in(pools, client_id)["IdToken"], options={"verify_signature": False})
    assert (claims["custom:tenant"], claims["custom:role"], claims["name"]) == ("shop-a", "admin", "A")


def test_id_tokens_are_signed_with_the_pools_key_for_the_client(pools: UserPools) -> None:
    pool_id, client_id = make_pool(pools)
    add_user(pools, pool_id)
    token = sign_in(pools, client_id)["IdToken"]
    (jwk,) = pools.key.jwks()["keys"]
    claims = jwt.decode(
        token, jwt.PyJWK(jwk).key, algorithms=["RS256"], audience=client_id, issuer=pools.issuer(pool_id)
    )
    assert claims["token_use"] == "id" and claims["email"] == "a@shop-a.example.com"
    assert jwt.get_unverified_header(token)["kid"] == jwk["kid"]


def test_the_password_policy_a_disabled_user_and_a_global_sign_out_are_kept(pools: UserPools) -> None:
    pool_id, client_id = make_pool(pools)
    add_user(pools, pool_id)
    weak = {"UserPoolId": pool_id, "Username": "a@shop-a.example.com", "Password": "short", "Permanent": True}
    assert refused(pools, "AdminSetUserPassword", weak).error_type == "InvalidPasswordException"
    tokens = sign_in(pools, client_id)
    refresh = {
        "ClientId": client_id,
        "AuthFlow": "REFRESH_TOKEN_AUTH",
        "AuthParameters": {"REFRESH_TOKEN": tokens["RefreshToken"]},
    }
    assert "IdToken" in pools.call("InitiateAuth", refresh)["AuthenticationResult"]

    pools.call("AdminUserGlobalSignOut", {"UserPoolId": pool_id, "Username": "a@shop-a.example.com"})
    assert refused(pools, "InitiateAuth", refresh).error_type == "NotAuthorizedException"
    assert refused(pools, "GetUser", {"AccessToken": tokens["AccessToken"]}).error_type == "NotAuthorizedException"

    pools.call("AdminDisableUser", {"UserPoolId": pool_id, "Username": "a@shop-a.example.com"})
    with pytest.raises(CognitoError) as error:
        sign_in(pools, client_id)
    assert error.value.message == "User is disabled."


def test_a_new_user_sets_a_password_at_first_sign_in(pools: UserPools) -> None:
    pool_id, client_id = make_pool(pools)
    pools.call(
        "AdminCreateUser",
        {"UserPoolId": pool_id, "Username": "n@shop-a.example.com", "TemporaryPassword": "Temp-Pass-1234!"},
    )
    login = {
        "ClientId": client_id,
        "AuthFlow": "USER_PASSWORD_AUTH",
        "AuthParameters": {"USERNAME": "n@shop-a.example.com", "PASSWORD": "Temp-Pass-1234!"},
    }
    challenge = pools.call("InitiateAuth", login)
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    answer = pools.call(
        "RespondToAuthChallenge",
        {
            "ClientId": client_id,
            "ChallengeName": "NEW_PASSWORD_REQUIRED",
            "Session": challenge["Session"],
            "ChallengeResponses": {"USERNAME": "n@shop-a.example.com", "NEW_PASSWORD": PASSWORD},
        },
    )
    assert "IdToken" in answer["AuthenticationResult"]
    assert pools.pools[pool_id].user("n@shop-a.example.com").status == "CONFIRMED"


def test_the_pool_and_its_key_survive_a_restart_with_the_state_directory(tmp_path: Path) -> None:
    first = UserPools.for_state(tmp_path, "us-east-1")
    pool_id, client_id = make_pool(first)
    add_user(first, pool_id)
    token = sign_in(first, client_id)["IdToken"]

    # The same state directory: the same ids, users and key (the token still verifies)
    again = UserPools.for_state(tmp_path, "us-east-1")
    assert make_pool(again) == (pool_id, client_id)
    assert again.key.kid == first.key.kid
    (jwk,) = again.key.jwks()["keys"]
    jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["RS256"], audience=client_id)
    assert sign_in(again, client_id)["IdToken"]
    assert (tmp_path / "cognito" / "signing-key.pem").stat().st_mode & 0o777 == 0o600

    # Another state directory: another key, which does not verify the first one's tokens
    other = UserPools.for_state(tmp_path / "other", "us-east-1")
    (other_jwk,) = other.key.jwks()["keys"]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, jwt.PyJWK(other_jwk).key, algorithms=["RS256"], audience=client_id)
