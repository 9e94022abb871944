"""The local user pools' records and the rules that belong to one pool: attributes known to its
schema, immutable attributes, the password policy; and how passwords are kept (scrypt hashes)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
from dataclasses import dataclass, field
from typing import Any

# Cognito's standard attributes (mutable unless the schema says otherwise; `sub` never is).
STANDARD_ATTRIBUTES = frozenset(
    {
        "sub",
        "email",
        "email_verified",
        "name",
        "given_name",
        "family_name",
        "middle_name",
        "nickname",
        "preferred_username",
        "profile",
        "picture",
        "website",
        "gender",
        "birthdate",
        "zoneinfo",
        "locale",
        "phone_number",
        "phone_number_verified",
        "address",
        "updated_at",
    }
)
DEFAULT_VALIDITY_S = {"IdToken": 3600, "AccessToken": 3600, "RefreshToken": 30 * 24 * 3600}
UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


class CognitoError(Exception):
    """An error answer of the Cognito API: its `__type` and message."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message


def id_from(name: str, length: int, alphabet: str) -> str:
    digest = hashlib.sha256(name.encode()).digest()
    number = int.from_bytes(digest, "big")
    out = []
    for _ in range(length):
        number, index = divmod(number, len(alphabet))
        out.append(alphabet[index])
    return "".join(out)


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def password_matches(password: str, stored: str | None) -> bool:
    if not stored or not stored.startswith("scrypt$"):
        return False
    _, salt, _ = stored.split("$")
    return hmac.compare_digest(hash_password(password, base64.b64decode(salt)), stored)


@dataclass
class AppClient:
    client_id: str
    name: str
    explicit_auth_flows: list[str] = field(default_factory=list)
    read_attributes: list[str] | None = None  # None: every attribute
    write_attributes: list[str] | None = None  # None: every mutable attribute
    validity_s: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_VALIDITY_S))

    def allows(self, flow: str) -> bool:
        return not self.explicit_auth_flows or flow in self.explicit_auth_flows


@dataclass
class User:
    username: str  # a UUID when the pool's usernames are e-mail addresses, as in Cognito
    attributes: dict[str, str]
    status: str  # FORCE_CHANGE_PASSWORD | CONFIRMED | UNCONFIRMED
    enabled: bool = True
    password_hash: str | None = None
    groups: list[str] = field(default_factory=list)
    created: float = field(default_factory=time.time)
    modified: float = field(default_factory=time.time)
    # Sign-in sessions, as Cognito tracks them: origin_jti -> [client id, sha256 of the refresh
    # token]. An access token is good while its session is; a global sign-out ends them all.
    sessions: dict[str, list[str]] = field(default_factory=dict)
    confirmation_code: str | None = None

    def describe(self, key: str = "Attributes") -> dict[str, Any]:
        return {
            "Username": self.username,
            key: [{"Name": name, "Value": value} for name, value in sorted(self.attributes.items())],
            "UserCreateDate": self.created,
            "UserLastModifiedDate": self.modified,
            "Enabled": self.enabled,
            "UserStatus": self.status,
        }


@dataclass
class Pool:
    pool_id: str
    name: str
    admin_create_only: bool = False
    immutable: list[str] = field(default_factory=lambda: ["sub"])
    custom_attributes: list[str] = field(default_factory=list)
    username_is_email: bool = False
    password_policy: dict[str, Any] = field(default_factory=dict)
    clients: dict[str, AppClient] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)  # by username

    @property
    def arn(self) -> str:
        region = self.pool_id.split("_", 1)[0]
        return f"arn:aws:cognito-idp:{region}:123456789012:userpool/{self.pool_id}"

    def find(self, name: str) -> User | None:
        """A user by username or, in a pool whose usernames are e-mail addresses, by e-mail."""
        if name in self.users:
            return self.users[name]
        wanted = name.lower()
        for user in self.users.values():
            if user.username.lower() == wanted or user.attributes.get("email", "").lower() == wanted:
                return user
        return None

    def user(self, name: str) -> User:
        user = self.find(name)
        if user is None:
            raise CognitoError("UserNotFoundException", "User does not exist.")
        return user

    def client(self, client_id: str) -> AppClient:
        if client_id not in self.clients:
            raise CognitoError("ResourceNotFoundException", f"User pool client {client_id} does not exist.")
        return self.clients[client_id]

    def check_known(self, names: list[str]) -> None:
        for name in names:
            if name.startswith("custom:"):
                if name not in self.custom_attributes:
                    raise CognitoError("InvalidParameterException", f"Attribute does not exist in the schema: {name}")
            elif name not in STANDARD_ATTRIBUTES:
                raise CognitoError("InvalidParameterException", f"Attribute does not exist in the schema: {name}")

    def check_mutable(self, names: list[str]) -> None:
        for name in names:
            if name in self.immutable:
                raise CognitoError("InvalidParameterException", f"Cannot modify the non-mutable attribute {name}")

    def check_password(self, password: str) -> None:
        policy = self.password_policy
        problems = []
        if len(password) < int(policy.get("MinimumLength", 8)):
            problems.append(f"must have length greater than or equal to {policy.get('MinimumLength', 8)}")
        if policy.get("RequireLowercase") and not any(c.islower() for c in password):
            problems.append("must have lowercase characters")
        if policy.get("RequireUppercase") and not any(c.isupper() for c in password):
            problems.append("must have uppercase characters")
        if policy.get("RequireNumbers") and not any(c.isdigit() for c in password):
            problems.append("must have numeric characters")
        if policy.get("RequireSymbols") and all(c.isalnum() for c in password):
            problems.append("must have symbol characters")
        if problems:
            message = "Password does not conform to policy: " + "; ".join(problems)
            raise CognitoError("InvalidPasswordException", message)


def attributes_of(raw: list[dict[str, Any]] | None) -> dict[str, str]:
    return {str(item["Name"]): str(item.get("Value", "")) for item in raw or []}


def token_validity(raw: dict[str, Any]) -> dict[str, int]:
    units = raw.get("TokenValidityUnits") or {}
    default_units = {"IdToken": "hours", "AccessToken": "hours", "RefreshToken": "days"}
    out = dict(DEFAULT_VALIDITY_S)
    for kind in out:
        value = raw.get(f"{kind}Validity")
        if value is not None:
            out[kind] = int(value) * UNIT_SECONDS[str(units.get(kind, default_units[kind]))]
    return out
