"""Notifications under load: 10,000 e-mails through the real service to a local SMTP server, counted.

The notifications service runs as its own process on the real broker and the
embedded store; this script publishes registration events (each concerns one
organisation with one delegate), a tenth of them twice, and a counting SMTP
server (aiosmtpd, in this process) receives the mail.  It prints throughput
from the first publish to the last e-mail, and the number of duplicates (one
message key received twice) and losses (expected and never received).

Baseline, measured in the same run: the same SMTP channel sending pre-rendered
messages straight to the same server, without broker, store or rendering; the
ratio tells what the service's guarantees cost.  Targets: >= 200 e-mails/s,
0 duplicates, 0 losses.  Missed targets are printed as MISSED (exit code 0:
this is a measurement, not a test).
"""

from __future__ import annotations

import argparse
import threading
import time
import uuid
from collections import Counter
from email.parser import BytesHeaderParser

from aiosmtpd.controller import Controller
from kombu import Connection

from bench.workspace import workspace
from notifications.domain.channels import OutgoingMessage, SmtpChannel
from scripts.stack import Stack, StackConfig, free_port
from shared.events.envelope import make_event
from shared.events.serialization import CLOUDEVENTS_SERIALIZER

EDITION = "ed_bench_notify"
TARGET_RATE = 200.0
BASELINE_MESSAGES = 2_000
HEADERS = BytesHeaderParser()


class Counting:
    """An SMTP server that only counts messages by their Message-ID."""

    def __init__(self) -> None:
        self.ids: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.last_at = 0.0

    async def handle_DATA(self, server, session, envelope):
        key = (HEADERS.parsebytes(envelope.original_content)["Message-ID"] or "?").strip()
        with self.lock:
            self.ids[key] += 1
            self.last_at = time.monotonic()
        return "250 OK"

    def total(self) -> int:
        with self.lock:
            return sum(self.ids.values())


def event(kind: str, data: dict) -> dict:
    return make_event(f"vn.ketnoi.registration.{kind}.v1", "registration", "bench", data)


def publish_all(amqp: str, events: list[dict]) -> None:
    """Confirmed, or the last few may never reach the quorum queues (see tests/support/events.publish)."""
    with Connection(amqp, transport_options={"confirm_publish": True}) as connection:
        producer = connection.Producer(serializer=CLOUDEVENTS_SERIALIZER)
        for e in events:
            producer.publish(e, exchange="ketnoi.events", routing_key=e["type"], delivery_mode=2, message_id=e["id"])


def baseline(port: int, sink: Counting) -> float:
    channel = SmtpChannel("127.0.0.1", port, "Ban Tổ chức <no-reply@ketnoi.vn>")
    started = time.perf_counter()
    for i in range(BASELINE_MESSAGES):
        channel.send(
            OutgoingMessage(
                f"baseline.{i}.email",
                f"baseline{i}@example.vn",
                "Đăng ký đã được duyệt",
                "Nội dung " * 40,
                "<p>" + "Nội dung " * 40 + "</p>",
            )
        )
    elapsed = time.perf_counter() - started
    channel.close()
    return BASELINE_MESSAGES / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--organisations", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=300.0, help="give up waiting after this many seconds")
    parser.add_argument("--replicas", type=int, default=2, help="notifications processes (production runs 2+)")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    with workspace("ketnoi-bench-notify-", keep=args.keep) as work:
        sink = Counting()
        smtp_port = free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
        controller.start()
        config = StackConfig.for_tests(work.dir / "stack", work.amqp)
        config.smtp_port = smtp_port
        config.extra_env.update({"KETNOI_EMAIL_PER_SECOND": "100000", "KETNOI_NOTIFICATIONS_WORKERS": "20"})
        stack = Stack(config)
        try:
            rate_direct = baseline(smtp_port, sink)
            sink.ids.clear()
            print(f"baseline: SMTP channel alone, {BASELINE_MESSAGES} messages: {rate_direct:.0f}/s", flush=True)

            stack.start_store()
            stack.declare_topology()
            for replica in range(args.replicas):
                stack.start_service("notifications", replica)
            time.sleep(4)  # consumers up
            run = uuid.uuid4().hex[:6]
            orgs = [f"org_{run}_{i}" for i in range(args.organisations)]
            setup = [
                event(
                    "edition.created",
                    {
                        "edition_id": EDITION,
                        "series_id": "bench",
                        "title": {"vi": "Hội nghị", "en": "Conference"},
                        "status": "open",
                        "host_province": "thanh-hoa",
                        "partner_provinces": [],
                        "starts_on": "2030-08-16",
                        "ends_on": "2030-08-18",
                        "timezone": "Asia/Ho_Chi_Minh",
                        "venue": "Nhà thi đấu",
                        "capacity": {},
                        "version": 1,
                    },
                )
            ]
            setup += [
                event(
                    "organisation.contacts_changed",
                    {
                        "organisation_id": org,
                        "version": 1,
                        "delegates": [
                            {
                                "delegate_id": f"dlg_{org}",
                                "name": "Lê Văn Hùng",
                                "email": f"{org}@example.vn",
                                "phone": "+84912345678",
                                "preferred_language": "vi" if i % 3 else "en",
                            }
                        ],
                    },
                )
                for i, org in enumerate(orgs)
            ]
            publish_all(work.amqp, setup)
            time.sleep(3)  # contacts stored (the service would otherwise retry, which is fine but not measured)

            notices = [
                event(
                    "participation.submitted",
                    {
                        "participation_id": f"par_{run}_{i}",
                        "edition_id": EDITION,
                        "organisation_id": orgs[i % len(orgs)],
                        "organisation_kind": "enterprise",
                        "organisation_name": {"vi": f"Công ty số {i}"},
                        "province": "ha-noi",
                        "province_2025": "ha-noi",
                        "country": "VN",
                        "sectors": [],
                        "ocop_max_stars": None,
                        "role": "visitor",
                        "status": "submitted",
                        "wants": {"booths": 0, "b2b": False, "site_visits": [], "livestream": False},
                        "version": 1,
                    },
                )
                for i in range(args.messages)
            ]
            redelivered = notices[::10]
            print(f"publishing {len(notices)} events (+{len(redelivered)} published twice) …", flush=True)
            started = time.monotonic()
            publish_all(work.amqp, notices + redelivered)
            deadline = started + args.timeout
            while sink.total() < args.messages and time.monotonic() < deadline:
                time.sleep(0.5)
            done_at = sink.last_at or time.monotonic()
            time.sleep(5)  # anything doubled arrives now
            received = sink.total()
            duplicates = sum(n - 1 for n in sink.ids.values() if n > 1)
            losses = args.messages - len(sink.ids)
            rate = min(received, args.messages) / (done_at - started)
            print(
                f"service: {received} e-mails received in {done_at - started:.1f} s: {rate:.0f}/s "
                f"({rate / rate_direct:.2f} of the bare channel)"
            )
            print(f"duplicates: {duplicates}   losses: {losses}")
            for name, ok in (
                ("throughput >= 200/s", rate >= TARGET_RATE),
                ("0 duplicates", duplicates == 0),
                ("0 losses", losses == 0),
            ):
                print(f"  {name}: {'met' if ok else 'MISSED'}")
            work.keep = work.keep or duplicates > 0 or losses > 0
        finally:
            stack.stop()
            controller.stop()


if __name__ == "__main__":
    main()
