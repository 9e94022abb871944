from __future__ import annotations

import json
from decimal import Decimal

import pytest

from handlers.json_body import dumps


def test_money_keeps_its_minor_unit_as_a_json_number() -> None:
    text = dumps({"tax": Decimal("6.00"), "total": Decimal("65.98"), "n": 2, "ok": True, "none": None})
    assert text == '{"tax":6.00,"total":65.98,"n":2,"ok":true,"none":null}'
    assert json.loads(text, parse_float=Decimal)["tax"] == Decimal("6.00")


def test_strings_are_escaped_and_unicode_kept() -> None:
    assert json.loads(dumps({"name": 'Café "ä"\n', "list": ["x", Decimal("1E+2")]})) == {
        "name": 'Café "ä"\n',
        "list": ["x", 100],
    }


def test_non_finite_numbers_are_refused() -> None:
    with pytest.raises(ValueError):
        dumps(Decimal("NaN"))
