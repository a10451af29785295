"""The only module that talks to the gateway's own database (``ketnoi_gateway``): idempotency records, and
the gateway processes that hold their claims."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from shared.ids import new_id
from shared.store import ServiceStore, door_for
from shared.timestamps import to_text

# a process's record outlives it this long (then the TTL index removes it; a process still running writes it
# again at its next beat)
INSTANCE_TTL = timedelta(days=7)


class GatewayStore(ServiceStore):
    """One record per (caller, method, path, Idempotency-Key), kept until ``expires_at``; one per gateway
    process, with when it last said it was alive."""

    def ensure_indexes(self) -> None:
        self.db.idempotency.create_index("expires_at", expireAfterSeconds=0)
        self.db.instances.create_index("expires_at", expireAfterSeconds=0)

    def claim_key(self, record_id: str, fingerprint: str, now: datetime, expires_at: datetime, owner: str) -> bool:
        """False when the key was claimed before (by this request's earlier attempt, or a concurrent one)."""
        try:
            self.db.idempotency.insert_one(
                {
                    "_id": record_id,
                    "state": "pending",
                    "fingerprint": fingerprint,
                    "claimed_at": to_text(now),
                    "claim": new_id("claim"),
                    "owner": owner,
                    "expires_at": expires_at,
                }
            )
        except DuplicateKeyError:
            return False
        return True

    def beat(self, instance: str, now: datetime) -> None:
        """``instance`` (a gateway process) is alive at ``now``."""
        seen = to_text(now)
        if not self.db.instances.update_one({"_id": instance}, {"$set": {"seen_at": seen}}).matched_count:
            with suppress(DuplicateKeyError):  # a beat that raced this one wrote it
                self.db.instances.insert_one({"_id": instance, "seen_at": seen, "expires_at": now + INSTANCE_TTL})

    def seen_at(self, instance: str) -> str | None:
        """When ``instance`` last said it was alive (None: never, or a week ago)."""
        doc = self.db.instances.find_one({"_id": instance})
        return None if doc is None else doc["seen_at"]

    def key_record(self, record_id: str) -> dict[str, Any] | None:
        return self.db.idempotency.find_one({"_id": record_id})

    def take_over_key(self, record_id: str, claim: str | None, now: datetime, owner: str) -> bool:
        """Take the pending claim ``claim`` (its gateway died; the caller compared its age or its owner's
        silence), once: a compare-and-set on the claim's token, as nx-27017 reads date-like text in a write
        filter coarsely."""
        return bool(
            self.db.idempotency.update_one(
                {"_id": record_id, "state": "pending", "claim": claim},
                {"$set": {"claimed_at": to_text(now), "claim": new_id("claim"), "owner": owner}},
            ).modified_count
        )

    def backdate_claim(self, record_id: str, claimed_at: datetime) -> None:
        """Make a pending claim look older, so that it can be taken over sooner (after a 503's Retry-After)."""
        self.db.idempotency.update_one(
            {"_id": record_id, "state": "pending"}, {"$set": {"claimed_at": to_text(claimed_at)}}
        )

    def release_key(self, record_id: str) -> None:
        self.db.idempotency.delete_one({"_id": record_id, "state": "pending"})

    def finish_key(self, record_id: str, status: int, body: str, headers: dict[str, str]) -> None:
        self.db.idempotency.update_one(
            {"_id": record_id}, {"$set": {"state": "done", "status": status, "body": body, "headers": headers}}
        )


def gateway_store() -> GatewayStore:
    store = GatewayStore(door_for("gateway"))
    store.ensure_indexes()
    return store
