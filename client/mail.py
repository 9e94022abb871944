"""`python -m client ops mail`: the e-mails the local runtime sent, newest first.

The local runtime writes every e-mail it sends to `<state-dir>/mail/` as one `.eml` file and
names that directory `MailDirectory` in its outputs file. A deployed stack sends through SES, whose
messages are in the recipients' mailboxes, not here.
"""

from __future__ import annotations

from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from client.errors import ClientError
from client.outputs import default_outputs_path, find_output

MAIL_DIRECTORY = "MailDirectory"
DEFAULT_LIMIT = 50


def mail_directory(outputs: Path | None = None, stack: str | None = None) -> Path:
    """The local runtime's mail directory, from its outputs file."""
    path = outputs or default_outputs_path()
    directory = find_output(path, MAIL_DIRECTORY, stack)
    if not directory:
        raise ClientError(f"{path} names no {MAIL_DIRECTORY}: only the local runtime keeps sent e-mail")
    return Path(str(directory))


def list_mail(directory: Path, limit: int = DEFAULT_LIMIT) -> list[dict[str, Any]]:
    """The newest `limit` messages' headers (file names sort by the time of sending)."""
    if limit < 1:
        raise ClientError("--limit must be at least 1")
    if not directory.is_dir():
        return []
    files = sorted(directory.glob("*.eml"), reverse=True)[:limit]
    parser = BytesHeaderParser(policy=policy.default)
    out = []
    for file in files:
        with file.open("rb") as handle:
            headers = parser.parse(handle)
        out.append(
            {
                "date": str(headers.get("Date", "")),
                "from": str(headers.get("From", "")),
                "to": str(headers.get("To", "")),
                "subject": str(headers.get("Subject", "")),
                "messageId": str(headers.get("Message-ID", "")),
                "file": str(file),
            }
        )
    return out
