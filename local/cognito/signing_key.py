"""The RSA key that signs the local user pool's tokens, generated for one state directory.

The private key lives in `<state>/cognito/signing-key.pem` (mode 0600) and nowhere else: a token
verifies against the local JWKS only if this key signed it, so nobody can mint one offline, and
tokens survive a restart exactly when the key file does. `--in-memory` keeps the key in memory:
every start has a new one. The key id is the key's RFC 7638 thumbprint.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_BITS = 2048


class SigningKey:
    """Signs claims with RS256 and publishes the public half as a JWKS document."""

    def __init__(self, private_key: rsa.RSAPrivateKey) -> None:
        self._private = private_key
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key()))
        self.kid = _thumbprint(public)
        self._jwk = {**public, "kid": self.kid, "alg": "RS256", "use": "sig"}

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS))

    @classmethod
    def load_or_create(cls, path: Path | None) -> SigningKey:
        """The key in `path`, or a new one written there (None: a new key kept in memory only)."""
        if path is None:
            return cls.generate()
        if path.exists():
            loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(loaded, rsa.RSAPrivateKey):
                raise ValueError(f"{path} does not hold an RSA private key")
            return cls(loaded)
        key = cls.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = key._private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        temporary = path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
        os.replace(temporary, path)
        return key

    def jwks(self) -> dict[str, Any]:
        return {"keys": [dict(self._jwk)]}

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self._private, algorithm="RS256", headers={"kid": self.kid})

    def verify(self, token: str, **options: Any) -> dict[str, Any]:
        """The claims of a token this key signed (PyJWT's checks: signature, expiry, ...)."""
        claims: dict[str, Any] = jwt.decode(token, self._private.public_key(), algorithms=["RS256"], **options)
        return claims


def _thumbprint(jwk: dict[str, Any]) -> str:
    canonical = json.dumps({name: jwk[name] for name in ("e", "kty", "n")}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
