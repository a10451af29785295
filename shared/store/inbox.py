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

from shared.ids import new_id
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
        """``run`` when this worker may handle the event, else ``done`` or ``busy``.

        A claim whose lease ran out (its worker died mid-way) is taken over by
        compare-and-set on the claim's own token, read first, so the age is
        compared here and not in a write filter: nx-27017 reads date-like text
        in a write filter coarsely (a claim 80 ms old did not match an
        expiry of "now"), and two takers must not both win.
        """
        now = datetime.now(UTC)
        token = new_id("claim")
        try:
            self.records.insert_one(
                {
                    "_id": key,
                    "state": "processing",
                    "claimed_at": to_text(now),
                    "claim": token,
                    "expires_at": now + KEEP,
                    "type": event_type,
                }
            )
            return "run"
        except DuplicateKeyError:
            pass
        record = self.records.find_one({"_id": key}, {"state": 1, "claimed_at": 1, "claim": 1})
        if record is None:  # released meanwhile: the next delivery claims it afresh
            return "busy"
        if record["state"] == "done":
            return "done"
        if record["claimed_at"] >= to_text(now - self.lease):
            return "busy"
        taken = self.records.update_one(
            {"_id": key, "state": "processing", "claim": record.get("claim")},
            {"$set": {"claimed_at": to_text(now), "claim": token}},
        )
        return "run" if taken.modified_count else "busy"  # the previous claimant died; one taker wins

    def done(self, key: str) -> None:
        self.records.update_one({"_id": key}, {"$set": {"state": "done"}})

    def release(self, key: str) -> None:
        self.records.delete_one({"_id": key, "state": "processing"})
