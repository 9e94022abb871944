"""Cognito ID tokens verified as API Gateway's Cognito authorizer verifies them, with no library.

The WebSocket API's `$connect` authorizer is a Lambda function, and the Lambda runtime has no JWT
or RSA package (the Powertools layer brings neither). RS256 verification needs only what the
standard library has: RFC 8017's EMSA-PKCS1-v1_5 encoding of the SHA-256 digest, compared in
constant time with the signature raised to the key's public exponent. Comparing whole encodings
(rather than parsing the decrypted block) is the form RFC 8017 section 8.2.2 prescribes and leaves
no room for the classic lenient-parser forgeries.

The checks are the REST authorizer's: an RS256 signature by a key of the pool's JWKS, the pool's
issuer, an audience that is one of the pool's app clients, not expired, and `token_use` = `id`
(an access token is refused).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# DER prefix of a DigestInfo holding a SHA-256 digest (RFC 8017, section 9.2, note 1).
_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub", "token_use")
JWKS_REFETCH_S = 60.0
JWKS_TIMEOUT_S = 3.0


class TokenRefused(Exception):
    """The token is not a valid ID token of this pool (the message says why, for the log)."""


def _b64url(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as error:
        raise TokenRefused(f"not base64url: {error}") from None


def _b64url_int(text: str) -> int:
    return int.from_bytes(_b64url(text), "big")


def rs256_valid(signing_input: bytes, signature: bytes, modulus: int, exponent: int) -> bool:
    """True when `signature` is an RSASSA-PKCS1-v1_5 SHA-256 signature of `signing_input`."""
    size = (modulus.bit_length() + 7) // 8
    if len(signature) != size or size < len(_SHA256_DIGEST_INFO) + 32 + 11:
        return False
    value = int.from_bytes(signature, "big")
    if value >= modulus:
        return False
    decrypted = pow(value, exponent, modulus).to_bytes(size, "big")
    digest_info = _SHA256_DIGEST_INFO + hashlib.sha256(signing_input).digest()
    expected = b"\x00\x01" + b"\xff" * (size - len(digest_info) - 3) + b"\x00" + digest_info
    return hmac.compare_digest(decrypted, expected)


def cognito_issuer(region: str, user_pool_id: str) -> str:
    return f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"


def jwks_url(region: str, user_pool_id: str, environ: Mapping[str, str] = os.environ) -> str:
    """Where the pool publishes its keys: Cognito's endpoint, resolved as the AWS SDK resolves it
    (`AWS_ENDPOINT_URL_COGNITO_IDP`, then `AWS_ENDPOINT_URL`, else the regional endpoint)."""
    endpoint = environ.get("AWS_ENDPOINT_URL_COGNITO_IDP") or environ.get("AWS_ENDPOINT_URL")
    base = endpoint.rstrip("/") if endpoint else f"https://cognito-idp.{region}.amazonaws.com"
    return f"{base}/{user_pool_id}/.well-known/jwks.json"


def fetch_jwks(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=JWKS_TIMEOUT_S) as response:  # noqa: S310 - the pool's URL
        document: dict[str, Any] = json.loads(response.read())
    return document


@dataclass
class IdTokenVerifier:
    """Verifies ID tokens of one user pool; its keys are fetched once and again for an unknown kid
    (at most once a minute, so a flood of forged kids cannot hammer the JWKS endpoint)."""

    issuer: str
    audiences: frozenset[str]
    jwks: Callable[[], Mapping[str, Any]]
    clock: Callable[[], float] = time.time
    _keys: dict[str, tuple[int, int]] = field(default_factory=dict)
    _fetched_at: float = float("-inf")
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def for_pool(cls, region: str, user_pool_id: str, client_ids: Iterable[str]) -> IdTokenVerifier:
        url = jwks_url(region, user_pool_id)
        return cls(cognito_issuer(region, user_pool_id), frozenset(client_ids), lambda: fetch_jwks(url))

    def _key(self, kid: str) -> tuple[int, int] | None:
        with self._lock:
            if kid not in self._keys and time.monotonic() - self._fetched_at > JWKS_REFETCH_S:
                self._fetched_at = time.monotonic()
                keys = {}
                for jwk in self.jwks().get("keys", []):
                    if jwk.get("kty") == "RSA" and "kid" in jwk:
                        keys[str(jwk["kid"])] = (_b64url_int(jwk["n"]), _b64url_int(jwk["e"]))
                self._keys = keys
            return self._keys.get(kid)

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, or `TokenRefused`."""
        parts = token.split(".")
        if len(parts) != 3:
            raise TokenRefused("not a JWS compact token")
        try:
            header = json.loads(_b64url(parts[0]))
            claims = json.loads(_b64url(parts[1]))
        except ValueError:
            raise TokenRefused("header or payload is not JSON") from None
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise TokenRefused("header or payload is not a JSON object")
        if header.get("alg") != "RS256":
            raise TokenRefused(f"algorithm {header.get('alg')!r} is not RS256")
        key = self._key(str(header.get("kid")))
        if key is None:
            raise TokenRefused("signed by a key the pool does not publish")
        if not rs256_valid(f"{parts[0]}.{parts[1]}".encode(), _b64url(parts[2]), *key):
            raise TokenRefused("bad signature")
        missing = [name for name in REQUIRED_CLAIMS if name not in claims]
        if missing:
            raise TokenRefused(f"missing claims {missing}")
        if claims["iss"] != self.issuer:
            raise TokenRefused("another issuer")
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if not self.audiences.intersection(map(str, audiences)):
            raise TokenRefused("another audience")
        if not isinstance(claims["exp"], int | float) or claims["exp"] <= self.clock():
            raise TokenRefused("expired")
        if claims["token_use"] != "id":
            raise TokenRefused(f"token_use is {claims['token_use']!r}, not 'id'")
        return claims
