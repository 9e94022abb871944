"""Cognito: who can get a token, what it carries, and what a user cannot change about themselves."""

from __future__ import annotations

from typing import Any

from tests.infra.conftest import Synthesized


def _pool(synth: Synthesized) -> dict[str, Any]:
    return synth.json["Resources"][synth.logical_id(synth.stack.auth.user_pool)]["Properties"]


def _client(synth: Synthesized) -> dict[str, Any]:
    return synth.json["Resources"][synth.logical_id(synth.stack.auth.client)]["Properties"]


def test_no_self_sign_up(dev: Synthesized) -> None:
    assert _pool(dev)["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True


def test_tenant_is_immutable_and_role_is_a_custom_attribute(dev: Synthesized) -> None:
    schema = {a["Name"]: a for a in _pool(dev)["Schema"]}
    assert schema["tenant"]["Mutable"] is False
    assert schema["tenant"]["AttributeDataType"] == "String"
    assert schema["role"]["Mutable"] is True
    assert schema["role"]["AttributeDataType"] == "String"


def test_strong_passwords_and_optional_totp(dev: Synthesized) -> None:
    pool = _pool(dev)
    policy = pool["Policies"]["PasswordPolicy"]
    assert policy["MinimumLength"] >= 12
    assert policy["RequireLowercase"] and policy["RequireUppercase"]
    assert policy["RequireNumbers"] and policy["RequireSymbols"]
    assert pool["MfaConfiguration"] == "OPTIONAL"
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]


def test_admin_and_staff_groups(dev: Synthesized) -> None:
    groups = {g["Properties"]["GroupName"] for g in dev.resources("AWS::Cognito::UserPoolGroup").values()}
    assert groups == {"admin", "staff"}


def test_app_client_has_no_secret_and_only_the_needed_flows(dev: Synthesized) -> None:
    client = _client(dev)
    assert client.get("GenerateSecret", False) is False
    assert set(client["ExplicitAuthFlows"]) == {
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    assert client["EnableTokenRevocation"] is True


def test_token_lifetimes(dev: Synthesized) -> None:
    client = _client(dev)
    units = client["TokenValidityUnits"]
    assert (client["IdTokenValidity"], units["IdToken"]) == (60, "minutes")
    assert (client["AccessTokenValidity"], units["AccessToken"]) == (60, "minutes")
    assert (client["RefreshTokenValidity"], units["RefreshToken"]) == (43200, "minutes")


def test_users_can_read_but_never_write_their_tenant_or_role(dev: Synthesized) -> None:
    client = _client(dev)
    assert {"custom:tenant", "custom:role"} <= set(client["ReadAttributes"])
    assert not [a for a in client["WriteAttributes"] if a.startswith("custom:")]


def test_prod_pool_is_protected_and_retained(prod: Synthesized) -> None:
    pool_id = prod.logical_id(prod.stack.auth.user_pool)
    assert prod.json["Resources"][pool_id]["DeletionPolicy"] == "Retain"
    assert _pool(prod)["DeletionProtection"] == "ACTIVE"


def test_the_app_client_has_oauth_turned_off(dev: Synthesized, prod: Synthesized) -> None:
    for synth in (dev, prod):
        client = _client(synth)
        assert client["AllowedOAuthFlowsUserPoolClient"] is False
        for key in (
            "AllowedOAuthFlows",
            "AllowedOAuthScopes",
            "CallbackURLs",
            "LogoutURLs",
            "DefaultRedirectURI",
        ):
            assert key not in client, key
