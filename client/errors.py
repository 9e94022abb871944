"""The errors the client raises; the CLI prints their message to stderr and exits non-zero."""

from __future__ import annotations

from typing import Any


class ClientError(Exception):
    """Anything the caller can act on: bad input, a missing outputs file, no login."""


class AuthError(ClientError):
    """Cognito refused a login or a refresh (wrong password, disabled user, expired session)."""


class ApiError(ClientError):
    """The API answered with an error status; `message` is the API's own message."""

    def __init__(self, status: int, message: str, body: Any = None, method: str = "", path: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.body = body
        self.method = method
        self.path = path

    def __str__(self) -> str:
        where = f" ({self.method} {self.path})" if self.method else ""
        return f"HTTP {self.status}{where}: {self.message}"
