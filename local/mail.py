"""SES v2 `SendEmail` on loopback: every e-mail the functions send is written to a directory.

The data-sync function sends customer e-mail with boto3's `sesv2` client, unchanged; locally
`AWS_ENDPOINT_URL_SESV2` points that client here. Each accepted message is written, exactly as it
would have been sent (the Raw content's bytes), to `<state-dir>/mail/<UTC time>-<id>.eml`: one
RFC 5322 file per message, which any mail client opens. The directory is kept across restarts like
the data; the file names sort by the time of sending.

As SES does, a sender that is not one of the stack's identities (`AWS::SES::EmailIdentity` in
the template) is refused with `MessageRejected`. Only Raw content is served (the shop sends Raw).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import threading
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from local.server_thread import LOOPBACK, ServerThread

log = logging.getLogger("local")

SEND_EMAIL_PATH = "/v2/email/outbound-emails"
MAX_MESSAGE_BYTES = 40 * 1024 * 1024  # SES v2's limit for a whole message
MAIL_DIR = "mail"


class MailDirectory:
    """Writes messages as `.eml` files, atomically (a reader never sees half a message)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._last = ""

    def write(self, raw: bytes) -> str:
        """Store one message; return its id (also the tail of its file name)."""
        self.path.mkdir(parents=True, exist_ok=True)
        message_id = uuid.uuid4().hex
        with self._lock:
            # Strictly increasing names even within one microsecond: newest-first is a name sort.
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            stamp = max(stamp, self._last)
            self._last = stamp
            name = f"{stamp}-{message_id}.eml"
        temporary = self.path / f".{name}.tmp"
        temporary.write_bytes(raw)
        os.replace(temporary, self.path / name)
        return message_id


class _Refused(Exception):
    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type


class LocalSes:
    """The SES v2 endpoint. `start()` returns its URL; `stop()` frees the port."""

    def __init__(self, directory: Path, identities: Iterable[str] = (), port: int = 0) -> None:
        self.mail = MailDirectory(directory)
        # Verified identities: addresses, or domains (any address at that domain).
        self.identities = {identity.lower() for identity in identities}
        self.requested_port = port
        self._served: ServerThread | None = None

    @property
    def endpoint(self) -> str:
        if self._served is None:
            raise RuntimeError("the local SES endpoint is not running")
        return self._served.url

    def start(self) -> str:
        ses = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                try:
                    if self.path.split("?", 1)[0] != SEND_EMAIL_PATH:
                        raise _Refused(404, "NotFoundException", f"no operation at {self.path} here")
                    length = int(self.headers.get("Content-Length") or 0)
                    if length > MAX_MESSAGE_BYTES * 2:
                        raise _Refused(400, "MessageRejected", "the message is larger than SES accepts")
                    request = json.loads(self.rfile.read(length) or b"{}")
                    answer = {"MessageId": ses.send_email(request)}
                    self._reply(200, answer)
                except _Refused as refused:
                    self._reply(refused.status, {"message": str(refused)}, refused.error_type)
                except ValueError as error:
                    self._reply(400, {"message": f"not a SendEmail request: {error}"}, "BadRequestException")

            def _reply(self, status: int, body: dict[str, Any], error_type: str | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if error_type:
                    self.send_header("X-Amzn-ErrorType", error_type)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the http.server API
                pass

        server = ThreadingHTTPServer((LOOPBACK, self.requested_port), Handler)
        server.daemon_threads = True
        self._served = ServerThread(server, "local-ses")
        return self.endpoint

    def send_email(self, request: dict[str, Any]) -> str:
        """Check and store one SendEmail request; return the message id."""
        sender = str(request.get("FromEmailAddress") or "")
        if not self._verified(sender):
            raise _Refused(400, "MessageRejected", f"Email address is not verified: {sender or '(none)'}")
        recipients = (request.get("Destination") or {}).get("ToAddresses") or []
        if not recipients:
            raise _Refused(400, "BadRequestException", "Destination.ToAddresses is required")
        raw = ((request.get("Content") or {}).get("Raw") or {}).get("Data")
        if not raw:
            raise _Refused(400, "BadRequestException", "only Content.Raw is served locally")
        try:
            data = base64.b64decode(raw, validate=True)
        except (binascii.Error, TypeError):
            raise _Refused(400, "BadRequestException", "Content.Raw.Data is not base64") from None
        message_id = self.mail.write(data)
        log.info("mail %s -> %s (%d bytes)", sender, ", ".join(map(str, recipients)), len(data))
        return message_id

    def _verified(self, sender: str) -> bool:
        if not self.identities:
            return True
        address = sender.lower()
        return address in self.identities or address.rpartition("@")[2] in self.identities

    def stop(self) -> None:
        served, self._served = self._served, None
        if served is not None:
            served.stop()
