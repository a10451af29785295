"""Ways a notification leaves the system: one ``Channel`` interface, an SMTP channel and a file outbox.

A channel either returns a ``Receipt`` or raises ``TransientFailure`` (try again
later: the retry queues) or ``PermanentFailure`` (retrying cannot help: the
dead-letter queue at once, e.g. a recipient address the server refuses).

``delivered`` in a receipt means a carrier took the message (an SMTP server
answered 250), never that a person read it.  The file outbox stands in for
SMS and Zalo where no provider is configured (``make up``, tests): it writes
what would have been sent and says ``delivered=False``, so nothing downstream
can mistake it for a text that reached a phone.
"""

from __future__ import annotations

import json
import os
import re
import smtplib
import ssl
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email import encoders
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formataddr, formatdate, parseaddr
from pathlib import Path
from typing import NamedTuple, Protocol, runtime_checkable


class Attachment(NamedTuple):
    """A file sent with an e-mail; ``mime`` may carry parameters: ``text/calendar; method=REQUEST; charset=utf-8``."""

    filename: str
    mime: str
    content: bytes


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to one address by one channel; ``message_id`` is the exactly-once key (``policy.message_key``).

    E-mail uses ``subject``, ``text``, ``html`` and ``attachments``; SMS and Zalo
    use ``short``.  ``unsubscribe_url`` (non-essential messages) becomes the
    e-mail's ``List-Unsubscribe`` header, which mail clients show as a button.
    """

    message_id: str
    to_address: str
    subject: str = ""
    text: str = ""
    html: str | None = None
    short: str = ""
    attachments: tuple[Attachment, ...] = ()
    unsubscribe_url: str | None = None


@dataclass(frozen=True)
class Receipt:
    """What a channel did with a message: ``delivered`` only when a carrier accepted it."""

    channel: str
    message_id: str
    delivered: bool
    provider_id: str | None = None  # e.g. the e-mail's Message-ID header
    written_to: str | None = None  # the file outbox's file
    detail: str = ""


class DeliveryFailure(Exception):
    """A message did not go out; ``code`` is the provider's reply code when there was one."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class TransientFailure(DeliveryFailure):
    """Worth retrying later: the server is down, busy, or answered 4xx."""


class PermanentFailure(DeliveryFailure):
    """Retrying will not help (5xx: no such mailbox, message refused): dead-letter it at once."""


@runtime_checkable
class Channel(Protocol):
    """Anything that can send an ``OutgoingMessage``: ``name`` is ``email``, ``sms`` or ``zalo``."""

    name: str

    def send(self, message: OutgoingMessage) -> Receipt: ...


_NOT_ATEXT = re.compile(r"[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+")
_WIRE = compat32.clone(linesep="\r\n")  # SMTP wants CRLF; a bare LF is refused by careful servers


def message_id_header(key: str, domain: str = "ketnoi.vn") -> str:
    """``<key@domain>`` with ``key`` reduced to what RFC 5322 allows left of the ``@`` (a dot-atom)."""
    left = ".".join(part for part in _NOT_ATEXT.sub("-", key).split(".") if part)
    if not left:
        raise ValueError(f"no usable Message-ID in {key!r}")
    return f"<{left}@{domain}>"


def _one_line(name: str, value: str) -> str:
    if "\r" in value or "\n" in value:
        raise ValueError(f"a line break in the {name} would inject headers")
    return value


def _header(value: str) -> str | Header:
    return value if value.isascii() else Header(value, "utf-8")


def _address(name: str, value: str) -> str:
    """An address for a header and the envelope: IDN domains as punycode; a non-ASCII mailbox name is refused
    (it needs SMTPUTF8, which few servers offer)."""
    display, address = parseaddr(_one_line(name, value))
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise ValueError(f"not an e-mail address in {name}: {value!r}")
    if not local.isascii():
        raise ValueError(f"a non-ASCII mailbox name needs SMTPUTF8: {value!r}")
    ascii_address = f"{local}@{domain.encode('idna').decode('ascii')}"
    return formataddr((display, ascii_address), "utf-8") if display else ascii_address


def _attachment(attachment: Attachment) -> Message:
    header = Message()
    header["Content-Type"] = _one_line("attachment type", attachment.mime)
    params = {name: value for name, value in header.get_params()[1:] if name.lower() != "name"}
    part = MIMEBase(header.get_content_maintype(), header.get_content_subtype(), **params)
    part.set_payload(bytes(attachment.content))
    encoders.encode_base64(part)
    filename = _one_line("attachment name", attachment.filename)
    part.add_header(
        "Content-Disposition", "attachment", filename=filename if filename.isascii() else ("utf-8", "", filename)
    )
    return part


