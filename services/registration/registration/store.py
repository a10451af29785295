"""The only module that talks to registration's database (``ketnoi_registration``).

Every write that changes state stages its events in the same document
(:mod:`shared.events.outbox`), and every state change is a conditional update
on the current status and ``version``: two organisers acting at once cannot
both succeed, and nothing is read and then blindly written back.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import eventlet
from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from shared.events.outbox import new_document, stage
from shared.store import ServiceStore
from shared.timestamps import now_text, to_text

COLLECTIONS = ("series", "editions", "organisations", "products", "participations", "capacity", "checkins", "claims")
# A capacity holder older than this whose participation is not approved was left by a crash.
STALE_HOLD = timedelta(minutes=1)
BATCH = 500


def now() -> str:
    """Timestamps are stored as UTC text (see :mod:`shared.timestamps`)."""
    return now_text()


def version_guard(expected_version: int | None) -> dict[str, Any]:
    """The filter an update with ``If-Match`` adds; none for ``*`` (the version read is still the one written)."""
    return {} if expected_version is None else {"version": expected_version}


class Duplicate(Exception):
    """A unique key is taken; ``existing_id`` is the document holding it."""

    def __init__(self, existing_id: str | None) -> None:
        super().__init__(existing_id)
        self.existing_id = existing_id


class RegistrationStore(ServiceStore):
    """Series, editions, organisations, products, participations, capacity, check-ins and the claims of
    registrations made in an organisation's name that wait for its confirmation."""

    MAPS = ("holders", "pending", "delegates")

    def ensure_indexes(self) -> None:
        """Unique keys enforce the rules that must hold under races."""
        self.db.organisations.create_index("org_key", unique=True)
        self.db.organisations.create_index("search")
        self.db.organisations.create_index("state")
        self.db.products.create_index("organisation_id")
        self.db.participations.create_index([("edition_id", ASCENDING), ("organisation_id", ASCENDING)], unique=True)
        self.db.participations.create_index(
            [("edition_id", ASCENDING), ("status", ASCENDING), ("waitlisted_at", ASCENDING)]
        )
        self.db.participations.create_index("organisation_id")
        self.db.editions.create_index("series_id")
        self.db.capacity.create_index("taken")
        self.db.capacity.create_index("promotion_due")  # the recovery passes find owed work on an index
        self.db.organisations.create_index("snapshot_due")
        self.db.editions.create_index("capacity_due")
        self.db.claims.create_index("key", unique=True)  # one claim per (edition, organisation, form)
        self.db.claims.create_index("status")  # the recovery pass finds confirmations cut off half-way

    # -- series and editions ---------------------------------------------------

    def insert(self, collection: str, document: dict[str, Any], *events: dict[str, Any]) -> dict[str, Any]:
        """Insert with its events; :class:`Duplicate` when a unique key is taken."""
        try:
            self.db[collection].insert_one(new_document(document, *events))
        except DuplicateKeyError:
            raise Duplicate(self._holder_of(collection, document)) from None
        self.staged(collection, document["_id"], list(events))
        return document

    def _holder_of(self, collection: str, document: dict[str, Any]) -> str | None:
        keys = {
            "organisations": ("org_key",),
            "participations": ("edition_id", "organisation_id"),
            "claims": ("key",),
        }.get(collection, ("_id",))
        found = self.db[collection].find_one({k: document[k] for k in keys}, {"_id": 1})
        return found["_id"] if found else None

    def get(self, collection: str, doc_id: str) -> dict[str, Any] | None:
        return self.db[collection].find_one({"_id": doc_id}, {"outbox": 0})

    def update_versioned(
        self,
        collection: str,
        doc_id: str,
        expected: dict[str, Any],
        changes: dict[str, Any],
        events_for: Any,
    ) -> dict[str, Any] | None:
        """Apply ``changes`` if the document still matches ``expected``.

        ``events_for(after)`` builds the events from the document as it will
        be, so the write and its announcement are one atomic update.
        Returns the new document, or None when ``expected`` no longer holds.
        """
        current = self.db[collection].find_one({"_id": doc_id, **expected}, {"outbox": 0})
        if current is None:
            return None
        after = {**current, **changes, "version": current["version"] + 1, "updated_at": now()}
        events = events_for(after)
        update = stage({"$set": {**changes, "version": after["version"], "updated_at": after["updated_at"]}}, *events)
        result = self.db[collection].find_one_and_update(
            {"_id": doc_id, "version": current["version"], **expected}, update, projection={"outbox": 0}
        )
        if result is not None:
            self.staged(collection, doc_id, events)
        return result

    def find(
        self,
        collection: str,
        query: dict[str, Any],
        sort: list | None = None,
        limit: int = 0,
        projection: dict | None = None,
    ) -> list[dict[str, Any]]:
        cursor = self.db[collection].find(query, projection or {"outbox": 0})
        if sort:
            cursor = cursor.sort(sort)
        if limit:
            cursor = cursor.limit(limit)
        return list(cursor)

    def iterate(
        self, collection: str, query: dict[str, Any], projection: dict | None = None, pause: float = 0.0
    ) -> Iterator[dict]:
        """Stream one query in ``_id`` order, in batches of :data:`BATCH`.

        One cursor rather than ``_id > last`` pages: nx-27017 answers a range
        on ``_id`` by reading the whole collection, so paging made a full scan
        quadratic (measured: a tenth of the store's time during a registration
        rush went to the gauge refresh).  ``pause`` seconds between batches let
        background scans (metrics) leave the store to requests.
        """
        cursor = self.db[collection].find(query, projection or {"outbox": 0}, batch_size=BATCH).sort("_id", ASCENDING)
        for n, doc in enumerate(cursor, 1):
            yield doc
            if pause and n % BATCH == 0:
                eventlet.sleep(pause)

    def update_many(self, collection: str, query: dict[str, Any], update: dict[str, Any]) -> int:
        return self.db[collection].update_many(query, update).modified_count

    # -- registrations in progress ------------------------------------------------------

    def complete_pending(self, organisation_id: str, form: str) -> bool:
        """A pending organisation becomes visible; False when it was completed already."""
        return bool(
            self.db.organisations.update_one(
                {"_id": organisation_id, "state": "pending", "pending.form": form},
                {"$unset": {"pending": "", "state": ""}},
            ).modified_count
        )

    def pending_organisations(self, older_than: timedelta) -> list[dict[str, Any]]:
        """Registrations cut off half-way: organisations still pending after ``older_than``."""
        cutoff = to_text(datetime.now(UTC) - older_than)
        return [
            org
            for org in self.db.organisations.find({"state": "pending"}, {"outbox": 0}, polling=True)
            if org["pending"]["since"] < cutoff
        ]

    def confirming_claims(self, older_than: timedelta) -> list[dict[str, Any]]:
        """Confirmations cut off half-way: claims still ``confirming`` after ``older_than``."""
        cutoff = to_text(datetime.now(UTC) - older_than)
        return [
            claim
            for claim in self.db.claims.find({"status": "confirming"}, {"outbox": 0}, polling=True)
            if claim["confirming"]["since"] < cutoff
        ]

    # -- capacity ----------------------------------------------------------------

    def set_capacity(self, edition_id: str, limits: dict[str, int | None], promotion_due: bool = False) -> None:
        """``limits``: per role, None for a role without a limit (its places are still counted).
        ``promotion_due``: the limits may have grown; the waitlist is owed a look (:meth:`promotions_due`)."""
        for role, limit in limits.items():
            self.db.capacity.update_one(
                {"_id": f"{edition_id}:{role}"},
                {
                    "$set": {
                        "limit": limit,
                        "edition_id": edition_id,
                        "role": role,
                        **({"promotion_due": now()} if promotion_due else {}),
                    },
                    "$setOnInsert": {"taken": 0, "holders": {}, "pending": {}},
                },
                upsert=True,
            )

    def take_place(self, edition_id: str, role: str, participation_id: str) -> bool:
        """Claim one place for ``participation_id``; False when the role is full.

        One conditional update: under any number of concurrent approvals at
        most ``limit`` holders exist.  Roles without a limit always succeed (and
        count the place; an edition stored before every role was counted has no
        document for them).
        The place is *pending* until :meth:`confirm_place` (the approval is
        written): a pending place older than :data:`STALE_HOLD` was left by a
        crash between the two writes and is re-checked (:meth:`stale_holders`).
        """
        key = f"{edition_id}:{role}"
        doc = self.db.capacity.find_one({"_id": key}, {"limit": 1})
        if doc is None:
            return True
        room = {} if doc["limit"] is None else {"taken": {"$lt": doc["limit"]}}
        result = self.db.capacity.update_one(
            {"_id": key, **room, f"holders.{participation_id}": {"$exists": False}},
            {
                "$set": {f"holders.{participation_id}": now(), f"pending.{participation_id}": now()},
                "$inc": {"taken": 1},
            },
        )
        if result.modified_count:
            return True
        held = self.db.capacity.count_documents({"_id": key, f"holders.{participation_id}": {"$exists": True}})
        return bool(held)

    def confirm_place(self, edition_id: str, role: str, participation_id: str) -> None:
        """The approval holding this place is written: nothing left to re-check."""
        self.db.capacity.update_one(
            {"_id": f"{edition_id}:{role}", f"pending.{participation_id}": {"$exists": True}},
            {"$unset": {f"pending.{participation_id}": ""}},
        )

    def recheck_place(self, edition_id: str, role: str, participation_id: str) -> None:
        """Mark a held place pending again before a change that frees it (an approved registration
        cancelled): if the process dies between the change and :meth:`free_place`, the reconciler finds it."""
        self.db.capacity.update_one(
            {"_id": f"{edition_id}:{role}", f"holders.{participation_id}": {"$exists": True}},
            {"$set": {f"pending.{participation_id}": now()}},
        )

    def free_place(self, edition_id: str, role: str, participation_id: str) -> bool:
        result = self.db.capacity.update_one(
            {"_id": f"{edition_id}:{role}", f"holders.{participation_id}": {"$exists": True}},
            {
                "$unset": {f"holders.{participation_id}": "", f"pending.{participation_id}": ""},
                "$inc": {"taken": -1},
                "$set": {"promotion_due": now()},
            },
        )
        return bool(result.modified_count)

    def promotion_done(self, edition_id: str, role: str) -> None:
        """The waitlist had its chance at the places freed (it is empty, or the role is full again)."""
        self.db.capacity.update_one(
            {"_id": f"{edition_id}:{role}", "promotion_due": {"$exists": True}}, {"$unset": {"promotion_due": ""}}
        )

    def promotions_due(self, older_than: timedelta) -> list[tuple[str, str]]:
        """(edition, role) whose freed places the waitlist never got (the process died before promoting)."""
        cutoff = to_text(datetime.now(UTC) - older_than)
        return [
            (doc["edition_id"], doc["role"])
            for doc in self.db.capacity.find(
                {"promotion_due": {"$lt": cutoff}}, {"edition_id": 1, "role": 1}, polling=True
            )
        ]

    # -- work owed after a write (marks a recovery pass finds) ---------------------------------

    def mark(self, collection: str, doc_id: str, field: str) -> str:
        """Mark a document as owed follow-up work (``field``: when), before the write that owes it."""
        due = now()
        self.db[collection].update_one({"_id": doc_id}, {"$set": {field: due}})
        return due

    def unmark(self, collection: str, doc_id: str, field: str, due: str) -> None:
        """The work is done; unless a later change marked the document again meanwhile."""
        self.db[collection].update_one({"_id": doc_id, field: due}, {"$unset": {field: ""}})

    def marked(self, collection: str, field: str, older_than: timedelta) -> list[dict[str, Any]]:
        """Documents whose owed work a crash left undone (marked more than ``older_than`` ago)."""
        cutoff = to_text(datetime.now(UTC) - older_than)
        return list(self.db[collection].find({field: {"$lt": cutoff}}, {"outbox": 0}, polling=True))

    def stale_holders(self) -> Iterator[tuple[str, str, str]]:
        """(edition, role, participation) places still pending after :data:`STALE_HOLD`, to re-check."""
        cutoff = to_text(datetime.now(UTC) - STALE_HOLD)
        for doc in self.db.capacity.find(
            {"taken": {"$gt": 0}}, {"edition_id": 1, "role": 1, "pending": 1}, polling=True
        ):
            for pid, since in (doc.get("pending") or {}).items():
                if since < cutoff:
                    yield doc["edition_id"], doc["role"], pid

    def capacity_of(self, edition_id: str) -> dict[str, dict[str, int]]:
        """The limited roles' places (the others' are counted, not shown)."""
        return {
            d["role"]: {"limit": d["limit"], "taken": d["taken"]}
            for d in self.db.capacity.find({"edition_id": edition_id}, {"holders": 0, "pending": 0})
            if d["limit"] is not None
        }

    # -- check-in ------------------------------------------------------------------

    def record_checkin(self, checkin: dict[str, Any], event: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Insert the first scan; a repeat returns the first record and False."""
        try:
            self.db.checkins.insert_one(new_document(checkin, event))
        except DuplicateKeyError:
            return self.get("checkins", checkin["_id"]), False
        self.staged("checkins", checkin["_id"], [event])
        return checkin, True

    # -- statistics ------------------------------------------------------------------

    def participation_facets(
        self, edition_id: str | None, province_2025: str | None = None
    ) -> dict[str, list[dict[str, Any]]]:
        """Counts by province, 2025 province, role and status in one round trip (of one province's
        organisations when ``province_2025`` is given).

        Single-field ``$group`` keys only: nx-27017 does not evaluate compound
        group keys, and a facet per dimension works on both stores.
        """
        match = {"edition_id": edition_id} if edition_id else {}
        if province_2025:
            match["org.province_2025"] = province_2025
        facets = {
            name: [{"$group": {"_id": f"${path}", "n": {"$sum": 1}}}, {"$sort": {"_id": 1}}]
            for name, path in (
                ("province", "org.province"),
                ("province_2025", "org.province_2025"),
                ("role", "role"),
                ("status", "status"),
            )
        }
        result = list(self.db.participations.aggregate([{"$match": match}, {"$facet": facets}]))
        row = result[0] if result else {}
        return {name: row.get(name, []) for name in facets}
