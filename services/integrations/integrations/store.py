"""The only module that talks to the integrations database (``ketnoi_integrations``).

- ``feed``: one entry per (province, event), ``_id`` ``<province>:<event id>``,
  with the province's next ``seq`` from a counter document (a conditional
  ``$inc``); the event is kept as the JSON text it is sent as, so the feed and
  the webhooks hand out the same bytes.
- ``webhooks``: endpoints, the event types they want, their province scope and
  secrets (the previous one stays valid until ``previous_until``).
- ``deliveries``: one per (webhook, event), ``_id`` ``<webhook>:<event id>``, so
  a redelivered event is sent once; taken for sending with a lease.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.errors import DuplicateKeyError

from shared import pages
from shared.store import ServiceStore
from shared.timestamps import now_text

ACTIVE = "active"


class IntegrationsStore(ServiceStore):
    """Each province's event history, the webhooks and their deliveries."""

    def ensure_indexes(self) -> None:
        self.db.feed.create_index([("province", ASCENDING), ("seq", ASCENDING)], unique=True)
        # nx-27017 writes ``status = v`` as an indexable expression only with an index on ``status`` alone
        self.db.deliveries.create_index("status")
        self.db.deliveries.create_index([("status", ASCENDING), ("next_at", ASCENDING)])
        self.db.deliveries.create_index([("webhook_id", ASCENDING), ("created_at", DESCENDING)])
        self.db.webhooks.create_index("status")

    # -- the feed -------------------------------------------------------------------------------------

    def logged(self, province: str, event_id: str) -> bool:
        return self.db.feed.find_one({"_id": f"{province}:{event_id}"}, {"_id": 1}) is not None

    def log(self, province: str, event: dict[str, Any], body: str) -> bool:
        """Append ``event`` to ``province``'s feed once; False when it is there already."""
        if self.logged(province, event["id"]):
            return False
        counter = self.db.counters.find_one_and_update(
            {"_id": province}, {"$inc": {"seq": 1}, "$set": {"reserved_at": now_text()}}, upsert=True
        )
        if counter is None:  # an upsert answering the document after it never gives none
            raise RuntimeError(f"no feed counter for {province}")
        try:
            self.db.feed.insert_one(
                {
                    "_id": f"{province}:{event['id']}",
                    "province": province,
                    "seq": counter["seq"],
                    "event_id": event["id"],
                    "type": event["type"],
                    "body": body,
                    "logged_at": now_text(),
                }
            )
        except DuplicateKeyError:  # another worker logged it between our look and our insert: a gap, skipped
            return False
        return True

    def entries(self, province: str, after: int, limit: int) -> list[dict[str, Any]]:
        return list(
            self.db.feed.find({"province": province, "seq": {"$gt": after}}, {"seq": 1, "body": 1})
            .sort("seq")
            .limit(limit)
        )

    def counter(self, province: str) -> dict[str, Any] | None:
        return self.db.counters.find_one({"_id": province})

    # -- webhooks -------------------------------------------------------------------------------------

    def add_webhook(self, webhook: dict[str, Any]) -> None:
        self.db.webhooks.insert_one({**webhook, "status": ACTIVE})

    def webhook(self, webhook_id: str) -> dict[str, Any] | None:
        return self.db.webhooks.find_one({"_id": webhook_id})

    def active_webhooks(self) -> list[dict[str, Any]]:
        return list(self.db.webhooks.find({"status": ACTIVE}))

    def rotate(self, webhook: dict[str, Any], secret: str, previous_until: str) -> bool:
        """The new secret signs from now on; the one it replaces stays valid until ``previous_until``."""
        result = self.db.webhooks.update_one(
            {"_id": webhook["_id"], "secret": webhook["secret"]},
            {"$set": {"secret": secret, "previous_secret": webhook["secret"], "previous_until": previous_until}},
        )
        return bool(result.modified_count)

    # -- deliveries -----------------------------------------------------------------------------------

    def add_delivery(self, webhook_id: str, event: dict[str, Any], body: str) -> bool:
        """False when this webhook has this event already (a redelivered event is sent once)."""
        now = now_text()
        try:
            self.db.deliveries.insert_one(
                {
                    "_id": f"{webhook_id}:{event['id']}",
                    "webhook_id": webhook_id,
                    "event_id": event["id"],
                    "event_type": event["type"],
                    "body": body,
                    "status": "pending",
                    "attempts": 0,
                    "next_at": now,
                    "lease_until": None,
                    "created_at": now,
                    "redeliveries": 0,
                }
            )
        except DuplicateKeyError:
            return False
        return True

    def delivery(self, delivery_id: str) -> dict[str, Any] | None:
        return self.db.deliveries.find_one({"_id": delivery_id})

    def due(self, now: str, limit: int = 200) -> list[dict[str, Any]]:
        """Pending and due, or leased by a sender whose lease ran out; oldest first."""
        return list(
            self.db.deliveries.find(
                {
                    "$or": [
                        {"status": "pending", "next_at": {"$lte": now}},
                        {"status": "sending", "lease_until": {"$lt": now}},
                    ]
                },
                {"webhook_id": 1},
            )
            .sort("next_at")
            .limit(limit)
        )

    def lease(self, delivery_id: str, now: str, until: str) -> dict[str, Any] | None:
        return self.db.deliveries.find_one_and_update(
            {
                "_id": delivery_id,
                "$or": [
                    {"status": "pending", "next_at": {"$lte": now}},
                    {"status": "sending", "lease_until": {"$lt": now}},
                ],
            },
            {"$set": {"status": "sending", "lease_until": until}},
        )

    def finish(self, delivery: dict[str, Any], changes: dict[str, Any]) -> bool:
        """Record an attempt's outcome if we still hold the lease."""
        result = self.db.deliveries.update_one(
            {"_id": delivery["_id"], "status": "sending", "lease_until": delivery["lease_until"]},
            {"$set": {**changes, "lease_until": None}},
        )
        return bool(result.modified_count)

    def delivery_page(self, webhook_id: str, wanted: pages.Wanted) -> pages.Fetched:
        """A page of a webhook's deliveries (without their bodies), not counted: a webhook gets a delivery per
        event of its province, and a count would read them all on every page."""
        return self.page("deliveries", {"webhook_id": webhook_id}, wanted, projection={"body": 0}, counted=False)

    def deliveries(self, webhook_id: str, limit: int) -> list[dict[str, Any]]:
        return list(
            self.db.deliveries.find({"webhook_id": webhook_id}, {"body": 0}).sort("created_at", DESCENDING).limit(limit)
        )

    def redeliver(self, delivery_id: str) -> dict[str, Any] | None:
        """A finished delivery (sent or dead) goes out again now, with a fresh set of retries."""
        return self.db.deliveries.find_one_and_update(
            {"_id": delivery_id, "status": {"$in": ["delivered", "dead"]}},
            {"$set": {"status": "pending", "next_at": now_text(), "attempts": 0}, "$inc": {"redeliveries": 1}},
            projection={"body": 0},
        )

    def backlog(self) -> dict[str, int]:
        return {
            status: self.db.deliveries.count_documents({"status": status}) for status in ("pending", "sending", "dead")
        }