class SmtpChannel:
    """E-mail over SMTP: ``multipart/alternative`` (text and HTML), attachments in ``multipart/mixed`` around it.

    One connection stays open and is reused: opening one per message (TCP,
    EHLO, STARTTLS, AUTH) is what limits throughput, not the messages.  It is
    reopened when the server has closed it (idle timeout) and after any error
    that may have left it in an unknown state.  A lock serialises the green
    threads (or threads) of one worker sharing an instance, since one SMTP
    conversation cannot interleave two messages; for more parallelism give each
    worker its own instance.

    Reply codes decide retries: 4xx → ``TransientFailure``, 5xx →
    ``PermanentFailure``; connection failures and timeouts are transient.  A
    reused connection found closed is replaced and the message sent once more
    at once: that is the server's idle timeout, found at the first command.
    Should a server drop the connection after taking the data, the message may
    arrive twice, with the same Message-ID, which mail clients collapse.
    """

    name = "email"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10,
        message_id_domain: str = "ketnoi.vn",
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender  # the From header, may carry a display name: "Ban Tổ chức <no-reply@ketnoi.vn>"
        # The envelope sender is the bare address: a non-ASCII display name there would make smtplib demand
        # SMTPUTF8 from the server and fail every message on servers without it.
        self.envelope_sender = parseaddr(_address("sender", sender))[1]
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout = timeout
        self.message_id_domain = message_id_domain
        self._smtp: smtplib.SMTP | None = None
        self._lock = threading.Lock()

    def build(self, message: OutgoingMessage) -> Message:
        """The MIME message ``send`` hands to the server (useful to inspect or store).

        Built with the classic ``email.mime`` API: the newer ``EmailMessage``
        parses and refolds every header through the header registry, four
        times the CPU per message, which caps a worker below 200 messages/s.
        Bodies are base64 (7-bit safe: smtplib never asks for 8BITMIME).
        """
        body: Message = MIMEText(message.text, "plain", "utf-8")
        if message.html:
            body = MIMEMultipart("alternative", _subparts=[body, MIMEText(message.html, "html", "utf-8")])
        mime = body
        if message.attachments:
            mime = MIMEMultipart("mixed", _subparts=[body, *(_attachment(Attachment(*a)) for a in message.attachments)])
        mime["Subject"] = _header(_one_line("subject", message.subject))
        mime["From"] = _address("sender", self.sender)
        mime["To"] = _address("recipient", message.to_address)
        mime["Date"] = formatdate(usegmt=True)
        mime["Message-ID"] = message_id_header(message.message_id, self.message_id_domain)
        if message.unsubscribe_url:
            mime["List-Unsubscribe"] = f"<{_one_line('unsubscribe URL', message.unsubscribe_url)}>"
            mime["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        return mime

    def send(self, message: OutgoingMessage) -> Receipt:
        try:
            mime = self.build(message)
            recipient = parseaddr(mime["To"])[1]
            data = mime.as_bytes(policy=_WIRE)
        except (ValueError, TypeError, UnicodeError) as exc:  # a line break in a header, a bad address or type
            raise PermanentFailure(f"cannot build the e-mail: {exc}") from exc
        with self._lock:
            self._send(data, recipient)
        return Receipt(self.name, message.message_id, delivered=True, provider_id=mime["Message-ID"])

    def close(self) -> None:
        with self._lock:
            self._drop(quit_politely=True)

    def __enter__(self) -> SmtpChannel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the connection ----------------------------------------------------------------------

    def _connect(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def _drop(self, quit_politely: bool = False) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            if quit_politely:
                smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            smtp.close()

    def _deliver(self, data: bytes, recipient: str) -> None:
        if self._smtp is not None:
            try:
                self._smtp.sendmail(self.envelope_sender, [recipient], data)
                return
            except (smtplib.SMTPServerDisconnected, ConnectionError):
                self._drop()  # closed while idle: once more, on a fresh connection
        self._smtp = self._connect()
        self._smtp.sendmail(self.envelope_sender, [recipient], data)

    def _send(self, data: bytes, recipient: str) -> None:
        """``_deliver``, with smtplib's errors (all ``OSError`` subclasses) sorted into transient and permanent."""
        try:
            self._deliver(data, recipient)
        except smtplib.SMTPRecipientsRefused as exc:  # smtplib has reset the transaction: the connection is fine
            code, reply = next(iter(exc.recipients.values()))
            raise _by_code(code, f"recipient refused: {code} {_text(reply)}") from exc
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:  # reset as well
            raise _by_code(exc.smtp_code, f"{type(exc).__name__}: {exc.smtp_code} {_text(exc.smtp_error)}") from exc
        except smtplib.SMTPNotSupportedError as exc:
            self._drop()
            raise PermanentFailure(f"the server does not support what this message needs: {exc}") from exc
        except (smtplib.SMTPConnectError, smtplib.SMTPHeloError, smtplib.SMTPServerDisconnected) as exc:
            self._drop()
            raise TransientFailure(f"SMTP server {self.host}:{self.port} unavailable: {exc}") from exc
        except smtplib.SMTPResponseException as exc:  # e.g. AUTH refused (535), STARTTLS refused
            self._drop()
            raise _by_code(exc.smtp_code, f"{type(exc).__name__}: {exc.smtp_code} {_text(exc.smtp_error)}") from exc
        except OSError as exc:  # refused, reset, timed out, name not resolved, TLS failure, other SMTPException
            self._drop()
            raise TransientFailure(f"SMTP server {self.host}:{self.port} unreachable: {exc}") from exc


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _by_code(code: int, detail: str) -> DeliveryFailure:
    return PermanentFailure(detail, code) if 500 <= code < 600 else TransientFailure(detail, code)


@dataclass
class FileOutboxChannel:
    """SMS or Zalo written to a local JSON-lines file instead of a phone (development, tests, no provider).

    Each message is one line written by a single ``write`` on a file opened
    with ``O_APPEND``, so lines from concurrent senders never interleave and a
    reader never sees half a line from a finished send.  ``fsync`` makes each
    line durable before the receipt (off by default: it is a developer's file).
    """

    name: str
    path: str | os.PathLike[str]
    fsync: bool = False

    def send(self, message: OutgoingMessage) -> Receipt:
        record = {
            "channel": self.name,
            "message_id": message.message_id,
            "to": message.to_address,
            "text": message.short,
            "written_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "delivered": False,
        }
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        path = Path(self.path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                written = os.write(fd, line)
                if self.fsync:
                    os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise TransientFailure(f"cannot write to {path}: {exc}") from exc
        if written != len(line):
            raise TransientFailure(f"short write to {path} ({written} of {len(line)} bytes)")
        return Receipt(
            self.name,
            message.message_id,
            delivered=False,
            written_to=str(path),
            detail="written to a local file, not sent to a phone",
        )
