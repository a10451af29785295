"""The notifications service on the real broker, the real store and a real SMTP server (aiosmtpd):
one event delivered three times sends one e-mail per delegate; a failing relay is retried, then the message
is dead-lettered and an organiser resends it; a reminder due while the service was down fires once."""

from __future__ import annotations

import email
import email.policy
import json
import os
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from nameko.standalone.rpc import ClusterRpcProxy

from notifications import service as notifications_service
from notifications import settings as notify_settings_module
from notifications.events import EDITION_UPDATED
from notifications.service import NotificationsService
from notifications.store import NotificationsStore
from scripts.stack import free_port
from shared.events.envelope import make_event
from shared.store import door_for
from shared.timestamps import to_text
from tests.support.counters import CALLS, CONSUMED, Counted
from tests.support.events import Tap, publish
from tests.support.waiting import wait_for

EDITION_ID = "ed_notify_it"


class Relay:
    """An SMTP server that keeps what it accepts and answers 451 for recipients while ``busy`` holds them."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.busy: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.busy:
            return "451 4.2.1 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=email.policy.default))
        return "250 Message accepted"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if address in m["To"]]


@pytest.fixture(scope="module")
def relay(service_env):
    handler = Relay()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    os.environ.update(
        {"KETNOI_SMTP_HOST": "127.0.0.1", "KETNOI_SMTP_PORT": str(port), "KETNOI_NOTIFY_MAX_ATTEMPTS": "3"}
    )
    notify_settings_module.notify_settings.cache_clear()
    notifications_service.channel_set.cache_clear()
    yield handler
    controller.stop()
    notifications_service.channel_set()[0]["email"].close()
    notifications_service.channel_set.cache_clear()


@pytest.fixture
def container(container_factory, amqp_uri, relay):
    made = container_factory(NotificationsService, {"AMQP_URI": amqp_uri, "ACCEPT": ["json", "cloudevents"]})
    made.start()
    return made


def registration_event(kind: str, data: dict) -> dict:
    return make_event(f"vn.ketnoi.registration.{kind}.v1", "registration", "x", data)


def edition_and_contacts(org: str, delegates: list[tuple[str, str, str]], starts_on: str = "2024-08-16") -> None:
    publish(
        registration_event(
            "edition.created",
            {
                "edition_id": EDITION_ID,
                "series_id": "s-notify",
                "title": {"vi": "Hội nghị Thanh Hóa", "en": "Thanh Hoa"},
                "status": "open",
                "host_province": "thanh-hoa",
                "partner_provinces": [],
                "starts_on": starts_on,
                "ends_on": starts_on,
                "timezone": "Asia/Ho_Chi_Minh",
                "venue": "Nhà thi đấu",
                "capacity": {},
                "version": 1,
            },
        )
    )
    publish(
        registration_event(
            "organisation.contacts_changed",
            {
                "organisation_id": org,
                "version": 1,
                "delegates": [
                    {
                        "delegate_id": d,
                        "name": f"Đại biểu {d}",
                        "email": address,
                        "phone": "+84912345678",
                        "preferred_language": language,
                    }
                    for d, address, language in delegates
                ],
            },
        )
    )


def approved(org: str, pid: str) -> dict:
    return registration_event(
        "participation.approved",
        {
            "participation_id": pid,
            "edition_id": EDITION_ID,
            "organisation_id": org,
            "organisation_kind": "enterprise",
            "organisation_name": {"vi": "Công ty Lam Sơn Xanh"},
            "province": "thanh-hoa",
            "province_2025": "thanh-hoa",
            "country": "VN",
            "sectors": [],
            "ocop_max_stars": None,
            "role": "exhibitor",
            "status": "approved",
            "wants": {"booths": 1, "b2b": False, "site_visits": [], "livestream": False},
            "version": 2,
            "promoted_from_waitlist": True,
        },
    )


def test_one_event_delivered_three_times_sends_one_email_per_delegate(container, relay):
    tag = uuid.uuid4().hex[:6]
    org, vi, en = f"org_{tag}", f"ha.{tag}@example.vn", f"tan.{tag}@example.vn"
    edition_and_contacts(org, [(f"dlg_vi_{tag}", vi, "vi"), (f"dlg_en_{tag}", en, "en")])
    event = approved(org, f"par_{tag}")
    handled = Counted(CONSUMED, handler="notifications.notify", type=event["type"], outcome="ok")
    for _ in range(3):
        publish(event)
    wait_for(lambda: relay.to(vi) and relay.to(en))
    handled.wait(3)  # every copy ran to the end (the handler is idempotent by its messages' keys, no inbox)
    [vi_mail], [en_mail] = relay.to(vi), relay.to(en)
    assert "đã được duyệt" in str(vi_mail["Subject"]) and "approved" in str(en_mail["Subject"])
    assert vi_mail["Message-ID"] != en_mail["Message-ID"]
    assert "danh sách chờ" in vi_mail.get_body(("plain",)).get_content()  # promoted from the waitlist


def test_a_failing_relay_is_retried_then_dead_lettered_and_an_organiser_resends(container, relay, amqp_uri):
    tag = uuid.uuid4().hex[:6]
    org, address = f"org_{tag}", f"busy.{tag}@example.vn"
    relay.busy.add(address)
    tap = Tap(f"it.notify.{tag}", ("vn.ketnoi.notifications.#",))
    try:
        edition_and_contacts(org, [(f"dlg_{tag}", address, "vi")])
        publish(approved(org, f"par_{tag}"))
        # the relay publishes at least once (a sweep racing a hand-over may repeat one): dedupe by id, as
        # every consumer does, and wait for three distinct events (a repeat must not count as the third)
        seen: dict[str, dict] = {}
        deadline = time.monotonic() + 30
        while len(seen) < 3 and time.monotonic() < deadline:
            for message in tap.drain(expect=1, timeout=max(deadline - time.monotonic(), 0.1)):
                event = json.loads(message.body)
                seen.setdefault(event["id"], event)
        events = list(seen.values())
        assert [e["type"].split(".")[-2] for e in events] == ["failed", "failed", "dead_lettered"]
        assert [e["data"]["attempts"] for e in events] == [1, 2, 3] and "451" in events[-1]["data"]["error"]
        [dead] = door_for("notifications").messages.find({"organisation_id": org, "status": "dead"})
        assert relay.to(address) == []

        relay.busy.discard(address)
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}) as rpc:
            resent = rpc.notifications.resend({"role": "ops", "subject": "ops-1"}, dead["_id"])
        assert (resent["status"], resent["attempts"]) == ("sent", 1)
        assert len(relay.to(address)) == 1
        assert json.loads(tap.drain(expect=1, timeout=10)[0].body)["type"].endswith("notification.sent.v1")
    finally:
        tap.delete()


def test_a_reminder_due_while_the_service_was_down_fires_once_across_restarts(
    container_factory, amqp_uri, relay, service_env
):
    tag = uuid.uuid4().hex[:6]
    org, address = f"org_{tag}", f"remind.{tag}@example.vn"
    store = NotificationsStore(door_for("notifications"))
    store.remember_contacts(
        {
            "organisation_id": org,
            "version": 1,
            "delegates": [
                {
                    "delegate_id": f"dlg_{tag}",
                    "name": "Lê Văn Hùng",
                    "email": address,
                    "phone": "+84912345678",
                    "preferred_language": "vi",
                }
            ],
        }
    )
    store.arm_reminder(
        {
            "_id": f"meeting_soon:mtg_{tag}:par_{tag}",
            "template": "reminder.meeting_soon",
            "organisation_id": org,
            "edition_id": EDITION_ID,
            "due_at": "2020-01-01T00:00:00.000000Z",
            "until": to_text_in(hours=1),
            "context": {
                "counterpart_name": {"vi": "Kansai Food", "en": "Kansai Food"},
                "starts_at": "2030-07-10T14:00:00+07:00",
                "table": "T07",
            },
        },
        0,
    )
    store.arm_reminder(
        {
            "_id": f"meeting_soon:mtg_old_{tag}:par_{tag}",
            "template": "reminder.meeting_soon",
            "organisation_id": org,
            "edition_id": EDITION_ID,
            "due_at": "2020-01-01T00:00:00.000000Z",
            "until": "2020-01-01T00:30:00.000000Z",
            "context": {"counterpart_name": {"vi": "Cũ"}, "starts_at": "2020-01-01T07:30:00+07:00", "table": "T01"},
        },
        0,
    )
    for _ in range(2):  # started after the due time, then restarted: one e-mail
        runs = Counted(CALLS, service="notifications", entrypoint="fire_reminders", kind="timer", outcome="ok")
        container = container_factory(NotificationsService, {"AMQP_URI": amqp_uri, "ACCEPT": ["json", "cloudevents"]})
        container.start()
        wait_for(lambda: relay.to(address))
        runs.wait(1)  # this start's reminder timer ran: the first start's fired it, the restart's must not
        container.stop()
    [mail] = relay.to(address)
    assert "Kansai Food" in str(mail["Subject"]) or "Kansai Food" in mail.get_body(("plain",)).get_content()
    assert "List-Unsubscribe" in mail  # a reminder is not essential
    assert store.db.reminders.find_one({"_id": f"meeting_soon:mtg_old_{tag}:par_{tag}"})["status"] == "missed"


def to_text_in(hours: int) -> str:
    return to_text(datetime.now(UTC) + timedelta(hours=hours))


def test_reminders_follow_the_newest_state_of_what_they_remind_of(service_env):
    """Late or redelivered events of an older state change nothing; a move re-arms; a cancellation sticks."""
    store = NotificationsStore(door_for("notifications"))
    rid = f"meeting_soon:mtg_{uuid.uuid4().hex[:6]}:par_x"
    base = {
        "_id": rid,
        "template": "reminder.meeting_soon",
        "organisation_id": "org_x",
        "edition_id": EDITION_ID,
        "due_at": "2030-07-10T06:30:00.000000Z",
        "until": "2030-07-10T07:00:00.000000Z",
        "context": {"counterpart_name": {"vi": "A"}, "starts_at": "2030-07-10T14:00:00+07:00", "table": "T01"},
    }
    store.arm_reminder(base, 0)
    store.arm_reminder({**base, "context": {**base["context"], "table": "T05"}}, 1)  # a table-only move
    moved = store.db.reminders.find_one({"_id": rid})
    assert (moved["arm"], moved["context"]["table"], moved["status"]) == (2, "T05", "scheduled")
    store.arm_reminder(base, 0)  # the first placement, redelivered late
    assert store.db.reminders.find_one({"_id": rid})["context"]["table"] == "T05"
    store.cancel_reminder(rid, 2)
    store.arm_reminder({**base, "context": {**base["context"], "table": "T09"}}, 1)  # a move, late
    assert store.db.reminders.find_one({"_id": rid})["status"] == "cancelled"
    tombstone = f"edition_tomorrow:par_{uuid.uuid4().hex[:6]}"
    store.cancel_reminder(tombstone, 3)  # the cancellation arrives before the approval
    store.arm_reminder({**base, "_id": tombstone}, 2)
    assert store.db.reminders.find_one({"_id": tombstone})["status"] == "cancelled"


def test_day_before_reminders_follow_the_editions_dates(container, relay):
    """The edition moves a week later: the reminders not yet fired move with it; a late old version does not."""
    tag = uuid.uuid4().hex[:6]
    edition_id, org = f"ed_move_{tag}", f"org_{tag}"

    def edition(version: int, starts_on: str) -> dict:
        return registration_event(
            "edition.updated",
            {
                "edition_id": edition_id,
                "series_id": "s-notify",
                "title": {"vi": "Hội nghị dời ngày"},
                "status": "open",
                "host_province": "thanh-hoa",
                "partner_provinces": [],
                "starts_on": starts_on,
                "ends_on": starts_on,
                "timezone": "Asia/Ho_Chi_Minh",
                "venue": "Nhà thi đấu",
                "capacity": {},
                "version": version,
                "changed": ["starts_on"],
            },
        )

    publish(edition(1, "2031-08-16"))
    store = NotificationsStore(door_for("notifications"))
    wait_for(lambda: store.edition(edition_id))
    participation = approved(org, f"par_{tag}")
    participation["data"]["edition_id"] = edition_id
    publish(participation)
    reminder_id = f"edition_tomorrow:par_{tag}"
    wait_for(lambda: store.db.reminders.find_one({"_id": reminder_id}))
    assert store.db.reminders.find_one({"_id": reminder_id})["due_at"] == "2031-08-15T01:00:00.000000Z"  # 08:00
    publish(edition(2, "2031-08-23"))
    wait_for(lambda: store.db.reminders.find_one({"_id": reminder_id})["due_at"] == "2031-08-22T01:00:00.000000Z")
    editions = Counted(CONSUMED, handler="notifications.on_edition", type=EDITION_UPDATED, outcome="ok")
    publish(edition(1, "2031-08-16"))  # the old version, redelivered late
    editions.wait(1)
    moved = store.db.reminders.find_one({"_id": reminder_id})
    assert (moved["due_at"], moved["context"]["starts_on"], moved["arm"]) == (
        "2031-08-22T01:00:00.000000Z",
        "2031-08-23",
        2,
    )
