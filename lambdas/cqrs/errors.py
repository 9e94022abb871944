"""Domain errors raised by the CQRS core. The API layer maps each one to an HTTP status."""

from __future__ import annotations


class CqrsError(Exception):
    """Base class of every error the core raises on purpose."""


class ValidationError(CqrsError):
    """Input that can never succeed as given; `field` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class InvalidCursorError(ValidationError):
    """A pagination cursor that was not issued for this listing (tampered, truncated, foreign)."""

    def __init__(self, message: str = "invalid or expired cursor") -> None:
        super().__init__("cursor", message)


class AuthorizationError(CqrsError):
    """The caller's identity lacks what the operation needs (a tenant claim, a role)."""


class NotFoundError(CqrsError):
    """The entity does not exist in the caller's tenant."""


class VersionMismatchError(CqrsError):
    """Optimistic lock failure: the caller's version is not the stored one.

    `expected` is the version the caller named; `actual` the stored one when known (None when the
    store did not say, e.g. a lost race inside a transaction).
    """

    def __init__(self, pk: str, sk: str, expected: int, actual: int | None) -> None:
        detail = f"current version is {actual}" if actual is not None else "it was changed concurrently"
        super().__init__(f"version {expected} of {sk} is stale: {detail}")
        self.pk = pk
        self.sk = sk
        self.expected = expected
        self.actual = actual


class CommandConflictError(VersionMismatchError):
    """One command of an atomic batch failed its condition, so none was written.

    `index` is the position of the failing command in the batch.
    """

    def __init__(self, index: int, pk: str, sk: str, expected: int, actual: int | None) -> None:
        super().__init__(pk, sk, expected, actual)
        self.index = index
        self.args = (f"command {index} ({sk}) failed its version check: {self.args[0]}",)
