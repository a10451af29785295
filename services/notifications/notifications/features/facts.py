"""What the other services' events tell the notifications service, and the reminders they arm.

Contacts come only from registration's internal ``organisation.contacts_changed``; the day-before
reminder follows its edition's newest dates; the 30-minute reminder follows its meeting.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from notifications import events as ev
from notifications.audience import NotYetKnown
from notifications.features.telling import CONTACTS
from notifications.store import NotificationsStore
from shared.events.consumer import event_handler
from shared.timestamps import to_text

REMINDER_LEAD = timedelta(minutes=30)
EDITION_REMINDER_AT = time(8, 0)  # local time, the day before the edition opens


def edition_reminder_due(starts_on: str, zone: str) -> tuple[str, str]:
    """(due, until): 08:00 local the day before the edition opens; pointless once it has opened."""
    tz = ZoneInfo(zone)
    opens = datetime.combine(date.fromisoformat(starts_on), time(0, 0), tzinfo=tz)
    due = datetime.combine(opens.date() - timedelta(days=1), EDITION_REMINDER_AT, tzinfo=tz)
    return to_text(due), to_text(opens)


class Facts:
    store: NotificationsStore

    @event_handler(ev.EDITION_CREATED, ev.EDITION_UPDATED, dedupe=False)  # version-guarded
    def on_edition(self, event: dict) -> None:
        """Remember the edition; day-before reminders not yet fired follow its (newest) dates."""
        self.store.remember_edition(event["data"])
        edition = self.store.edition(event["data"]["edition_id"])  # the newest version, whatever arrived last
        due, until = edition_reminder_due(edition["starts_on"], edition["timezone"])
        self.store.move_edition_reminders(
            edition["_id"],
            due,
            until,
            {"edition_title": edition["title"], "starts_on": edition["starts_on"], "venue": edition.get("venue") or ""},
        )

    @event_handler(ev.CONTACTS_CHANGED, dedupe=False)  # version-guarded
    def on_contacts(self, event: dict) -> None:
        self.store.remember_contacts(event["data"])
        CONTACTS.forget(event["data"]["organisation_id"])

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
        self.store.arm_reminder(
            {
                "_id": reminder_id,
                "template": "reminder.edition_tomorrow",
                "organisation_id": data["organisation_id"],
                "edition_id": data["edition_id"],
                "due_at": due,
                "until": until,
                "context": {
                    "edition_title": edition["title"],
                    "starts_on": edition["starts_on"],
                    "venue": edition.get("venue") or "",
                },
            },
            data["version"],
        )

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
            self.store.arm_reminder(
                {
                    "_id": reminder_id,
                    "template": "reminder.meeting_soon",
                    "organisation_id": data[side]["organisation_id"],
                    "edition_id": data["edition_id"],
                    "due_at": to_text(starts - REMINDER_LEAD),
                    "until": to_text(starts),
                    "context": {
                        "counterpart_name": data[other].get("name") or {"vi": "đối tác", "en": "your partner"},
                        "starts_at": data["starts_at"],
                        "table": data["table"],
                    },
                },
                data["sequence"],
            )
