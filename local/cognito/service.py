"""The local user pool over HTTP, in front of moto's server (which keeps serving SNS and SQS).

Cognito's API is JSON over POST with `X-Amz-Target: AWSCognitoIdentityProviderService.<Op>`;
errors are HTTP 400 with `{"__type": ..., "message": ...}`, which boto3 turns into its modelled
exceptions. `GET /<poolId>/.well-known/jwks.json` publishes the signing key's public half, where
Cognito publishes it (the front and the client look there). Every other request goes to moto.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from local.cognito.pool import CognitoError, UserPools

TARGET_PREFIX = "AWSCognitoIdentityProviderService."
_JWKS_PATH = re.compile(r"^/(?P<pool>[\w-]+_[0-9A-Za-z]+)/\.well-known/jwks\.json$")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class CognitoService:
    """A WSGI app: the user pools' operations and JWKS, everything else to `fallback`."""

    def __init__(self, pools: UserPools, fallback: WSGIApp) -> None:
        self.pools = pools
        self.fallback = fallback

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        target = str(environ.get("HTTP_X_AMZ_TARGET") or "")
        if target.startswith(TARGET_PREFIX) and environ.get("REQUEST_METHOD") == "POST":
            return self._operation(target.removeprefix(TARGET_PREFIX), environ, start_response)
        found = _JWKS_PATH.match(str(environ.get("PATH_INFO") or ""))
        if found and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            if found.group("pool") not in self.pools.pools:
                return _answer(start_response, "404 Not Found", {"message": "no such user pool"})
            return _answer(start_response, "200 OK", self.pools.key.jwks())
        return self.fallback(environ, start_response)

    def _operation(self, operation: str, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            request = json.loads(environ["wsgi.input"].read(length) or b"{}") if length else {}
            if not isinstance(request, dict):
                raise CognitoError("SerializationException", "the request body must be a JSON object")
            answer = self.pools.call(operation, request)
        except CognitoError as error:
            return _answer(
                start_response,
                "400 Bad Request",
                {"__type": error.error_type, "message": error.message},
                {"x-amzn-ErrorType": error.error_type},
            )
        except (KeyError, ValueError, TypeError) as error:
            # A missing or malformed parameter: Cognito answers InvalidParameterException.
            message = f"missing parameter {error}" if isinstance(error, KeyError) else str(error)
            return _answer(
                start_response,
                "400 Bad Request",
                {"__type": "InvalidParameterException", "message": message},
                {"x-amzn-ErrorType": "InvalidParameterException"},
            )
        return _answer(start_response, "200 OK", answer)


def _answer(
    start_response: Callable[..., Any], status: str, document: dict[str, Any], headers: dict[str, str] | None = None
) -> list[bytes]:
    body = json.dumps(document).encode()
    start_response(
        status,
        [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("Content-Length", str(len(body))),
            *((headers or {}).items()),
        ],
    )
    return [body]
