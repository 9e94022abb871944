from __future__ import annotations

import base64
import json

import pytest

from cqrs.cursor import decode_cursor, encode_cursor
from cqrs.errors import InvalidCursorError, ValidationError
from cqrs.keys import (
    generate_pk,
    generate_sk,
    split_versioned_sk,
    tenant_of_pk,
    validate_code,
    versioned_sk,
)


def test_keys_follow_the_reference_layout() -> None:
    assert generate_pk("shop-a") == "TENANT#shop-a"
    assert generate_sk("ORDER", "ORD-000001") == "ORDER#ORD-000001"
    assert versioned_sk("ORDER#ORD-000001", 3) == "ORDER#ORD-000001@3"
    assert split_versioned_sk("ORDER#ORD-000001@12") == ("ORDER#ORD-000001", 12)
    assert tenant_of_pk("TENANT#shop-b") == "shop-b"


@pytest.mark.parametrize("bad", ["", "a#b", "a/b", "a b", "-lead", "x" * 65, "ünï", None, 7])
def test_invalid_codes_are_refused_naming_the_field(bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_code(bad, "productCode")
    assert caught.value.field == "productCode"


def test_tenant_codes_cannot_forge_another_partition() -> None:
    with pytest.raises(ValidationError):
        generate_pk("shop-a#ORDER")


def test_cursor_round_trips_the_sort_key() -> None:
    cursor = encode_cursor("ORDER#ORD-000020")
    assert decode_cursor(cursor, "ORDER#") == "ORDER#ORD-000020"
    assert "ORDER" not in cursor  # opaque to clients


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64!!",
        base64.urlsafe_b64encode(b"[1,2]").decode(),
        base64.urlsafe_b64encode(json.dumps({"sk": "PRODUCT#PRD-001"}).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps({"sk": "ORDER#"}).encode()).decode(),
        "",
        "A" * 600,
    ],
)
def test_tampered_or_foreign_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursorError) as caught:
        decode_cursor(cursor, "ORDER#")
    assert caught.value.field == "cursor"


def test_a_well_formed_cursor_longer_than_the_limit_is_refused() -> None:
    long_cursor = encode_cursor("ORDER#" + "X" * 400)
    assert len(long_cursor) > 512  # what the API documents as the longest cursor
    with pytest.raises(InvalidCursorError):
        decode_cursor(long_cursor, "ORDER#")
