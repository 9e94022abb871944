"""The same smoke on `--dynamodb moto`: the seed's example and one lifecycle."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.runtime_process import Api, RuntimeProcess, token_for, wait_for
from harness.seed import SEED_ORDER, order_body

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def moto_outputs(stack_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    runtime = RuntimeProcess(
        state_dir=tmp_path_factory.mktemp("moto-state"), template=stack_template, extra_args=["--dynamodb", "moto"]
    )
    try:
        yield runtime.start()
    finally:
        runtime.stop()


def test_moto_runtime_serves_the_seed_example(moto_outputs: dict[str, Any]) -> None:
    assert moto_outputs["DynamoDbEngine"] == "moto"
    assert moto_outputs["DynamoDbEndpointUrl"] == moto_outputs["AwsEndpointUrl"]
    api = Api(moto_outputs["ApiUrl"], token_for(moto_outputs, "shop-a"))
    try:
        status, body = api.post("/orders", SEED_ORDER)
        assert status == 201, body
        assert body["code"] == "ORD-000001"
        assert (body["attributes"]["subtotal"], body["attributes"]["tax"], body["attributes"]["total"]) == (
            59.98,
            6.0,
            65.98,
        )
        assert api.get(f"/orders/{body['code']}")[0] == 200
    finally:
        api.close()


def test_moto_runtime_runs_one_lifecycle(moto_outputs: dict[str, Any]) -> None:
    api = Api(moto_outputs["ApiUrl"], token_for(moto_outputs, "shop-b"))
    try:
        before = api.get("/inventory/PRD-001")[1]["attributes"]
        status, created = api.post("/orders", order_body(("PRD-001", 4)))
        assert status == 201, created
        code = created["code"]
        wait_for(
            lambda: api.get(f"/orders/{code}")[1]["attributes"]["inventoryStatus"] == "reserved",
            message="the reservation",
        )
        assert api.get("/inventory/PRD-001")[1]["attributes"]["reservedQuantity"] == before["reservedQuantity"] + 4
        for status_name in ("confirmed", "processing", "shipped", "delivered"):
            assert api.patch(f"/orders/{code}/status", {"status": status_name})[0] == 200
        wait_for(
            lambda: api.get(f"/orders/{code}")[1]["attributes"]["inventoryStatus"] == "deducted",
            message="the deduction",
        )
        after = api.get("/inventory/PRD-001")[1]["attributes"]
        assert (after["quantity"], after["reservedQuantity"]) == (before["quantity"] - 4, before["reservedQuantity"])
    finally:
        api.close()
