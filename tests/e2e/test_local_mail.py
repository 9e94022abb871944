"""The local SES v2 endpoint and `python -m client ops mail`: what a sent e-mail leaves behind."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from client.cli import main
from cqrs.items import Item
from local.mail import LocalSes
from shop.customer_mail import SesV2Transport
from shop.mail_message import MailEvent, build_message, order_mail

SENDER = "orders@shop.example"


def an_order(code: str) -> Item:
    return Item(
        pk="TENANT#shop-a",
        sk=f"ORDER#{code}",
        code=code,
        name=f"Order {code}",
        tenant_code="shop-a",
        version=1,
        attributes={"items": [{"productCode": "PRD-001", "name": "Mouse", "quantity": 1}], "currency": "USD"},
        created_at="",
        created_by="",
        updated_at="",
        updated_by="",
    )


@pytest.fixture
def ses(tmp_path: Path) -> Iterator[LocalSes]:
    server = LocalSes(tmp_path / "mail", identities=[SENDER])
    server.start()
    yield server
    server.stop()


def sesv2(endpoint: str) -> Any:
    return boto3.client(
        "sesv2", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


def send(endpoint: str, code: str, event: MailEvent = MailEvent.SHIPPED, sender: str = SENDER) -> str:
    mail = order_mail(event, an_order(code), "jane@example.com", sender)
    raw = build_message(mail, datetime(2026, 12, 2, 9, 30, tzinfo=UTC)).as_bytes()
    return SesV2Transport(sesv2(endpoint)).send(mail, raw)


def test_a_sent_email_is_one_eml_file_as_sent(ses: LocalSes) -> None:
    message_id = send(ses.endpoint, "ORD-000007")

    (file,) = list(ses.mail.path.glob("*.eml"))
    assert file.name.endswith(f"-{message_id}.eml")
    parsed = message_from_bytes(file.read_bytes(), policy=policy.default)
    assert parsed["From"] == SENDER
    assert parsed["To"] == "jane@example.com"
    assert parsed["Subject"] == "Your order ORD-000007 has shipped"
    assert parsed["Date"] == "Wed, 02 Dec 2026 09:30:00 +0000"
    assert parsed["Message-ID"].endswith("@shop.example>")
    assert [part.get_content_type() for part in parsed.iter_parts()] == ["text/plain", "text/html"]


def test_a_sender_that_is_no_identity_is_refused(ses: LocalSes) -> None:
    with pytest.raises(ClientError) as refused:
        send(ses.endpoint, "ORD-000001", sender="someone@elsewhere.example")
    assert refused.value.response["Error"]["Code"] == "MessageRejected"
    assert "someone@elsewhere.example" in refused.value.response["Error"]["Message"]
    assert list(ses.mail.path.glob("*.eml")) == []


def test_ops_mail_lists_newest_first_and_keeps_mail_across_restarts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = tmp_path / "mail"
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"CqrsShop-dev": {"MailDirectory": str(directory)}}), encoding="utf-8")

    # Given one e-mail sent before a restart and two after it
    first = LocalSes(directory, identities=[SENDER])
    send(first.start(), "ORD-000001", MailEvent.PLACED)
    first.stop()
    second = LocalSes(directory, identities=[SENDER])
    try:
        endpoint = second.start()
        send(endpoint, "ORD-000001", MailEvent.CONFIRMED)
        send(endpoint, "ORD-000002", MailEvent.PLACED)
    finally:
        second.stop()

    # When an operator lists them
    assert main(["ops", "mail", "--outputs", str(outputs)]) == 0
    listed = json.loads(capsys.readouterr().out)

    # Then all three are there, newest first
    assert [m["subject"] for m in listed] == [
        "Your order ORD-000002 has been placed",
        "Your order ORD-000001 has been confirmed",
        "Your order ORD-000001 has been placed",
    ]
    assert {m["to"] for m in listed} == {"jane@example.com"}
    assert main(["ops", "mail", "--outputs", str(outputs), "--limit", "1"]) == 0
    assert [m["subject"] for m in json.loads(capsys.readouterr().out)] == ["Your order ORD-000002 has been placed"]


def test_ops_mail_without_a_local_runtime_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"CqrsShop-dev": {"ApiUrl": "https://x.example/"}}), encoding="utf-8")
    assert main(["ops", "mail", "--outputs", str(outputs)]) == 1
    assert "names no MailDirectory" in capsys.readouterr().err
