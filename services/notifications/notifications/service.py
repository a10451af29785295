"""The notifications service's nameko entrypoints: tell people what happened to them, once per channel.

It consumes the other services' events (contacts come only from the internal
``organisation.contacts_changed`` event, never from a public one or another
service's database), renders each message in the delegate's language, stores
it under its exactly-once key (event, delegate, channel) and sends it.
Reminders live in its own database and fire once, also after downtime.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import eventlet
from nameko.timer import timer

from notifications import events as ev
from notifications import views
from notifications.audience import Notice, NotYetKnown, localise, notices_for
from notifications.delivery import LEASE, Dispatcher
from notifications.domain.channels import Channel, FileOutboxChannel, SmtpChannel
from notifications.domain.policy import (
    TokenBucket,
    channels_for,
    message_key,
    quiet_hours_release,
    read_unsubscribe_token,
    unsubscribe_token,
)
from notifications.domain.rendering import TEMPLATES, render
from notifications.invitations import invitation
from notifications.metrics import MESSAGES, refresh_gauges
from notifications.schemas import LogQuery, PreferencesIn
from notifications.settings import notify_settings
from notifications.store import COLLECTIONS, NotificationsStore
from shared.auth import Principal, signed_in
from shared.context import RequestContext
from shared.entrypoints import rpc
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from shared.events.consumer import event_handler
from shared.events.outbox import OutboxRelay
from shared.metrics import ServiceMetrics
from shared.recent import Recent
from shared.rpc import ServiceRpc
from shared.store import Recount, Store
from shared.timestamps import now_text, to_text
from shared.validation import load

log = logging.getLogger(__name__)
# The gauges look at the whole database: only when something may have changed (shared.store.recount).
_GAUGES = Recount()
REMINDER_LEAD = timedelta(minutes=30)
EDITION_REMINDER_AT = time(8, 0)  # local time, the day before the edition opens
CACHE_SECONDS = 5.0
# per process (see shared.recent): what every notification reads
_EDITIONS = Recent(CACHE_SECONDS)
_CONTACTS = Recent(CACHE_SECONDS)


@cache
def channel_set() -> tuple[dict[str, Channel], dict[str, TokenBucket]]:
    """One set of channels per process: the SMTP connection is kept open between messages."""
    cfg = notify_settings()
    channels: dict[str, Channel] = {"email": SmtpChannel(cfg.smtp_host, cfg.smtp_port, cfg.smtp_sender,
                                                         cfg.smtp_username, cfg.smtp_password, cfg.smtp_starttls)}
    for name, path in (("sms", cfg.sms_outbox), ("zalo", cfg.zalo_outbox)):
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            channels[name] = FileOutboxChannel(name, path)
    rates = {"email": cfg.email_per_second, "sms": cfg.sms_per_second, "zalo": cfg.zalo_per_second}
    buckets = {name: TokenBucket(rates[name], max(1, int(rates[name]))) for name in channels}
    return channels, buckets


def edition_reminder_due(starts_on: str, zone: str) -> tuple[str, str]:
    """(due, until): 08:00 local the day before the edition opens; pointless once it has opened."""
    tz = ZoneInfo(zone)
    opens = datetime.combine(date.fromisoformat(starts_on), time(0, 0), tzinfo=tz)
    due = datetime.combine(opens.date() - timedelta(days=1), EDITION_REMINDER_AT, tzinfo=tz)
    return to_text(due), to_text(opens)


def _record(message: dict[str, Any], outcome: str) -> None:
    MESSAGES.labels(message["channel"], message["template"], message["language"], outcome).inc()


class NotificationsService:
    name = "notifications"

    store = Store("notifications", NotificationsStore)
    relay = OutboxRelay("notifications", COLLECTIONS)
    metrics = ServiceMetrics()
    request_id = RequestContext()
    meetings = ServiceRpc("meetings")


    @property
    def dispatcher(self) -> Dispatcher:
        channels, buckets = channel_set()
        return Dispatcher(self.store, channels, buckets, notify_settings().max_attempts, eventlet.sleep, _record)

    @rpc
    def ping(self) -> dict[str, bool]:
        return {"store": self.store.ping()}

    # -- facts ---------------------------------------------------------------------------------------

    @event_handler(ev.EDITION_CREATED, ev.EDITION_UPDATED, dedupe=False)  # version-guarded
    def on_edition(self, event: dict) -> None:
        """Remember the edition; day-before reminders not yet fired follow its (newest) dates."""
        self.store.remember_edition(event["data"])
        edition = self.store.edition(event["data"]["edition_id"])  # the newest version, whatever arrived last
        due, until = edition_reminder_due(edition["starts_on"], edition["timezone"])
        self.store.move_edition_reminders(edition["_id"], due, until,
                                          {"edition_title": edition["title"], "starts_on": edition["starts_on"],
                                           "venue": edition.get("venue") or ""})

    @event_handler(ev.CONTACTS_CHANGED, dedupe=False)  # version-guarded
    def on_contacts(self, event: dict) -> None:
        self.store.remember_contacts(event["data"])
        _CONTACTS.forget(event["data"]["organisation_id"])

    # NotYetKnown: a fact from another event has not arrived yet; retried, logged without a traceback
    @event_handler(*ev.DECIDED, dedupe=False, expected_exceptions=(NotYetKnown,))  # upserts repeat harmlessly
    def on_participation(self, event: dict) -> None:
        """Who holds an approved participation (for agendas and check-ins), and the day-before reminder."""
        data = event["data"]
        if data["status"] == "approved":  # only approved participants get agendas and badges
            self.store.remember_participation(data)
        reminder_id = f"edition_tomorrow:{data['participation_id']}"
        if data["status"] in ("rejected", "cancelled"):
            self.store.cancel_reminder(reminder_id, data["version"])
        if data["status"] != "approved":
            return
        edition = self.store.edition(data["edition_id"])
        if edition is None:
            raise NotYetKnown("edition")  # its event is on the way: retried
        due, until = edition_reminder_due(edition["starts_on"], edition["timezone"])
        self.store.arm_reminder({
            "_id": reminder_id, "template": "reminder.edition_tomorrow", "organisation_id": data["organisation_id"],
            "edition_id": data["edition_id"], "due_at": due, "until": until,
            "context": {"edition_title": edition["title"], "starts_on": edition["starts_on"],
                        "venue": edition.get("venue") or ""}}, data["version"])

    @event_handler(*(t for t in ev.MEETING if t.split(".")[-2] in ("scheduled", "rescheduled", "cancelled")))
    def on_meeting_placed(self, event: dict) -> None:
        """The 30-minute reminder follows its meeting: armed, moved (a new arm) or cancelled."""
        data = event["data"]
        for side, other in (("supplier", "buyer"), ("buyer", "supplier")):
            reminder_id = f"meeting_soon:{data['meeting_id']}:{data[side]['participation_id']}"
            if data["status"] != "accepted" or not data.get("starts_at"):
                self.store.cancel_reminder(reminder_id, data["sequence"])
                continue
            starts = datetime.fromisoformat(data["starts_at"])
            self.store.arm_reminder({
                "_id": reminder_id, "template": "reminder.meeting_soon",
                "organisation_id": data[side]["organisation_id"], "edition_id": data["edition_id"],
                "due_at": to_text(starts - REMINDER_LEAD), "until": to_text(starts),
                "context": {"counterpart_name": data[other].get("name") or {"vi": "đối tác", "en": "your partner"},
                            "starts_at": data["starts_at"], "table": data["table"]}}, data["sequence"])

    # -- telling people ------------------------------------------------------------------------------

    @event_handler(*ev.NOTIFYING, dedupe=False, expected_exceptions=(NotYetKnown,))  # _id: exactly-once key
    def notify(self, event: dict) -> None:
        store = self.store
        notices = notices_for(event, self._edition, store.participation, notify_settings().public_url)
        self._send(notices, event["id"], event["type"])

    def _edition(self, edition_id: str) -> dict[str, Any] | None:
        """Every message needs its edition's title, which rarely changes: read through a short cache."""
        return _EDITIONS.get(edition_id, self.store.edition)

    def _contacts(self, organisation_id: str) -> dict[str, Any] | None:
        """An organisation gets messages in bursts (a decision, a request, its answer): read through a short
        cache; this process forgets an entry when it stores new contacts, other replicas within seconds."""
        return _CONTACTS.get(organisation_id, self.store.contacts)

    def _send(self, notices: list[Notice], event_id: str, event_type: str) -> None:
        """Store one message per delegate and channel (once), then send what is due now."""
        created = []
        for notice in notices:
            contacts = self._contacts(notice.organisation_id)
            if contacts is None:
                raise NotYetKnown(f"contacts of {notice.organisation_id}")  # their event is on the way
            for delegate_id, delegate in sorted(contacts["delegates"].items()):
                if notice.delegate_id and delegate_id != notice.delegate_id:
                    continue
                created += self._messages_for(notice, event_id, event_type, delegate_id, delegate,
                                              contacts.get("preferences") or {})
        dispatcher = self.dispatcher
        for message in created:
            if message["status"] == "sending":  # stored leased to this worker: due now
                dispatcher.send(message)

    def _messages_for(self, notice: Notice, event_id: str, event_type: str, delegate_id: str,
                      delegate: dict[str, Any], preferences: dict[str, Any]) -> list[dict[str, Any]]:
        channels, _ = channel_set()
        available = {c for c, address in (("email", delegate.get("email")), ("sms", delegate.get("phone")),
                                          ("zalo", delegate.get("phone"))) if address and c in channels
                     and c in (notice.channels or channels)}
        prefs = views.preferences_of(preferences.get(delegate_id))
        language = delegate.get("preferred_language") or "vi"
        created = []
        for channel in channels_for(prefs, notice.template, available):
            key = message_key(event_id, delegate_id, channel)
            context = {**localise(notice.context, language), "recipient_name": delegate.get("name")}
            if notice.agenda:
                context["meetings"] = self._agenda(notice.agenda, language)
            if not TEMPLATES[notice.template].essential:
                cfg = notify_settings()
                token = unsubscribe_token(cfg.unsubscribe_secret, delegate_id)
                context["unsubscribe_url"] = f"{cfg.public_url}/v1/notifications/unsubscribe?token={token}"
            rendered = render(notice.template, language, context)
            now = datetime.now(UTC)
            due = quiet_hours_release(now, channel, *notify_settings().quiet_hours)
            message = {
                "_id": key, "event_id": event_id, "event_type": event_type, "template": notice.template,
                "language": rendered.language, "channel": channel, "recipient_id": delegate_id,
                "organisation_id": notice.organisation_id, "edition_id": notice.edition_id,
                "address": delegate["email"] if channel == "email" else delegate["phone"],
                "subject": rendered.subject, "text": rendered.text, "html": rendered.html, "short": rendered.short,
                "attachment": invitation(notice.invitation, context["counterpart_name"], context["session_name"],
                                         rendered.language) if channel == "email" and notice.invitation else None,
                "unsubscribe_url": context.get("unsubscribe_url"), "attempts": 0, "next_at": to_text(due),
                "created_at": to_text(now),
                # due now: stored already leased to this worker, which sends it next (one write fewer)
                **({"status": "sending", "lease_until": to_text(now + LEASE)} if due <= now else
                   {"status": "pending", "lease_until": None})}
            if self.store.add_message(message):
                created.append(message)
            else:  # this event was handled before (redelivered or replayed): nothing is sent twice
                _record({"channel": channel, "template": notice.template, "language": language}, "duplicate")
        return created

    def _agenda(self, agenda: tuple[str, str], language: str) -> list[dict[str, Any]]:
        view = self.meetings.agenda_for(*agenda)
        return [{"starts_at": m["starts_at"], "ends_at": m["ends_at"], "table": m["table"],
                 "counterpart_name": localise(m["counterpart"].get("name") or {"vi": "(hộ kinh doanh)",
                                                                              "en": "(household business)"},
                                              language)} for m in view["meetings"]]

    # -- timers --------------------------------------------------------------------------------------

    @timer(interval=1)
    def dispatch_due(self) -> None:
        """Retries whose time has come, messages held by quiet hours, and any a crashed sender left leased."""
        dispatcher = self.dispatcher
        if dispatcher.record_pending():
            return  # the store is still away
        for message_id in self.store.due(now_text()):
            dispatcher.deliver(message_id)

    @timer(interval=2)
    def fire_reminders(self) -> None:
        """Due reminders fire once; one whose moment has passed (the service was down too long) is skipped."""
        now = now_text()
        for reminder in self.store.due_reminders(now):
            if reminder["until"] <= now:
                self.store.settle_reminder(reminder, "missed")
                continue
            notice = Notice(reminder["template"], reminder["organisation_id"], reminder["edition_id"],
                            reminder["context"])
            try:  # messages first (their keys are per arm: two replicas firing at once send once), then settle
                self._send([notice], f"{reminder['_id']}#{reminder['arm']}", "reminder")
            except NotYetKnown:
                log.warning("reminder %s: no contacts for its organisation yet; tried again", reminder["_id"])
                continue
            self.store.settle_reminder(reminder, "fired")

    @timer(interval=15)
    def refresh_gauges(self) -> None:
        self.store.when_changed(_GAUGES, lambda: refresh_gauges(self.store.delivery_counts()))

    # -- API ------------------------------------------------------------------------------------------

    def _organiser_of(self, actor: dict | None, edition_id: str | None) -> Principal:
        principal = signed_in(actor)
        edition = self.store.edition(edition_id) if edition_id else None
        if principal.role == "ops" or (edition and principal.organises(edition["series_id"])):
            return principal
        if edition is None and principal.role != "ops":
            raise NotFound("No such edition (or not known to the notifications service yet).",
                           code="edition_not_found")
        raise Forbidden("Only the organisers of this series may do this.", code="not_organiser")

    def _member_of(self, actor: dict | None, organisation_id: str) -> Principal:
        principal = signed_in(actor)
        if not (principal.role == "ops" or principal.is_member_of(organisation_id)):
            raise Forbidden("You may see only your own organisation's messages.", code="not_your_organisation")
        return principal

    @rpc
    def delivery_log(self, actor: dict | None, edition_id: str, query: dict) -> dict:
        """Organisers: every message of an edition, filtered by organisation, status, channel, template."""
        self._organiser_of(actor, edition_id)
        filters = load(LogQuery, query)
        limit = filters.pop("limit")
        items = self.store.messages({"edition_id": edition_id, **filters}, limit)
        return {"items": [views.message(m, full_address=True) for m in items]}

    @rpc
    def resend(self, actor: dict | None, message_id: str) -> dict:
        """An organiser sends a dead-lettered message again (same key: still never sent twice by accident)."""
        message = self.store.message(message_id)
        if message is None:
            raise NotFound("No such message.", code="message_not_found")
        self._organiser_of(actor, message.get("edition_id"))
        if self.store.requeue(message_id) is None:
            raise Conflict(f"Only dead-lettered messages are resent; this one is {message['status']}.",
                           code="not_dead")
        self.dispatcher.deliver(message_id)
        return views.message(self.store.message(message_id), full_address=True)

    @rpc
    def organisation_messages(self, actor: dict | None, organisation_id: str, limit: int = 100) -> dict:
        self._member_of(actor, organisation_id)
        items = self.store.messages({"organisation_id": organisation_id}, max(1, min(int(limit), 500)))
        return {"items": [views.message(m) for m in items]}

    def _delegate_preferences(self, organisation_id: str, delegate_id: str) -> dict[str, Any] | None:
        contacts = self.store.contacts(organisation_id) or {"delegates": {}}
        if delegate_id not in contacts["delegates"]:
            raise NotFound("No such delegate in this organisation.", code="delegate_not_found")
        return (contacts.get("preferences") or {}).get(delegate_id)

    @rpc
    def preferences(self, actor: dict | None, organisation_id: str, delegate_id: str) -> dict:
        self._member_of(actor, organisation_id)
        stored = self._delegate_preferences(organisation_id, delegate_id)
        return views.preferences(delegate_id, views.preferences_of(stored))

    @rpc
    def set_preferences(self, actor: dict | None, organisation_id: str, delegate_id: str, payload: dict) -> dict:
        self._member_of(actor, organisation_id)
        stored = self._delegate_preferences(organisation_id, delegate_id)
        chosen = load(PreferencesIn, payload)
        if chosen.get("email") is False and chosen.get("sms") is not True and chosen.get("zalo") is not True:
            current = views.preferences_of(stored)
            if not (current.sms or current.zalo):
                raise InvalidInput("Keep at least one channel: essential messages (approvals, meeting times) "
                                   "must reach you.", code="no_channel_left",
                                   errors=[{"field": "email", "code": "no_channel_left",
                                            "message": "Turn on SMS or Zalo first.", "params": {}}])
        self.store.set_preferences(organisation_id, delegate_id, {k: "yes" if v else "no" for k, v in chosen.items()},
                                   ev.preferences_changed(organisation_id, delegate_id, chosen, "member"))
        _CONTACTS.forget(organisation_id)  # other replicas follow within CACHE_SECONDS
        return self.preferences(actor, organisation_id, delegate_id)

    @rpc
    def unsubscribe(self, token: str) -> dict:
        """The link in non-essential messages: no sign-in, the signed token names the delegate."""
        delegate_id = read_unsubscribe_token(notify_settings().unsubscribe_secret, token or "")
        if delegate_id is None:
            raise InvalidInput("This unsubscribe link is not valid.", code="invalid_token",
                               errors=[{"field": "token", "code": "invalid", "message": "Not a valid link.",
                                        "params": {}}])
        organisation_id = self.store.organisation_of_delegate(delegate_id)
        if organisation_id is None:
            raise NotFound("This delegate is no longer on file.", code="delegate_not_found")
        self.store.set_preferences(organisation_id, delegate_id, {"unsubscribed_non_essential": "yes"},
                                   ev.preferences_changed(organisation_id, delegate_id,
                                                          {"unsubscribed_non_essential": True}, "unsubscribe_link"))
        _CONTACTS.forget(organisation_id)
        return {"delegate_id": delegate_id, "unsubscribed_non_essential": True}
