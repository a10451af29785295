"""Reading what the stack's SMTP sink received (a maildir), as a person would find it in their inbox."""

from __future__ import annotations

import mailbox
import time
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path


def subject(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def mails_to(mail_dir: Path, address: str, expect: int, timeout: float = 20.0, where=lambda m: True) -> list[Message]:
    """Messages for ``address`` (that satisfy ``where``), once ``expect`` of them arrived or the time is up."""
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in mailbox.Maildir(mail_dir, create=False) if address in (m["To"] or "") and where(m)]
        if len(found) >= expect or time.monotonic() > deadline:
            return found
        time.sleep(0.3)


def calendars(message: Message) -> list[bytes]:
    """The text/calendar attachments of a message."""
    return [part.get_payload(decode=True) for part in message.walk() if part.get_content_type() == "text/calendar"]
