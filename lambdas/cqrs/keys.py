"""Key schema: every item lives under its tenant, `pk = TENANT#<tenant>`, `sk = <TYPE>#<code>`.

History and command items add `@<version>` to the sort key, as the reference framework does.
"""

from __future__ import annotations

import re

from cqrs.errors import ValidationError

KEY_SEPARATOR = "#"
VERSION_SEPARATOR = "@"
TENANT_PREFIX = "TENANT"
MAX_CODE_LENGTH = 64

# Codes end up inside keys, URLs and log lines: allow a conservative, unambiguous alphabet.
# Matched against the WHOLE string (`fullmatch`): Python's `$` also matches before a final
# newline, and `shop-a\n` would be a partition of its own. The `^...$` form is for the OpenAPI
# document and pydantic, whose regexes end `$` at the end of the text.
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_TYPE = re.compile(r"[A-Z][A-Z0-9_]*")


def validate_code(code: object, field: str = "code") -> str:
    """Return `code` if it is a valid tenant or entity code, else raise `ValidationError`."""
    if not isinstance(code, str) or not code:
        raise ValidationError(field, "must be a non-empty string")
    if len(code) > MAX_CODE_LENGTH:
        raise ValidationError(field, f"must be at most {MAX_CODE_LENGTH} characters")
    if not _CODE.fullmatch(code):
        raise ValidationError(
            field, "may contain only letters, digits, '.', '_' and '-', and must start with a letter or digit"
        )
    return code


def validate_tenant_code(tenant_code: object) -> str:
    return validate_code(tenant_code, "tenantCode")


def generate_pk(tenant_code: str) -> str:
    """`TENANT#<tenant>` for a valid tenant code."""
    return f"{TENANT_PREFIX}{KEY_SEPARATOR}{validate_tenant_code(tenant_code)}"


def tenant_of_pk(pk: str) -> str:
    """The tenant code inside a partition key built by `generate_pk`."""
    prefix, _, tenant = pk.partition(KEY_SEPARATOR)
    if prefix != TENANT_PREFIX or not tenant:
        raise ValidationError("pk", f"not a tenant partition key: {pk!r}")
    return tenant


def generate_sk(entity_type: str, code: str, field: str = "code") -> str:
    """`<TYPE>#<code>`, e.g. `ORDER#ORD-000001`."""
    if not _TYPE.fullmatch(entity_type):
        raise ValidationError("type", f"invalid entity type {entity_type!r}")
    return f"{entity_type}{KEY_SEPARATOR}{validate_code(code, field)}"


def sk_prefix(entity_type: str) -> str:
    """The sort-key prefix shared by every entity of a type, e.g. `ORDER#`."""
    return f"{entity_type}{KEY_SEPARATOR}"


def type_of_sk(sk: str) -> str:
    return sk.split(KEY_SEPARATOR, 1)[0]


def versioned_sk(sk: str, version: int) -> str:
    """`ORDER#ORD-000001@3`: the key of one version in the command and history tables."""
    return f"{sk}{VERSION_SEPARATOR}{version}"


def split_versioned_sk(versioned: str) -> tuple[str, int]:
    """Inverse of `versioned_sk`."""
    sk, sep, version = versioned.rpartition(VERSION_SEPARATOR)
    if not sep or not version.isdigit():
        raise ValidationError("sk", f"not a versioned sort key: {versioned!r}")
    return sk, int(version)
