"""Operator work on the user pool: a tenant's first admin, users added, listed and disabled.

A user's tenant is the immutable `custom:tenant` attribute; the role is `custom:role` plus the
Cognito group of the same name (the API accepts either). Cognito cannot filter on custom
attributes, so listing a tenant's users pages through the pool (bounded) and filters here.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from client.errors import ClientError
from infra.names import ROLE_ATTRIBUTE, ROLES, TENANT_ATTRIBUTE

# The same rule as the API's tenant codes (`cqrs.keys.validate_code`; a test checks they agree):
# the code ends up inside partition keys (`TENANT#<code>`), URLs and log lines.
MAX_TENANT_LENGTH = 64
_TENANT_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TENANT_CLAIM = f"custom:{TENANT_ATTRIBUTE}"
ROLE_CLAIM = f"custom:{ROLE_ATTRIBUTE}"
PAGE_SIZE = 60  # Cognito's maximum for ListUsers
MAX_PAGES = 1000  # 60 000 users: a bound, not an expected size


def validate_tenant_code(code: str) -> str:
    """`code` if it is a valid tenant code, else a `ClientError` that says what is wrong."""
    if not code:
        raise ClientError("invalid tenant code: it must not be empty")
    if len(code) > MAX_TENANT_LENGTH:
        raise ClientError(f"invalid tenant code {code!r}: at most {MAX_TENANT_LENGTH} characters (has {len(code)})")
    if not _TENANT_PATTERN.fullmatch(code):
        raise ClientError(
            f"invalid tenant code {code!r}: use only letters, digits, '.', '_' and '-' (no '#', no spaces),"
            " starting with a letter or digit"
        )
    return code


def validate_role(role: str) -> str:
    if role not in ROLES:
        raise ClientError(f"invalid role {role!r}: one of {', '.join(ROLES)}")
    return role


def validate_email(email: str) -> str:
    if not _EMAIL_PATTERN.fullmatch(email):
        raise ClientError(f"invalid e-mail address {email!r}")
    return email


@dataclass(frozen=True)
class User:
    email: str
    username: str
    tenant: str | None
    role: str | None
    status: str
    enabled: bool
    created: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _user(raw: dict[str, Any]) -> User:
    attributes = {a["Name"]: a["Value"] for a in raw.get("Attributes") or raw.get("UserAttributes") or []}
    created = raw.get("UserCreateDate")
    return User(
        email=attributes.get("email", raw["Username"]),
        username=raw["Username"],
        tenant=attributes.get(TENANT_CLAIM),
        role=attributes.get(ROLE_CLAIM),
        status=str(raw.get("UserStatus", "")),
        enabled=bool(raw.get("Enabled", True)),
        created=created.isoformat() if isinstance(created, datetime) else str(created or ""),
    )


class UserAdmin:
    """The operator's view of one user pool (`cognito` is a boto3 cognito-idp client)."""

    def __init__(self, cognito: Any, user_pool_id: str) -> None:
        self.cognito = cognito
        self.pool = user_pool_id

    def create_tenant(self, tenant: str, admin_email: str, password: str | None = None) -> User:
        """The first admin of a new tenant; refused when the tenant already has users."""
        validate_tenant_code(tenant)
        validate_email(admin_email)
        existing = self.list_users(tenant)
        if existing:
            raise ClientError(
                f"tenant {tenant!r} already has {len(existing)} user(s): add more with `user add --tenant {tenant}`"
            )
        return self.add_user(admin_email, tenant, "admin", password)

    def add_user(self, email: str, tenant: str, role: str, password: str | None = None) -> User:
        """A user of `tenant` with `role`: a permanent password if given, else Cognito e-mails a
        temporary one and the user sets their own at first sign-in."""
        validate_tenant_code(tenant)
        validate_role(role)
        validate_email(email)
        attributes = [
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
            {"Name": TENANT_CLAIM, "Value": tenant},
            {"Name": ROLE_CLAIM, "Value": role},
        ]
        create: dict[str, Any] = {"UserPoolId": self.pool, "Username": email, "UserAttributes": attributes}
        if password is not None:
            create["MessageAction"] = "SUPPRESS"  # the operator hands the password over
        errors = self.cognito.exceptions
        try:
            self.cognito.admin_create_user(**create)
        except errors.UsernameExistsException:
            raise ClientError(f"user {email} already exists") from None
        except (errors.InvalidParameterException, errors.InvalidPasswordException) as error:
            raise ClientError(f"cannot create {email}: {_message(error)}") from None
        try:
            if password is not None:
                self.cognito.admin_set_user_password(
                    UserPoolId=self.pool, Username=email, Password=password, Permanent=True
                )
            self.cognito.admin_add_user_to_group(UserPoolId=self.pool, Username=email, GroupName=role)
        except (errors.InvalidPasswordException, errors.InvalidParameterException) as error:
            # Do not leave a half-made user behind (no password, or no group).
            self.cognito.admin_delete_user(UserPoolId=self.pool, Username=email)
            raise ClientError(f"cannot create {email}: {_message(error)}") from None
        return self.get_user(email)

    def get_user(self, email: str) -> User:
        try:
            raw = self.cognito.admin_get_user(UserPoolId=self.pool, Username=email)
        except self.cognito.exceptions.UserNotFoundException:
            raise ClientError(f"no user {email}") from None
        return _user(raw)

    def list_users(self, tenant: str | None = None) -> list[User]:
        """Every user of the pool, or of one tenant (paged, bounded by `MAX_PAGES`)."""
        if tenant is not None:
            validate_tenant_code(tenant)
        users: list[User] = []
        token: str | None = None
        for _ in range(MAX_PAGES):
            request: dict[str, Any] = {"UserPoolId": self.pool, "Limit": PAGE_SIZE}
            if token:
                request["PaginationToken"] = token
            page = self.cognito.list_users(**request)
            users.extend(u for u in map(_user, page.get("Users", [])) if tenant is None or u.tenant == tenant)
            token = page.get("PaginationToken")
            if not token:
                return users
        raise ClientError(f"more than {MAX_PAGES * PAGE_SIZE} users in the pool: listing stopped")

    def disable_user(self, email: str) -> User:
        """Disable sign-in and revoke the user's refresh tokens (ID tokens already issued stay
        valid until they expire, at most an hour)."""
        try:
            self.cognito.admin_disable_user(UserPoolId=self.pool, Username=email)
            self.cognito.admin_user_global_sign_out(UserPoolId=self.pool, Username=email)
        except self.cognito.exceptions.UserNotFoundException:
            raise ClientError(f"no user {email}") from None
        return self.get_user(email)

    def enable_user(self, email: str) -> User:
        try:
            self.cognito.admin_enable_user(UserPoolId=self.pool, Username=email)
        except self.cognito.exceptions.UserNotFoundException:
            raise ClientError(f"no user {email}") from None
        return self.get_user(email)


def _message(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Message") or error)
