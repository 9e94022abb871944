from __future__ import annotations

import pytest

from cqrs.context import UserContext, parse_groups
from cqrs.errors import AuthorizationError


def test_tenant_user_and_role_come_from_the_claims() -> None:
    ctx = UserContext.from_claims(
        {"sub": "u-1", "custom:tenant": "shop-a", "custom:role": "staff", "cognito:username": "ann"}
    )
    assert (ctx.tenant_code, ctx.user_id, ctx.username, ctx.role) == ("shop-a", "u-1", "ann", "staff")
    assert ctx.pk == "TENANT#shop-a"


def test_role_falls_back_to_the_first_cognito_group() -> None:
    ctx = UserContext.from_claims({"sub": "u", "custom:tenant": "t1", "cognito:groups": "[admin staff]"})
    assert ctx.role == "admin"
    assert ctx.groups == ("admin", "staff")


@pytest.mark.parametrize(
    ("raw", "groups"),
    [(["a", "b"], ("a", "b")), ('["a","b"]', ("a", "b")), ("a,b", ("a", "b")), ("a", ("a",)), (None, ())],
)
def test_groups_parse_in_every_shape_api_gateway_sends(raw: object, groups: tuple[str, ...]) -> None:
    assert parse_groups(raw) == groups


@pytest.mark.parametrize(
    "claims",
    [None, {}, {"sub": "u"}, {"sub": "u", "custom:tenant": ""}, {"sub": "u", "custom:tenant": "a#b"},
     {"custom:tenant": "shop-a"}],
)  # fmt: skip
def test_missing_or_invalid_tenant_is_an_authorization_error(claims: dict[str, str] | None) -> None:
    with pytest.raises(AuthorizationError):
        UserContext.from_claims(claims)
