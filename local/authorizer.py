"""API Gateway's Cognito authorizer, locally: ID tokens verified against the local pool's JWKS.

RS256 signature (a key of the JWKS at the pool's `/.well-known/jwks.json`, fetched again at most
every 30 s when an unknown key id shows up), issuer (the pool), audience (one of the pool's app
clients), expiry and `token_use: id`. The verified claims reach the function as API Gateway passes
them: every value a string (`flatten_claims`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from datetime import UTC, datetime
from typing import Any

import jwt

log = logging.getLogger("local")

JWKS_REFRESH_S = 30.0


class TokenVerifier:
    """Verifies Cognito ID tokens as API Gateway's Cognito authorizer does, against the local pool."""

    def __init__(self, *, jwks_url: str, issuer: str, audiences: list[str]) -> None:
        self.jwks_url = jwks_url
        self.issuer = issuer
        self.audiences = audiences
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._lock = threading.Lock()

    def _key(self, kid: str) -> Any:
        with self._lock:
            if kid not in self._keys and time.monotonic() - self._fetched_at > JWKS_REFRESH_S:
                self._fetch()
            return self._keys.get(kid)

    def _fetch(self) -> None:
        self._fetched_at = time.monotonic()
        with urllib.request.urlopen(self.jwks_url, timeout=5) as response:  # noqa: S310 - loopback URL
            document = json.loads(response.read())
        self._keys = {str(jwk["kid"]): jwt.PyJWK(jwk).key for jwk in document.get("keys", []) if "kid" in jwk}

    def verify(self, authorization: str | None) -> dict[str, Any] | None:
        """The token's claims when it is valid, else None (with the reason logged at debug)."""
        if not authorization:
            return None
        token = authorization.strip()
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        try:
            header = jwt.get_unverified_header(token)
            key = self._key(str(header.get("kid")))
            if key is None or header.get("alg") != "RS256":
                return None
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=self.audiences,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "token_use"]},
            )
        except (jwt.PyJWTError, OSError, ValueError) as error:
            log.debug("token refused: %s", error)
            return None
        if claims.get("token_use") != "id":
            return None
        return claims


def _api_gateway_date(epoch: Any) -> str:
    return datetime.fromtimestamp(float(epoch), tz=UTC).strftime("%a %b %d %H:%M:%S UTC %Y")


def flatten_claims(claims: dict[str, Any]) -> dict[str, str]:
    """Claims as API Gateway's Cognito authorizer passes them: every value a string."""
    out: dict[str, str] = {}
    for name, value in claims.items():
        if name in ("exp", "iat"):
            out[name] = _api_gateway_date(value)
        elif isinstance(value, list):
            out[name] = ",".join(str(item) for item in value)
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        else:
            out[name] = str(value)
    return out
