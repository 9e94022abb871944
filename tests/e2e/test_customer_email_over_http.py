"""Customer e-mail as a user sees it: an order placed over HTTP with `customerEmail` leaves one
`.eml` file per event in the local runtime's mail directory, and `ops mail` lists them."""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest

from client.cli import main
from harness.runtime_process import Api, RuntimeProcess, wait_for
from harness.seed import order_body

pytestmark = pytest.mark.e2e


def mails_to(directory: Path, recipient: str) -> list[str]:
    """Subjects of the messages to `recipient`, oldest first."""
    out = []
    for file in sorted(directory.glob("*.eml")):
        message = message_from_bytes(file.read_bytes(), policy=policy.default)
        if message["To"] == recipient:
            out.append(str(message["Subject"]))
    return out


def test_bad_customer_email_is_refused_naming_the_field(admin_a: Api) -> None:
    status, body = admin_a.post("/orders", order_body(("PRD-001", 1)) | {"customerEmail": "not-an-address"})
    assert status in (400, 422), body
    assert "customerEmail" in json.dumps(body)


def test_each_order_event_emails_the_customer_once(
    admin_a: Api, outputs: dict[str, Any], local_runtime: RuntimeProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = Path(outputs["MailDirectory"])
    recipient = "e2e-customer@example.com"

    # Given an order placed with the customer's address
    status, created = admin_a.post("/orders", order_body(("PRD-001", 1)) | {"customerEmail": recipient})
    assert status == 201, created
    code = created["code"]
    assert created["attributes"]["customerEmail"] == recipient
    wait_for(lambda: mails_to(directory, recipient), timeout=30, message="the order-placed e-mail")

    # When it goes through its life
    for next_status in ("confirmed", "processing", "shipped", "delivered"):
        status, body = admin_a.patch(f"/orders/{code}/status", {"status": next_status})
        assert status == 200, body

    # Then the customer got one e-mail per customer-facing event, and no more
    expected = [
        f"Your order {code} has been placed",
        f"Your order {code} has been confirmed",
        f"Your order {code} has shipped",
        f"Your order {code} has been delivered",
    ]
    wait_for(lambda: len(mails_to(directory, recipient)) >= 4, timeout=30, message="four e-mails")
    assert mails_to(directory, recipient) == expected

    # And `python -m client ops mail` lists them, newest first
    outputs_file = local_runtime.state_dir / "outputs.json"
    assert main(["ops", "mail", "--outputs", str(outputs_file)]) == 0
    listed = [m["subject"] for m in json.loads(capsys.readouterr().out) if m["to"] == recipient]
    assert listed == list(reversed(expected))
