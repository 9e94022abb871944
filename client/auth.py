"""Log in to the stack's user pool and keep the session in a file, refreshed when it expires.

The API takes the ID token (it carries `custom:tenant` and `custom:role`). The session file holds
the ID token, its expiry and the refresh token; it is private to the user (mode 0600), one per app
client, under `$XDG_CACHE_HOME/cqrs-shop` (`~/.cache/cqrs-shop`) unless a directory is given.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from client.errors import AuthError, ClientError
from client.outputs import Stack, cognito_client

# Refresh a little before expiry, so a token does not expire between the check and the request.
EXPIRY_MARGIN_S = 60


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cqrs-shop"


def token_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, unverified: only for reading our own token's expiry and tenant
    (the API verifies the signature)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError) as error:
        raise AuthError(f"not a JWT: {error}") from None
    if not isinstance(claims, dict):
        raise AuthError("not a JWT: the payload is not an object")
    return claims


@dataclass
class Tokens:
    username: str
    id_token: str
    refresh_token: str | None
    expires_at: float

    @classmethod
    def from_result(cls, username: str, result: dict[str, Any], refresh_token: str | None = None) -> Tokens:
        id_token = str(result["IdToken"])
        expires = token_claims(id_token).get("exp")
        expires_at = float(expires) if expires else time.time() + float(result.get("ExpiresIn", 3600))
        return cls(username, id_token, result.get("RefreshToken") or refresh_token, expires_at)

    def expired(self, now: float | None = None) -> bool:
        return (now if now is not None else time.time()) >= self.expires_at - EXPIRY_MARGIN_S

    @property
    def claims(self) -> dict[str, Any]:
        return token_claims(self.id_token)


class Session:
    """The logged-in user of one stack: `id_token()` returns a valid ID token, refreshing it if needed."""

    def __init__(
        self, stack: Stack, cache_dir: Path | None = None, cognito_factory: Callable[[Stack], Any] = cognito_client
    ) -> None:
        self.stack = stack
        self.cache_dir = cache_dir or default_cache_dir()
        self._cognito_factory = cognito_factory
        self._cognito: Any = None

    @property
    def path(self) -> Path:
        return self.cache_dir / f"{self.stack.client_id}.json"

    @property
    def cognito(self) -> Any:
        if self._cognito is None:
            self._cognito = self._cognito_factory(self.stack)
        return self._cognito

    # -- login, refresh, logout ------------------------------------------------------------------

    def login(self, username: str, password: str, new_password: str | None = None) -> Tokens:
        """USER_PASSWORD_AUTH; answers NEW_PASSWORD_REQUIRED (first sign-in) with `new_password`."""
        result = self._auth(
            "initiate_auth",
            ClientId=self.stack.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
        if result.get("ChallengeName") == "NEW_PASSWORD_REQUIRED":
            if not new_password:
                raise AuthError(
                    f"{username} must choose a new password at first sign-in: log in again with --new-password"
                )
            challenge_user = result.get("ChallengeParameters", {}).get("USER_ID_FOR_SRP", username)
            result = self._auth(
                "respond_to_auth_challenge",
                ClientId=self.stack.client_id,
                ChallengeName="NEW_PASSWORD_REQUIRED",
                Session=result["Session"],
                ChallengeResponses={"USERNAME": challenge_user, "NEW_PASSWORD": new_password},
            )
        if "AuthenticationResult" not in result:
            raise AuthError(f"sign-in needs the {result.get('ChallengeName', 'unknown')} challenge, not supported here")
        tokens = Tokens.from_result(username, result["AuthenticationResult"])
        self._save(tokens)
        return tokens

    def refresh(self, tokens: Tokens) -> Tokens:
        if not tokens.refresh_token:
            self.logout()
            raise AuthError("the session has expired: log in again")
        try:
            result = self._auth(
                "initiate_auth",
                ClientId=self.stack.client_id,
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": tokens.refresh_token},
            )
        except AuthError as error:
            self.logout()
            raise AuthError(f"the session could not be refreshed ({error}): log in again") from None
        fresh = Tokens.from_result(tokens.username, result["AuthenticationResult"], tokens.refresh_token)
        self._save(fresh)
        return fresh

    def logout(self) -> bool:
        existed = self.path.exists()
        self.path.unlink(missing_ok=True)
        return existed

    def tokens(self) -> Tokens:
        tokens = self._load()
        if tokens is None:
            raise AuthError("not logged in: run `python -m client login --username ... --password ...`")
        return tokens

    def id_token(self, force_refresh: bool = False) -> str:
        tokens = self.tokens()
        if force_refresh or tokens.expired():
            tokens = self.refresh(tokens)
        return tokens.id_token

    # -- internals -------------------------------------------------------------------------------

    def _auth(self, operation: str, **request: Any) -> dict[str, Any]:
        errors = self.cognito.exceptions
        refused = (
            errors.NotAuthorizedException,
            errors.UserNotFoundException,
            errors.PasswordResetRequiredException,
            errors.UserNotConfirmedException,
            errors.InvalidPasswordException,
            errors.InvalidParameterException,
        )
        try:
            result: dict[str, Any] = getattr(self.cognito, operation)(**request)
        except refused as error:
            message = error.response.get("Error", {}).get("Message") or type(error).__name__
            raise AuthError(message) from None
        return result

    def _load(self) -> Tokens | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return Tokens(**data)
        except FileNotFoundError:
            return None
        except (ValueError, TypeError):
            raise ClientError(f"{self.path}: unreadable session file; log in again") from None

    def _save(self, tokens: Tokens) -> None:
        self.cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.cache_dir)
        try:
            os.fchmod(descriptor, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(asdict(tokens), handle)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
