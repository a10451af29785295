"""The only module that talks to the notifications database (``ketnoi_notifications``).

A message's ``_id`` is its exactly-once key (event, recipient, channel), so a
redelivered or replayed event inserts nothing new.  Sending takes a lease
(a conditional update), so two workers never send one message; the outcome
and its event are one write (the outbox in the message document).
Reminders fire by a conditional update from ``scheduled`` to ``fired``, once,
whichever replica or restart gets there first.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from shared import pages
from shared.events.outbox import stage
from shared.store import ServiceStore, keep_newest
from shared.timestamps import now_text

COLLECTIONS = ("messages", "contacts")


class NotificationsStore(ServiceStore):
    """Facts from other services' events, contacts and preferences, messages and reminders."""

    MAPS = ("preferences", "delegates")

    def ensure_indexes(self) -> None:
        # nx-27017 writes ``status = v`` as an indexable expression only when an index on ``status`` alone
        # exists; SQLite then uses the compound ones (MongoDB uses them directly; the single ones are small)
        self.db.messages.create_index("status")
        self.db.reminders.create_index("status")
        self.db.messages.create_index([("status", ASCENDING), ("next_at", ASCENDING)])
        self.db.messages.create_index([("status", ASCENDING), ("lease_until", ASCENDING)])
        self.db.messages.create_index([("edition_id", ASCENDING), ("created_at", ASCENDING)])
        self.db.messages.create_index("organisation_id")
        self.db.reminders.create_index([("status", ASCENDING), ("due_at", ASCENDING)])

    # -- facts from other services' events --------------------------------------------------------

    def remember_edition(self, data: dict[str, Any]) -> None:
        fields = {
            "series_id": data["series_id"],
            "title": data.get("title"),
            "venue": data.get("venue"),
            "starts_on": data["starts_on"],
            "timezone": data["timezone"],
            "version": data["version"],
        }
        keep_newest(self.db.editions, data["edition_id"], fields)

    def edition(self, edition_id: str) -> dict[str, Any] | None:
        return self.db.editions.find_one({"_id": edition_id})

    def remember_contacts(self, data: dict[str, Any]) -> None:
        """The newest list of an organisation's delegates (internal event; personal data stays here)."""
        delegates = {
            d["delegate_id"]: {k: d.get(k) for k in ("name", "email", "phone", "preferred_language")}
            for d in data["delegates"]
        }
        # preferences may have created the document first, without a version: that counts as older
        keep_newest(
            self.db.contacts,
            data["organisation_id"],
            {"delegates": delegates, "version": data["version"]},
            on_insert={"preferences": {}},
        )

    def contacts(self, organisation_id: str) -> dict[str, Any] | None:
        return self.db.contacts.find_one({"_id": organisation_id})

    def remember_participation(self, data: dict[str, Any]) -> None:
        self.db.participations.update_one(
            {"_id": data["participation_id"]},
            {
                "$set": {
                    "organisation_id": data["organisation_id"],
                    "edition_id": data["edition_id"],
                    "role": data["role"],
                }
            },
            upsert=True,
        )

    def participation(self, participation_id: str) -> dict[str, Any] | None:
        return self.db.participations.find_one({"_id": participation_id})

    # -- preferences (kept with the contacts: one read finds whom to tell and how) -------------------

    def set_preferences(
        self, organisation_id: str, delegate_id: str, channels: dict[str, str], event: dict[str, Any]
    ) -> None:
        """Channels as "yes"/"no" text (the embedded store turns a ``$set`` bool into an integer)."""
        self.db.contacts.update_one(
            {"_id": organisation_id},
            stage({"$set": {f"preferences.{delegate_id}.{k}": v for k, v in channels.items()}}, event),
            upsert=True,
        )
        self.staged("contacts", organisation_id, [event])

    def organisation_of_delegate(self, delegate_id: str) -> str | None:
        found = self.db.contacts.find_one({f"delegates.{delegate_id}": {"$exists": True}}, {"_id": 1})
        return found["_id"] if found else None

    # -- messages ---------------------------------------------------------------------------------

    def add_message(self, message: dict[str, Any]) -> bool:
        """False when this (event, recipient, channel) has a message already: nothing is sent twice."""
        try:
            self.db.messages.insert_one({**message, "outbox": {}, "outbox_n": 0})
        except DuplicateKeyError:
            return False
        return True

    def message(self, message_id: str) -> dict[str, Any] | None:
        return self.db.messages.find_one({"_id": message_id}, {"outbox": 0})

    def lease(self, message_id: str, now: str, until: str) -> dict[str, Any] | None:
        """Take a due message for sending: pending and due, or sending with an expired lease (a crashed sender)."""
        return self.db.messages.find_one_and_update(
            {
                "_id": message_id,
                "$or": [
                    {"status": "pending", "next_at": {"$lte": now}},
                    {"status": "sending", "lease_until": {"$lt": now}},
                ],
            },
            {"$set": {"status": "sending", "lease_until": until}},
            projection={"outbox": 0},
        )

    def renew(self, message: dict[str, Any], until: str) -> dict[str, Any] | None:
        """Extend a lease we still hold (None: it ran out and another sender took the message)."""
        return self.db.messages.find_one_and_update(
            {"_id": message["_id"], "status": "sending", "lease_until": message["lease_until"]},
            {"$set": {"lease_until": until}},
            projection={"outbox": 0},
        )

    def finish(self, message: dict[str, Any], changes: dict[str, Any], event: dict[str, Any] | None) -> bool:
        """Record an attempt's outcome (and its event) if we still hold the lease."""
        update = {"$set": {**changes, "lease_until": None}}
        update = stage(update, event) if event else update
        result = self.db.messages.update_one(
            {"_id": message["_id"], "status": "sending", "lease_until": message["lease_until"]}, update
        )
        if result.modified_count and event:
            self.staged("messages", message["_id"], [event])
        return bool(result.modified_count)

    def due(self, now: str, limit: int = 200) -> list[str]:
        """Messages to send now: pending and due, or leased by a sender whose lease ran out.

        Two indexed queries rather than one ``$or``: nx-27017 answers a read
        with ``$or`` by scanning the whole collection in Python, and this runs
        every second.
        """
        due = self.db.messages.find(
            {"status": "pending", "next_at": {"$lte": now}},
            {"_id": 1, "next_at": 1},
            sort=[("next_at", ASCENDING)],
            limit=limit,
            polling=True,
        )
        lost = self.db.messages.find(
            {"status": "sending", "lease_until": {"$lt": now}},
            {"_id": 1, "next_at": 1},
            sort=[("lease_until", ASCENDING)],
            limit=limit,
            polling=True,
        )
        found = sorted([*due, *lost], key=lambda m: m.get("next_at") or "")
        return [m["_id"] for m in found[:limit]]

    def requeue(self, message_id: str) -> dict[str, Any] | None:
        """An organiser's resend of a dead-lettered message: due now, attempts from zero."""
        return self.db.messages.find_one_and_update(
            {"_id": message_id, "status": "dead"},
            {"$set": {"status": "pending", "next_at": now_text(), "attempts": 0, "resent_at": now_text()}},
            projection={"outbox": 0},
        )

    def messages(self, query: dict[str, Any], wanted: pages.Wanted, counted: bool) -> pages.Fetched:
        """A page of messages without their bodies."""
        return self.page("messages", query, wanted, {"outbox": 0, "html": 0, "text": 0, "attachment": 0}, counted)

    def delivery_counts(self) -> dict[str, Any]:
        """What the gauges show: the oldest due message's time, waiting and dead messages by channel, reminders."""
        oldest = self.db.messages.find_one(
            {"status": {"$in": ["pending", "sending"]}, "next_at": {"$lte": now_text()}},
            {"next_at": 1},
            sort=[("next_at", 1)],
        )
        counts: dict[str, dict[str, int]] = {"pending": {}, "dead": {}}
        for kind, statuses in (("pending", ["pending", "sending"]), ("dead", ["dead"])):
            for m in self.db.messages.find({"status": {"$in": statuses}}, {"channel": 1}):
                counts[kind][m["channel"]] = counts[kind].get(m["channel"], 0) + 1
        return {
            "oldest_due": oldest["next_at"] if oldest else None,
            **counts,
            "reminders": self.db.reminders.count_documents({"status": "scheduled"}),
        }

    # -- reminders --------------------------------------------------------------------------------

    def arm_reminder(self, reminder: dict[str, Any], version: int) -> None:
        """Schedule a reminder, or re-arm it for a newer state of what it reminds of (a new arm: a new message).

        ``version`` orders the states (a meeting's sequence, a participation's
        version): a redelivered or late event of an older state changes nothing.
        """
        try:
            self.db.reminders.insert_one({**reminder, "status": "scheduled", "arm": 1, "version": version})
        except DuplicateKeyError:
            self.db.reminders.update_one(
                {"_id": reminder["_id"], "version": {"$lt": version}},
                {
                    "$set": {
                        **{k: v for k, v in reminder.items() if k != "_id"},
                        "status": "scheduled",
                        "version": version,
                    },
                    "$inc": {"arm": 1},
                },
            )

    def cancel_reminder(self, reminder_id: str, version: int) -> None:
        """Cancelled as of ``version``, also before it was armed (a tombstone an older arm cannot undo)."""
        try:
            self.db.reminders.insert_one(
                {"_id": reminder_id, "status": "cancelled", "arm": 0, "version": version, "due_at": None}
            )
        except DuplicateKeyError:
            self.db.reminders.update_one(
                {"_id": reminder_id, "version": {"$lt": version}}, {"$set": {"status": "cancelled", "version": version}}
            )

    def move_edition_reminders(self, edition_id: str, due: str, until: str, context: dict[str, Any]) -> int:
        """Day-before reminders still to fire follow the edition's dates (a new arm where they changed)."""
        return self.db.reminders.update_many(
            {
                "edition_id": edition_id,
                "template": "reminder.edition_tomorrow",
                "status": "scheduled",
                "until": {"$ne": until},
            },
            {"$set": {"due_at": due, "until": until, "context": context}, "$inc": {"arm": 1}},
        ).modified_count

    def due_reminders(self, now: str) -> list[dict[str, Any]]:
        return list(self.db.reminders.find({"status": "scheduled", "due_at": {"$lte": now}}, polling=True))

    def settle_reminder(self, reminder: dict[str, Any], status: str) -> bool:
        """scheduled → fired | missed, once (the arm we read must still be the current one)."""
        result = self.db.reminders.update_one(
            {"_id": reminder["_id"], "status": "scheduled", "arm": reminder["arm"]},
            {"$set": {"status": status, "settled_at": now_text()}},
        )
        return bool(result.modified_count)
