"""The only module that talks to the booths database (``ketnoi_booths``).

One document per booth is the unit of truth: a booth is taken by setting its
``holder`` with a conditional update on ``holder: None`` (and no open
offer), so whatever the interleaving, one booth never has two holders.  Each
such write stages its event in the booth document (the outbox).
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable, Iterable
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from booths.planning import quota_province
from shared.events.outbox import new_document, stage
from shared.ids import new_id
from shared.store import ServiceStore, keep_newest
from shared.timestamps import now_text, to_text

COLLECTIONS = ("booths", "runs", "offers", "audit", "slots", "plans", "applicants")


def booth_id(edition_id: str, code: str) -> str:
    return f"{edition_id}:{code}"


class Taken(Exception):
    """The booth has a holder or an open offer already."""


class BoothsStore(ServiceStore):
    """Plans, booths, applicants, offers, runs, the audit trail and livestream slots."""

    MAPS = ("group_held", "province_held", "editions")

    def ensure_indexes(self) -> None:
        self.db.booths.create_index([("edition_id", ASCENDING), ("code", ASCENDING)])
        self.db.applicants.create_index("edition_id")
        self.db.applicants.create_index("organisation_id")
        self.db.offers.create_index("status")  # so nx-27017 indexes `status = v` (see notifications.store)
        self.db.offers.create_index([("status", ASCENDING), ("expires_at", ASCENDING)])
        self.db.booths.create_index("offer.expires_at")
        self.db.audit.create_index([("edition_id", ASCENDING), ("at", ASCENDING)])
        self.db.plans.create_index("import_state")  # the recovery passes find unfinished work on an index
        self.db.runs.create_index("commit_state")
        self.db.runs.create_index("edition_id")
        self.db.slots.create_index("edition_id")
        self.db.booths.create_index("offer_due")
        self.db.offers.create_index("assigning")
        self.db.offers.create_index("edition_id")  # a page of an edition's offers is counted on an index
        self.db.audit.create_index("state")

    # -- editions and applicants, learned from registration's events ---------------------

    def remember_edition(self, data: dict[str, Any]) -> None:
        """Idempotent and order-proof: only a newer edition version changes what we keep."""
        fields = {
            "series_id": data["series_id"],
            "host_province": data["host_province"],
            "starts_on": data["starts_on"],
            "ends_on": data["ends_on"],
            "timezone": data["timezone"],
            "edition_version": data["version"],
        }
        keep_newest(self.db.plans, data["edition_id"], fields, "edition_version", on_insert={"quotas": None})

    def plan(self, edition_id: str) -> dict[str, Any] | None:
        return self.db.plans.find_one({"_id": edition_id})

    def set_quotas(self, edition_id: str, quotas: dict[str, Any], event: dict[str, Any]) -> None:
        self.db.plans.update_one({"_id": edition_id}, stage({"$set": {"quotas": quotas}}, event))
        self.staged("plans", edition_id, [event])

    def stage_floor_plan(
        self, edition_id: str, booths: list[dict[str, Any]], layout: dict[str, Any], event: dict[str, Any]
    ) -> str:
        """Record a floor-plan import whole, in one write: its booths, halls, zones and event.

        The booths are then written from this record (:meth:`apply_floor_plan`),
        by the import itself or, if it is cut off, by the next import or
        :meth:`unfinished_imports`' pass; until they match, the record stays.
        """
        import_id = new_id("imp")
        self.db.plans.update_one(
            {"_id": edition_id},
            stage(
                {
                    "$set": {
                        **layout,
                        "importing": {"id": import_id, "booths": booths},
                        "import_state": "applying",
                        "import_started_at": now_text(),
                    }
                },
                event,
            ),
        )
        self.staged("plans", edition_id, [event])
        return import_id

    def apply_floor_plan(self, edition_id: str) -> bool:
        """Make the edition's booths what its import record says; True once they match and the record is gone.

        Booth by booth (an upsert that keeps the booth's outbox), then away
        with booths the plan no longer has: a reader sees the old plan, a
        mix for a moment, or the new one, never an empty floor.
        """
        plan = self.db.plans.find_one({"_id": edition_id}, {"importing": 1})
        record = (plan or {}).get("importing")
        if not record:
            return True
        self.db.booths.update_each(
            [
                (
                    {"_id": booth_id(edition_id, b["code"])},
                    {
                        "$set": {
                            **b,
                            "edition_id": edition_id,
                            "holder": None,
                            "offer": None,
                            "source": None,
                            "since": None,
                            "import_id": record["id"],
                        },
                        "$setOnInsert": {"outbox": {}, "outbox_n": 0},
                    },
                )
                for b in record["booths"]
            ],
            upsert=True,
        )
        self.db.booths.delete_many({"edition_id": edition_id, "import_id": {"$ne": record["id"]}})
        if self.db.booths.count_documents({"edition_id": edition_id}) != len(record["booths"]):
            return False  # another import is writing too: the newer record's pass finishes the floor
        done = self.db.plans.update_one(
            {"_id": edition_id, "importing.id": record["id"]},
            {"$unset": {"importing": "", "import_state": "", "import_started_at": ""}},
        )
        return bool(done.modified_count)

    def unfinished_imports(self, older_than: timedelta) -> list[str]:
        """Editions whose floor-plan import was cut off before its booths were written."""
        cutoff = to_text(datetime.now(UTC) - older_than)
        return [
            p["_id"]
            for p in self.db.plans.find({"import_state": "applying"}, {"import_started_at": 1}, polling=True)
            if p["import_started_at"] < cutoff
        ]

    def upsert_applicant(self, data: dict[str, Any], returning: bool) -> None:
        """Record an approved exhibitor, unless its cancellation arrived first (a tombstone).

        The filter excludes a cancelled document, so the upsert then tries to
        insert its ``_id`` again and fails: the tombstone stays.
        """
        with suppress(DuplicateKeyError):
            self.db.applicants.update_one(
                {"_id": data["participation_id"], "status": {"$ne": "cancelled"}},
                {
                    "$set": {
                        "edition_id": data["edition_id"],
                        "organisation_id": data["organisation_id"],
                        "organisation_kind": data["organisation_kind"],
                        "name": data["organisation_name"],
                        "province": data["province"],
                        "province_2025": data["province_2025"],
                        "ocop_stars": data["ocop_max_stars"],
                        "returning": "yes" if returning else "no",
                        "status": "eligible",
                    },
                    "$setOnInsert": {"held": 0, "application": None, "slots_held": 0},
                },
                upsert=True,
            )

    def cancel_applicant(self, participation_id: str, edition_id: str) -> None:
        """Cancelled, whether or not its approval has been seen yet (events may arrive in any order)."""
        self.db.applicants.update_one(
            {"_id": participation_id},
            {
                "$set": {"status": "cancelled", "edition_id": edition_id},
                "$setOnInsert": {"held": 0, "application": None, "slots_held": 0},
            },
            upsert=True,
        )

    def applicant(self, participation_id: str) -> dict[str, Any] | None:
        return self.db.applicants.find_one({"_id": participation_id})

    def applicants(self, edition_id: str) -> list[dict[str, Any]]:
        return list(self.db.applicants.find({"edition_id": edition_id}).sort("_id", ASCENDING))

    def set_application(self, participation_id: str, application: dict[str, Any], event: dict[str, Any]) -> None:
        self.db.applicants.update_one({"_id": participation_id}, stage({"$set": {"application": application}}, event))
        self.staged("applicants", participation_id, [event])

    def update_organisation(self, organisation_id: str, fields: dict[str, Any]) -> int:
        return self.db.applicants.update_many({"organisation_id": organisation_id}, {"$set": fields}).modified_count

    def remember_exhibitor(self, series_id: str, organisation_id: str, edition_id: str) -> bool:
        """Record an approval; True when the organisation exhibited in another edition of the series."""
        key = f"{series_id}:{organisation_id}"
        self.db.history.update_one({"_id": key}, {"$set": {f"editions.{edition_id}": "approved"}}, upsert=True)
        return len(self.db.history.find_one({"_id": key})["editions"]) > 1

    def take_quota(self, participation_id: str, field: str, limit: int) -> bool:
        """One more booth (or slot) for an applicant, unless it reached ``limit``."""
        result = self.db.applicants.update_one({"_id": participation_id, field: {"$lt": limit}}, {"$inc": {field: 1}})
        return bool(result.modified_count)

    def give_back_quota(self, participation_id: str, field: str) -> None:
        self.db.applicants.update_one({"_id": participation_id, field: {"$gt": 0}}, {"$inc": {field: -1}})

    def take_place(
        self, edition_id: str, group: str, group_limit: int, province: str, province_cap: int | None
    ) -> bool:
        """One more booth for a quota group and for a province, unless either is full: one conditional update
        of the plan's counters, so concurrent claims, offers and accepts can never pass a limit together.

        The counters count booths held and booths reserved by an open offer.
        """
        query: dict[str, Any] = {"_id": edition_id, f"group_held.{group}": {"$lt": group_limit}}
        if province_cap is not None:  # a province's first booth finds no counter yet
            query["$or"] = [
                {f"province_held.{province}": {"$lt": province_cap}},
                {f"province_held.{province}": {"$exists": False}},
            ]
        result = self.db.plans.update_one(query, {"$inc": {f"group_held.{group}": 1, f"province_held.{province}": 1}})
        return bool(result.modified_count)

    def give_back_place(self, edition_id: str, group: str | None, province: str) -> None:
        if group:
            self.db.plans.update_one(
                {"_id": edition_id, f"group_held.{group}": {"$gt": 0}},
                {"$inc": {f"group_held.{group}": -1, f"province_held.{province}": -1}},
            )

    def start_group_counters(self, edition_id: str, groups: Iterable[str]) -> None:
        """A counter at 0 for each new quota group (``$lt`` never matches a missing field)."""
        for group in groups:
            self.db.plans.update_one(
                {"_id": edition_id, f"group_held.{group}": {"$exists": False}}, {"$set": {f"group_held.{group}": 0}}
            )

    def counters(self, edition_id: str) -> dict[str, int]:
        """The stored counters: ``applicant:<pid>``, ``group:<name>`` and ``province:<slug>`` (booths held or
        reserved by an offer), ``slots:<pid>`` (livestream slots, for exhibitors that booked one)."""
        found = {}
        for applicant in self.db.applicants.find({"edition_id": edition_id}, {"held": 1, "slots_held": 1}):
            found[f"applicant:{applicant['_id']}"] = applicant["held"]
            if "slots_held" in applicant:
                found[f"slots:{applicant['_id']}"] = applicant["slots_held"]
        plan = self.plan(edition_id) or {}
        found.update({f"group:{g}": n for g, n in (plan.get("group_held") or {}).items()})
        found.update({f"province:{p}": n for p, n in (plan.get("province_held") or {}).items()})
        return found

    def counts_from_booths(self, edition_id: str, known: dict[str, int]) -> dict[str, int]:
        """What the counters should say, from the booths actually held and the slots actually booked (for the
        counters in ``known``)."""
        actual = dict.fromkeys(known, 0)
        for booth in self.db.booths.find({"edition_id": edition_id}, {"holder": 1, "offer": 1}):
            for holder in (booth.get("holder"), booth.get("offer")):  # a booth on offer is reserved
                if not holder:
                    continue
                for key in (
                    f"applicant:{holder['participation_id']}",
                    f"group:{holder.get('quota_group')}",
                    f"province:{quota_province(holder)}",
                ):
                    if key in actual:
                        actual[key] += 1
        for slot in self.db.slots.find({"edition_id": edition_id}, {"participation_id": 1}):
            key = f"slots:{slot['participation_id']}"
            if key in actual:
                actual[key] += 1
        return actual

    def correct_counter(self, edition_id: str, key: str, seen: int, right: int) -> bool:
        """Compare-and-set: only if the counter still holds the wrong value we saw."""
        kind, _, name = key.partition(":")
        if kind in ("applicant", "slots"):
            field = "held" if kind == "applicant" else "slots_held"
            result = self.db.applicants.update_one({"_id": name, field: seen}, {"$set": {field: right}})
        else:
            field = f"{'group' if kind == 'group' else 'province'}_held.{name}"
            result = self.db.plans.update_one({"_id": edition_id, field: seen}, {"$set": {field: right}})
        return bool(result.modified_count)

    # -- booths ---------------------------------------------------------------------------

    def booths(self, edition_id: str) -> list[dict[str, Any]]:
        return list(self.db.booths.find({"edition_id": edition_id}, {"outbox": 0}).sort("code", ASCENDING))

    def booth(self, edition_id: str, code: str) -> dict[str, Any] | None:
        return self.db.booths.find_one({"_id": booth_id(edition_id, code)}, {"outbox": 0})

    def held_count(self, edition_id: str) -> int:
        return self.db.booths.count_documents({"edition_id": edition_id, "holder": {"$ne": None}})

    def assign(
        self,
        edition_id: str,
        code: str,
        holder: dict[str, Any],
        source: str,
        event_for: Callable[[dict[str, Any]], dict[str, Any]],
        offer_id: str | None = None,
    ) -> dict:
        """Give a free booth to ``holder``; :class:`Taken` if someone has it or it is on offer to another.

        ``offer_id``: the booth is on offer to this holder, who accepts it.
        """
        booth = self.booth(edition_id, code)
        if booth is None:
            raise KeyError(code)
        event = event_for(booth)
        query = {"_id": booth["_id"], "holder": None, "offer": None}
        if offer_id:
            query["offer.offer_id"] = offer_id
            del query["offer"]
        after = self.db.booths.find_one_and_update(
            query,
            stage({"$set": {"holder": holder, "source": source, "offer": None, "since": now_text()}}, event),
            projection={"outbox": 0},
        )
        if after is None:
            raise Taken(code)
        self.staged("booths", booth["_id"], [event])
        return after

    def release(
        self,
        edition_id: str,
        code: str,
        participation_id: str,
        event_for: Callable[[dict[str, Any]], dict[str, Any]],
        offer_due: bool = False,
    ) -> dict[str, Any] | None:
        """Free a booth if ``participation_id`` still holds it (a repeat changes nothing).

        ``offer_due``: the booth is to be offered to the waitlist; the mark, written with the release, stays
        until an offer is made or nobody is left to offer it to (:meth:`booths_due_an_offer` finds it after
        a crash).
        """
        booth = self.booth(edition_id, code)
        if booth is None or not booth.get("holder") or booth["holder"]["participation_id"] != participation_id:
            return None
        event = event_for(booth)
        after = self.db.booths.find_one_and_update(
            {"_id": booth["_id"], "holder.participation_id": participation_id},
            stage(
                {
                    "$set": {
                        "holder": None,
                        "source": None,
                        "since": now_text(),
                        **({"offer_due": now_text()} if offer_due else {}),
                    }
                },
                event,
            ),
            projection={"outbox": 0},
        )
        if after is not None:
            self.staged("booths", booth["_id"], [event])
        return after

    def held_by(self, participation_id: str) -> list[dict[str, Any]]:
        return list(self.db.booths.find({"holder.participation_id": participation_id}, {"outbox": 0}))

    # -- offers -----------------------------------------------------------------------------

    def put_on_offer(self, booth: dict[str, Any], offer: dict[str, Any], event: dict[str, Any]) -> bool:
        """Reserve a free booth for one waitlisted applicant until the offer ends."""
        self.db.offers.insert_one(new_document({**offer, "status": "pending"}))
        reserved = self.db.booths.update_one(
            {"_id": booth["_id"], "holder": None, "offer": None},
            {
                "$set": {
                    "offer": {
                        "offer_id": offer["_id"],
                        "participation_id": offer["participation_id"],
                        "quota_group": offer["quota_group"],
                        "province": offer["province"],
                        "expires_at": offer["expires_at"],
                    }
                },
                "$unset": {"offer_due": ""},
            },
        )
        if not reserved.modified_count:
            self.db.offers.delete_one({"_id": offer["_id"], "status": "pending"})
            return False
        self.db.offers.update_one({"_id": offer["_id"]}, stage({"$set": {"status": "open"}}, event))
        self.staged("offers", offer["_id"], [event])
        return True

    def no_offer_due(self, edition_id: str, code: str) -> None:
        """Nobody is left to offer the booth to: it stays free for claims."""
        self.db.booths.update_one(
            {"_id": booth_id(edition_id, code), "offer_due": {"$exists": True}}, {"$unset": {"offer_due": ""}}
        )

    def booths_due_an_offer(self, older_than: timedelta) -> list[dict[str, Any]]:
        """Freed booths still waiting for their offer after ``older_than`` (the process died before making it)."""
        cutoff = to_text(datetime.now(UTC) - older_than)
        return list(self.db.booths.find({"offer_due": {"$lt": cutoff}}, {"outbox": 0}, polling=True))

    def offers_left_half_made(self, older_than: timedelta) -> list[dict[str, Any]]:
        """Offers a crash left ``pending`` (never opened, never announced), or ``accepted`` with their booth
        not yet given (``assigning``)."""
        cutoff = to_text(datetime.now(UTC) - older_than)
        pending = [
            o
            for o in self.db.offers.find({"status": "pending"}, {"outbox": 0}, polling=True)
            if o["created_at"] < cutoff
        ]
        return pending + list(self.db.offers.find({"assigning": {"$lt": cutoff}}, {"outbox": 0}, polling=True))

    def drop_pending_offer(self, offer: dict[str, Any]) -> None:
        """A never-opened offer goes, and the booth it reserved waits for the next offer."""
        self.db.booths.update_one(
            {"_id": booth_id(offer["edition_id"], offer["booth_code"]), "offer.offer_id": offer["_id"]},
            {"$set": {"offer": None, "offer_due": now_text()}},
        )
        self.db.offers.delete_one({"_id": offer["_id"], "status": "pending"})

    def offer_assigned(self, offer_id: str) -> None:
        self.db.offers.update_one({"_id": offer_id, "assigning": {"$exists": True}}, {"$unset": {"assigning": ""}})

    def clear_stale_reservations(self, now: str) -> int:
        """Booths still reserved by an offer past its deadline (a crash between an offer's two writes).

        An indexed read, then writes by ``_id`` for what it found (usually
        nothing): nx-27017 answers a write filtered on another field by
        scanning the collection, and this runs every few seconds.
        """
        stale = self.db.booths.find({"offer.expires_at": {"$lt": now}}, {"_id": 1}, polling=True)
        return sum(
            self.db.booths.update_one(
                {"_id": b["_id"], "offer.expires_at": {"$lt": now}}, {"$set": {"offer": None, "offer_due": now}}
            ).modified_count
            for b in stale
        )

    def close_offer(self, offer: dict[str, Any], status: str, event: dict[str, Any]) -> bool:
        """open → accepted | declined | expired | withdrawn, once.

        Accepted, the offer is marked ``assigning`` until its booth is given
        (:meth:`offer_assigned`); otherwise the booth's reservation is lifted
        and the booth marked for the next offer.  A crash between the two
        writes is found by :meth:`offers_left_half_made` or, for a lifted
        reservation, when the offer's deadline passes.
        """
        closing = {
            "status": status,
            "closed_at": now_text(),
            **({"assigning": now_text()} if status == "accepted" else {}),
        }
        result = self.db.offers.update_one({"_id": offer["_id"], "status": "open"}, stage({"$set": closing}, event))
        if not result.modified_count:
            return False
        self.staged("offers", offer["_id"], [event])
        if status != "accepted":  # a withdrawn offer's booth is placed by the run that withdrew it
            self.db.booths.update_one(
                {"_id": booth_id(offer["edition_id"], offer["booth_code"]), "offer.offer_id": offer["_id"]},
                {"$set": {"offer": None, **({"offer_due": now_text()} if status != "withdrawn" else {})}},
            )
        return True

    def offer(self, offer_id: str) -> dict[str, Any] | None:
        return self.db.offers.find_one({"_id": offer_id}, {"outbox": 0})

    def offers(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        return list(self.db.offers.find(query, {"outbox": 0}).sort("_id", ASCENDING))

    def due_offers(self, now: str) -> list[dict[str, Any]]:
        return list(self.db.offers.find({"status": "open", "expires_at": {"$lt": now}}, {"outbox": 0}, polling=True))

    # -- runs, audit, slots ---------------------------------------------------------------------

    def save_run(self, run: dict[str, Any]) -> None:
        self.db.runs.insert_one(run)

    def runs(self, edition_id: str) -> list[dict[str, Any]]:
        """The edition's runs, newest first (run ids sort by creation time)."""
        return list(self.db.runs.find({"edition_id": edition_id}, {"outbox": 0}).sort("_id", -1))

    def run(self, run_id: str) -> dict[str, Any] | None:
        return self.db.runs.find_one({"_id": run_id}, {"outbox": 0})

    def start_commit(self, run: dict[str, Any]) -> None:
        """Mark the run as being applied, so that a commit cut off half-way is found and finished."""
        self.db.runs.update_one(
            {"_id": run["_id"], "committed_at": None},
            {"$set": {"commit_state": "applying", "commit_started_at": now_text()}},
        )

    def unfinished_commits(self, older_than: timedelta) -> list[dict[str, Any]]:
        """Runs whose commit began more than ``older_than`` ago and never finished."""
        cutoff = to_text(datetime.now(UTC) - older_than)
        return [
            run
            for run in self.db.runs.find({"commit_state": "applying"}, {"outbox": 0}, polling=True)
            if run["commit_started_at"] < cutoff
        ]

    def mark_committed(self, run: dict[str, Any], event: dict[str, Any]) -> bool:
        """The plan's committed run (which opens the claim window), then the run itself with its event."""
        self.db.plans.update_one({"_id": run["edition_id"]}, {"$set": {"committed_run": run["_id"]}})
        result = self.db.runs.update_one(
            {"_id": run["_id"], "committed_at": None},
            stage({"$set": {"committed_at": now_text()}, "$unset": {"commit_state": ""}}, event),
        )
        if result.modified_count:
            self.staged("runs", run["_id"], [event])
        return bool(result.modified_count)

    def committed_editions(self) -> list[str]:
        """Editions whose allocation has been committed (their booth counters are live)."""
        return [plan["_id"] for plan in self.db.plans.find({"committed_run": {"$exists": True}}, {"_id": 1})]

    def booth_counts(self) -> Tally:
        """Booths by (edition, zone, kind, quota group of the holder, status), for the gauges."""
        counts: Tally = Tally()
        for booth in self.db.booths.find({}, {"edition_id": 1, "zone": 1, "kind": 1, "holder": 1, "offer": 1}):
            holder = booth.get("holder")
            status = "taken" if holder else ("on_offer" if booth.get("offer") else "free")
            counts[
                (booth["edition_id"], booth["zone"], booth["kind"], (holder or {}).get("quota_group") or "", status)
            ] += 1
        return counts

    def start_override(self, entry: dict[str, Any]) -> None:
        """The override's audit entry comes first, ``applying``: a crash half-way is found and finished."""
        self.db.audit.insert_one(new_document({**entry, "state": "applying"}))

    def finish_override(self, entry: dict[str, Any], event: dict[str, Any]) -> None:
        """Done: the entry joins the audit trail, with the event announcing it."""
        if self.db.audit.update_one(
            {"_id": entry["_id"], "state": "applying"}, stage({"$unset": {"state": ""}}, event)
        ).modified_count:
            self.staged("audit", entry["_id"], [event])

    def drop_override(self, entry: dict[str, Any]) -> None:
        """Refused (the booth was taken meanwhile): nothing was done, nothing is audited."""
        self.db.audit.delete_one({"_id": entry["_id"], "state": "applying"})

    def unfinished_overrides(self, older_than: timedelta) -> list[dict[str, Any]]:
        cutoff = to_text(datetime.now(UTC) - older_than)
        return [e for e in self.db.audit.find({"state": "applying"}, {"outbox": 0}, polling=True) if e["at"] < cutoff]

    def book_slot(self, slot: dict[str, Any], event: dict[str, Any]) -> bool:
        try:
            self.db.slots.insert_one(new_document(slot, event))
        except DuplicateKeyError:
            return False
        self.staged("slots", slot["_id"], [event])
        return True
