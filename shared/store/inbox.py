"""The consumer's inbox: which events a handler has run, so a redelivered one runs no second time.

A claim is a document inserted before the handler runs (``_id`` =
``<handler>:<event id>``), so two workers given one event at once run it
once; it becomes ``done`` after the handler succeeded, is deleted when the
handler failed (the retry runs it again), and is taken over when the worker
that holds it died (its lease ran out).  Records expire after 30 days:
redeliveries come within minutes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pymongo.errors import DuplicateKeyError

from shared.store.door import Door
from shared.store.provider import door_for
from shared.timestamps import to_text

INBOX = "inbox"
KEEP = timedelta(days=30)


class Inbox:
    def __init__(self, door: Door, lease: timedelta) -> None:
        self.records = door[INBOX]
        self.lease = lease

    @classmethod
    def of(cls, service: str, lease: timedelta) -> Inbox:
        """The inbox in ``service``'s own database."""
        return cls(door_for(service), lease)

    def ensure_indexes(self) -> None:
        self.records.create_index("expires_at", expireAfterSeconds=0)

    def claim(self, key: str, event_type: str) -> str:
        """``run`` when this worker may handle the event, else ``done`` or ``busy``."""
        now = datetime.now(UTC)
        try:
            self.records.insert_one({"_id": key, "state": "processing", "claimed_at": to_text(now),
                                     "expires_at": now + KEEP, "type": event_type})
            return "run"
        except DuplicateKeyError:
            pass
        taken = self.records.update_one(
            {"_id": key, "state": "processing", "claimed_at": {"$lt": to_text(now - self.lease)}},
            {"$set": {"claimed_at": to_text(now)}},
        )
        if taken.modified_count:
            return "run"  # the previous claimant died mid-way
        record = self.records.find_one({"_id": key}, {"state": 1})
        return "done" if record and record["state"] == "done" else "busy"

    def done(self, key: str) -> None:
        self.records.update_one({"_id": key}, {"$set": {"state": "done"}})

    def release(self, key: str) -> None:
        self.records.delete_one({"_id": key, "state": "processing"})
