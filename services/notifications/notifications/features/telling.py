"""Telling people: one message per delegate and channel for every event that concerns them, stored under its
exactly-once key (event, delegate, channel), rendered in the delegate's language, and sent when due."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from notifications import events as ev
from notifications import views
from notifications.audience import Notice, NotYetKnown, localise, notices_for
from notifications.channels import channel_set, record
from notifications.delivery import LEASE, Dispatcher
from notifications.domain.policy import channels_for, message_key, quiet_hours_release, unsubscribe_token
from notifications.domain.rendering import TEMPLATES, render
from notifications.invitations import invitation
from notifications.settings import notify_settings
from notifications.store import NotificationsStore
from shared.context import current_request_id
from shared.events.consumer import event_handler
from shared.recent import Recent
from shared.rpc import ServiceRpc
from shared.timestamps import to_text

CACHE_SECONDS = 5.0
# per process (see shared.recent): what every notification reads
EDITIONS = Recent(CACHE_SECONDS)
CONTACTS = Recent(CACHE_SECONDS)


class Telling:
    store: NotificationsStore
    meetings: ServiceRpc
    dispatcher: Dispatcher

    @event_handler(*ev.NOTIFYING, dedupe=False, expected_exceptions=(NotYetKnown,))  # _id: exactly-once key
    def notify(self, event: dict) -> None:
        store = self.store
        notices = notices_for(event, self._edition, store.participation, notify_settings().public_url)
        self._send(notices, event["id"], event["type"])

    def _edition(self, edition_id: str) -> dict[str, Any] | None:
        """Every message needs its edition's title, which rarely changes: read through a short cache."""
        return EDITIONS.get(edition_id, self.store.edition)

    def _contacts(self, organisation_id: str) -> dict[str, Any] | None:
        """An organisation gets messages in bursts (a decision, a request, its answer): read through a short
        cache; this process forgets an entry when it stores new contacts, other replicas within seconds."""
        return CONTACTS.get(organisation_id, self.store.contacts)

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
                created += self._messages_for(
                    notice, event_id, event_type, delegate_id, delegate, contacts.get("preferences") or {}
                )
        dispatcher = self.dispatcher
        for message in created:
            if message["status"] == "sending":  # stored leased to this worker: due now
                dispatcher.send(message)

    def _messages_for(
        self,
        notice: Notice,
        event_id: str,
        event_type: str,
        delegate_id: str,
        delegate: dict[str, Any],
        preferences: dict[str, Any],
    ) -> list[dict[str, Any]]:
        channels, _ = channel_set()
        available = {
            c
            for c, address in (
                ("email", delegate.get("email")),
                ("sms", delegate.get("phone")),
                ("zalo", delegate.get("phone")),
            )
            if address and c in channels and c in (notice.channels or channels)
        }
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
                "_id": key,
                "event_id": event_id,
                "event_type": event_type,
                "template": notice.template,
                "language": rendered.language,
                "channel": channel,
                "recipient_id": delegate_id,
                "organisation_id": notice.organisation_id,
                "edition_id": notice.edition_id,
                "address": delegate["email"] if channel == "email" else delegate["phone"],
                "subject": rendered.subject,
                "text": rendered.text,
                "html": rendered.html,
                "short": rendered.short,
                "attachment": invitation(
                    notice.invitation, context["counterpart_name"], context["session_name"], rendered.language
                )
                if channel == "email" and notice.invitation
                else None,
                "unsubscribe_url": context.get("unsubscribe_url"),
                "attempts": 0,
                "next_at": to_text(due),
                "created_at": to_text(now),
                "request_id": current_request_id(),  # for its log line if sent later
                # due now: stored already leased to this worker, which sends it next (one write fewer)
                **(
                    {"status": "sending", "lease_until": to_text(now + LEASE)}
                    if due <= now
                    else {"status": "pending", "lease_until": None}
                ),
            }
            if self.store.add_message(message):
                created.append(message)
            else:  # this event was handled before (redelivered or replayed): nothing is sent twice
                record({"channel": channel, "template": notice.template, "language": language}, "duplicate")
        return created

    def _agenda(self, agenda: tuple[str, str], language: str) -> list[dict[str, Any]]:
        view = self.meetings.agenda_for(*agenda)
        return [
            {
                "starts_at": m["starts_at"],
                "ends_at": m["ends_at"],
                "table": m["table"],
                "counterpart_name": localise(
                    m["counterpart"].get("name") or {"vi": "(hộ kinh doanh)", "en": "(household business)"}, language
                ),
            }
            for m in view["meetings"]
        ]
