"""The e-mail channel against a real SMTP server (aiosmtpd on 127.0.0.1), and the file outbox for SMS/Zalo."""

from __future__ import annotations

import email
import email.policy
import json
import threading

import pytest
from aiosmtpd.controller import Controller

from notifications.domain.channels import (
    Attachment,
    Channel,
    FileOutboxChannel,
    OutgoingMessage,
    PermanentFailure,
    SmtpChannel,
    TransientFailure,
    message_id_header,
)
from notifications.domain.policy import message_key
from notifications.domain.rendering import render
from scripts.stack import free_port

SENDER = "Ban Tổ chức <no-reply@ketnoi.vn>"
ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//ketnoi//meetings//VI\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
    "UID:mtg_0193a1b2c3d4@ketnoi.vn\r\nDTSTART:20250710T070000Z\r\nDTEND:20250710T072000Z\r\n"
    "SUMMARY:Gặp Công ty Thực phẩm Sao Mai – bàn T07\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
).encode()


class Collector:
    """Keeps every message; refuses recipients by their local part: nobody@ 550, busy@ 451; data: reject-data@ 554."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.peers: set[tuple[str, int]] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0]
        if local == "nobody":
            return "550 5.1.1 No such user here"
        if local == "busy":
            return "451 4.2.1 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if any(rcpt.startswith("reject-data@") for rcpt in envelope.rcpt_tos):
            return "554 5.6.0 Message refused"
        if any(rcpt.startswith("defer-data@") for rcpt in envelope.rcpt_tos):
            return "452 4.3.1 Insufficient system storage"
        self.peers.add(session.peer)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=email.policy.default))
        return "250 2.0.0 Queued"


def start(handler: Collector, port: int | None = None) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    return controller


@pytest.fixture
def smtp_server():
    handler = Collector()
    controller = start(handler)
    yield controller, handler
    controller.stop()


@pytest.fixture
def channel(smtp_server):
    controller, _ = smtp_server
    with SmtpChannel("127.0.0.1", controller.port, SENDER, timeout=5) as smtp:
        yield smtp


def scheduled_message(to: str, key: str, attachments=()) -> OutgoingMessage:
    rendered = render(
        "meeting.scheduled",
        "vi",
        {
            "counterpart_name": "Công ty <b>Sao Mai</b>",
            "session_name": "Nông sản – Chế biến",
            "starts_at": "2025-07-10T07:00:00.000000Z",
            "ends_at": "2025-07-10T07:20:00.000000Z",
            "table": "T07",
        },
    )
    return OutgoingMessage(
        message_id=key,
        to_address=to,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        short=rendered.short,
        attachments=tuple(attachments),
    )


def test_email_with_calendar_invitation(smtp_server, channel):
    _, handler = smtp_server
    key = message_key("5f0c6a9e-1b2c-4d3e-8f90-a1b2c3d4e5f6", "del_0193a1b2c3d4", "email")
    message = scheduled_message(
        "buyer@example.vn", key, [Attachment("invite.ics", "text/calendar; method=REQUEST; charset=utf-8", ICS)]
    )
    assert isinstance(channel, Channel)
    receipt = channel.send(message)

    assert receipt.delivered and receipt.channel == "email" and receipt.message_id == key
    assert receipt.provider_id == f"<{key}@ketnoi.vn>"
    assert handler.envelopes == [("no-reply@ketnoi.vn", ["buyer@example.vn"])]
    [got] = handler.messages
    assert got["Subject"] == "Lịch gặp với Công ty <b>Sao Mai</b>: 14:00, thứ Năm 10/07/2025 (giờ Việt Nam, UTC+7)"
    assert got["Message-ID"].strip() == f"<{key}@ketnoi.vn>"  # long: folded onto its own line
    assert got["To"] == "buyer@example.vn" and got["From"].addresses[0].display_name == "Ban Tổ chức"
    assert got["Date"] and got["List-Unsubscribe"] is None
    assert got.get_content_type() == "multipart/mixed"

    body = got.get_body(preferencelist=("plain",))
    assert "Thời gian: 14:00–14:20, thứ Năm 10/07/2025 (giờ Việt Nam, UTC+7)" in body.get_content()
    html = got.get_body(preferencelist=("html",))
    assert "Công ty &lt;b&gt;Sao Mai&lt;/b&gt;" in html.get_content()
    alternative = next(part for part in got.walk() if part.get_content_type() == "multipart/alternative")
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]

    [attachment] = list(got.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "REQUEST"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_payload(decode=True) == ICS


def test_cancel_invitation_and_unsubscribe_header(smtp_server, channel):
    _, handler = smtp_server
    cancel = ICS.replace(b"METHOD:REQUEST", b"METHOD:CANCEL")
    message = OutgoingMessage(
        message_id="evt:1/ä <weird>",
        to_address="a@example.vn",
        subject="Nhắc lịch",
        text="Xin chào",
        attachments=(("cancel.ics", "text/calendar; method=CANCEL", cancel),),
        unsubscribe_url="https://ketnoi.vn/u/tok",
    )
    receipt = channel.send(message)
    [got] = handler.messages
    assert got["Message-ID"] == receipt.provider_id == "<evt-1/-weird-@ketnoi.vn>"
    assert got["List-Unsubscribe"] == "<https://ketnoi.vn/u/tok>"
    assert got["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert got.get_body(preferencelist=("html",)) is None  # text only, as given
    [attachment] = list(got.iter_attachments())
    assert (attachment.get_content_type(), attachment.get_param("method")) == ("text/calendar", "CANCEL")
    assert attachment.get_payload(decode=True) == cancel


def test_message_id_sanitising():
    assert message_id_header("a.b.email") == "<a.b.email@ketnoi.vn>"
    assert message_id_header("..a b..c.", "example.org") == "<a-b.c@example.org>"
    with pytest.raises(ValueError):
        message_id_header("...")


def test_replies_decide_transient_or_permanent_and_the_connection_survives(smtp_server, channel):
    _, handler = smtp_server
    with pytest.raises(PermanentFailure) as refused:
        channel.send(scheduled_message("nobody@example.vn", "k1"))
    assert refused.value.code == 550
    with pytest.raises(TransientFailure) as busy:
        channel.send(scheduled_message("busy@example.vn", "k2"))
    assert busy.value.code == 451
    with pytest.raises(PermanentFailure) as data_refused:
        channel.send(scheduled_message("reject-data@example.vn", "k3"))
    assert data_refused.value.code == 554
    with pytest.raises(TransientFailure) as deferred:
        channel.send(scheduled_message("defer-data@example.vn", "k4"))
    assert deferred.value.code == 452
    assert channel.send(scheduled_message("ok@example.vn", "k5")).delivered
    assert [rcpts for _, rcpts in handler.envelopes] == [["ok@example.vn"]]
    assert len(handler.peers) == 1  # refusals reset the transaction, not the connection


def test_unreachable_server_is_transient():
    with SmtpChannel("127.0.0.1", free_port(), SENDER, timeout=2) as smtp, pytest.raises(TransientFailure):
        smtp.send(scheduled_message("ok@example.vn", "k"))


def test_names_and_international_domains(smtp_server, channel):
    _, handler = smtp_server
    channel.send(
        OutgoingMessage(
            message_id="k", to_address="Nguyễn Văn An <an@bộ-công-thương.vn>", subject="Xin chào", text="Chào anh An"
        )
    )
    [got] = handler.messages
    assert handler.envelopes[0][1] == ["an@xn--b-cng-thng-tbb59rtf7231b.vn"]
    assert got["To"].addresses[0].display_name == "Nguyễn Văn An"
    assert got["Subject"] == "Xin chào" and got.get_content().strip() == "Chào anh An"


@pytest.mark.parametrize("to", ["a@example.vn\r\nBcc: all@example.vn", "không-dấu@example.vn", "not an address"])
def test_unsendable_messages_are_permanent(channel, smtp_server, to):
    _, handler = smtp_server
    with pytest.raises(PermanentFailure):
        channel.send(OutgoingMessage(message_id="k", to_address=to, subject="x", text="y"))
    with pytest.raises(PermanentFailure):
        channel.send(OutgoingMessage(message_id="k", to_address="a@example.vn", subject="x\nBcc: b@ex.vn", text="y"))
    assert handler.messages == []


def test_connection_is_reused_and_reopened_after_a_restart():
    port = free_port()
    first, second = Collector(), Collector()
    controller = start(first, port)
    try:
        with SmtpChannel("127.0.0.1", port, SENDER, timeout=5) as smtp:
            for n in range(300):
                smtp.send(scheduled_message(f"p{n}@example.vn", f"evt{n}.del.email"))
            # one connection for all 300 (its speed is bench/notifications' to measure, not a test's)
            assert len(first.messages) == 300 and len(first.peers) == 1

            controller.stop()  # the server goes away, closing the open connection
            controller = start(second, port)
            assert smtp.send(scheduled_message("after@example.vn", "after")).delivered
    finally:
        controller.stop()
    assert [rcpts for _, rcpts in second.envelopes] == [["after@example.vn"]]


def test_concurrent_senders_share_one_channel(smtp_server, channel):
    _, handler = smtp_server
    errors: list[BaseException] = []

    def worker(w: int) -> None:
        try:
            for n in range(20):
                channel.send(scheduled_message(f"w{w}n{n}@example.vn", f"w{w}.n{n}.email"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(handler.messages) == 160
    assert len({m["Message-ID"] for m in handler.messages}) == 160


# -- the file outbox --------------------------------------------------------------------------


def test_file_outbox_writes_a_line_and_never_claims_delivery(tmp_path):
    path = tmp_path / "outbox" / "sms.jsonl"
    sms = FileOutboxChannel("sms", path)
    assert isinstance(sms, Channel)
    message = scheduled_message("+84912345678", "evt1.del1.sms")
    receipt = sms.send(message)
    assert receipt.delivered is False
    assert receipt.written_to == str(path) and receipt.channel == "sms" and receipt.message_id == "evt1.del1.sms"
    sms.send(OutgoingMessage(message_id="evt2.del1.sms", to_address="+84912345678", short="Nhắc lịch: gặp lúc 14:00"))
    lines = path.read_text("utf-8").splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["channel"] == "sms" and first["to"] == "+84912345678" and first["delivered"] is False
    assert first["message_id"] == "evt1.del1.sms" and first["text"] == message.short
    assert "thứ Năm 10/07/2025" in lines[0]  # Vietnamese kept readable, not \u-escaped
    assert second["text"] == "Nhắc lịch: gặp lúc 14:00" and second["written_at"].endswith("Z")


def test_file_outbox_lines_never_interleave(tmp_path):
    path = tmp_path / "zalo.jsonl"
    zalo = FileOutboxChannel("zalo", path, fsync=False)
    text = "Lịch gặp " * 50

    def worker(w: int) -> None:
        for n in range(50):
            zalo.send(OutgoingMessage(message_id=f"{w}.{n}", to_address="+84900000000", short=text))

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    assert len(records) == 500 and len({r["message_id"] for r in records}) == 500
    assert all(r["text"] == text for r in records)


def test_file_outbox_failure_is_transient(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(TransientFailure):
        FileOutboxChannel("sms", blocker / "sms.jsonl").send(OutgoingMessage(message_id="k", to_address="+84"))
