"""The only module that talks to the meetings database (``ketnoi_meetings``).

Who is busy when is decided by *holds*: one document per (participant, five-minute
step of the edition's time), (table, slot) and (interpreter seat, slot), whose ``_id``
is that key.  Tables and interpreters belong to one session; people do not, so a
participant's holds are keyed by time across every session of the edition.  A
meeting takes its holds by inserting them, so two acceptances, a pick and an
optimiser run, or two replicas can never put one person, table or
interpreter in two places: the second insert fails on the unique ``_id``.
Meeting changes are conditional updates on the meeting's status and stage
their event in the meeting document (the outbox).
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING
from pymongo.errors import BulkWriteError, DuplicateKeyError

from shared.events.outbox import new_document, stage
from shared.store import ServiceStore, keep_newest
from shared.timestamps import now_text

DUPLICATE_KEY = 11000
COLLECTIONS = ("meetings", "sessions", "runs", "mous", "participants", "away", "time_away", "jobs")
OPEN = ("requested", "accepted")
CLOSED = ("declined", "expired", "cancelled")


def participant_hold(edition_id: str, participation_id: str, step: str) -> str:
    """``step``: a grid step of :func:`meetings.planning.busy_steps` (the same in every session)."""
    return f"{edition_id}|p|{participation_id}|{step}"


def table_hold(session_id: str, table: str, slot: str) -> str:
    return f"{session_id}|t|{table}|{slot}"


def is_table_hold(key: str) -> bool:
    return key.split("|")[1:2] == ["t"]


def interpreter_hold(session_id: str, language: str, slot: str, seat: int) -> str:
    return f"{session_id}|i|{language}|{slot}|{seat}"


def person_hold(session_id: str, interpreter_id: str, slot: str) -> str:
    """A named interpreter at a slot: one meeting each, whatever the language (a seat hold keys the language)."""
    return f"{session_id}|i|{interpreter_id}|{slot}"


@dataclass
class Change:
    """One conditional change of a meeting for :meth:`MeetingsStore.change_meetings`."""

    meeting: dict[str, Any]
    expect: dict[str, Any]
    changes: dict[str, Any]
    events_for: Callable[[dict[str, Any]], list[dict[str, Any]]]
    bump_sequence: bool = False


def _staged_change(
    meeting: dict[str, Any],
    changes: dict[str, Any],
    events_for: Callable[[dict[str, Any]], list[dict[str, Any]]],
    bump_sequence: bool,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The update that applies ``changes`` (a version more, a sequence more if asked) and stages the events
    of the meeting it makes, and those events."""
    after_guess = {
        **meeting,
        **changes,
        "sequence": int(meeting.get("sequence") or 0) + (1 if bump_sequence else 0),
        "version": int(meeting.get("version") or 0) + 1,
    }
    events = events_for(after_guess)
    update: dict[str, Any] = {"$set": {**changes, "updated_at": now_text()}, "$inc": {"version": 1}}
    if bump_sequence:
        update["$inc"]["sequence"] = 1
    return stage(update, *events), events


class MeetingsStore(ServiceStore):
    """Participants, sessions, meetings and the holds that keep anyone from being in two places, runs, jobs, MOUs."""

    def ensure_indexes(self) -> None:
        self.db.participants.create_index("edition_id")
        self.db.participants.create_index("organisation_id")
        self.db.products.create_index("organisation_id")
        self.db.sessions.create_index("edition_id")
        self.db.meetings.create_index([("session_id", ASCENDING), ("status", ASCENDING)])
        self.db.meetings.create_index("status")  # so nx-27017 indexes `status = v` (see notifications.store)
        self.db.meetings.create_index([("status", ASCENDING), ("expires_at", ASCENDING)])
        self.db.meetings.create_index("supplier.participation_id")
        self.db.meetings.create_index("buyer.participation_id")
        self.db.holds.create_index("meeting_id")
        self.db.holds.create_index("session_id")
        self.db.holds.create_index("at")
        self.db.mous.create_index("edition_id")
        self.db.time_away.create_index("edition_id")

    # -- what registration tells us (idempotent, order-proof) ---------------------------------------

    def remember_edition(self, data: dict[str, Any]) -> None:
        fields = {
            "series_id": data["series_id"],
            "title": data.get("title"),
            "venue": data.get("venue"),
            "host_province": data["host_province"],
            "starts_on": data["starts_on"],
            "ends_on": data["ends_on"],
            "timezone": data["timezone"],
            "programme": data.get("programme") or [],
            "version": data["version"],
        }
        keep_newest(self.db.editions, data["edition_id"], fields)

    def edition(self, edition_id: str) -> dict[str, Any] | None:
        return self.db.editions.find_one({"_id": edition_id})

    def remember_organisation(self, data: dict[str, Any]) -> bool:
        """Keep the newest version; True when this one was newer (participants' copies then follow)."""
        fields = {
            "kind": data["kind"],
            "name": data.get("name"),
            "province": data.get("province"),
            "country": data.get("country", "VN"),
            "sectors": data.get("sectors", []),
            "version": data["version"],
        }
        return keep_newest(self.db.organisations, data["organisation_id"], fields)

    def organisation(self, organisation_id: str) -> dict[str, Any] | None:
        return self.db.organisations.find_one({"_id": organisation_id})

    def organisations(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        return {o["_id"]: o for o in self.db.organisations.find({"_id": {"$in": sorted(set(ids))}})}

    def remember_product(self, data: dict[str, Any]) -> None:
        self.db.products.replace_one(
            {"_id": data["product_id"]},
            {
                "_id": data["product_id"],
                "organisation_id": data["organisation_id"],
                "category": data["category"],
                "ocop_stars": data.get("ocop_stars"),
                "certifications": data.get("certifications", []),
            },
            upsert=True,
        )

    def products(self, organisation_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {}
        for p in self.db.products.find({"organisation_id": {"$in": sorted(set(organisation_ids))}}):
            found.setdefault(p["organisation_id"], []).append(p)
        return found

    def upsert_participant(self, data: dict[str, Any], side: str) -> None:
        """An approved supplier or buyer, unless its cancellation arrived first (the tombstone stays)."""
        with suppress(DuplicateKeyError):
            self.db.participants.update_one(
                {"_id": data["participation_id"], "status": {"$ne": "cancelled"}},
                {
                    "$set": {
                        "edition_id": data["edition_id"],
                        "organisation_id": data["organisation_id"],
                        "organisation_kind": data["organisation_kind"],
                        "name": data["organisation_name"],
                        "province": data["province"],
                        "country": data.get("country", "VN"),
                        "sectors": data.get("sectors", []),
                        "side": side,
                        "b2b": "yes" if (data.get("wants") or {}).get("b2b") else "no",
                        "site_visits": (data.get("wants") or {}).get("site_visits") or [],
                        "languages": data.get("languages", []),
                        "interpreter_languages": data.get("interpreter_languages", []),
                        "status": "eligible",
                    },
                    "$setOnInsert": {"profile": {}},
                },
                upsert=True,
            )

    def cancel_participant(self, participation_id: str, edition_id: str) -> None:
        self.db.participants.update_one(
            {"_id": participation_id},
            {"$set": {"status": "cancelled", "edition_id": edition_id}, "$setOnInsert": {"profile": {}}},
            upsert=True,
        )

    def follow_organisation(self, data: dict[str, Any]) -> None:
        """Participants' copies of an organisation's name, province and sectors, guarded by its version:
        a repeat or an older version changes nothing."""
        version = data["version"]
        self.db.participants.update_many(
            {
                "organisation_id": data["organisation_id"],
                "$or": [{"organisation_version": {"$lt": version}}, {"organisation_version": {"$exists": False}}],
            },
            {
                "$set": {
                    "name": data.get("name"),
                    "province": data.get("province"),
                    "sectors": data.get("sectors", []),
                    "organisation_version": version,
                }
            },
        )

    def participant(self, participation_id: str) -> dict[str, Any] | None:
        return self.db.participants.find_one({"_id": participation_id})

    def participants(self, edition_id: str) -> list[dict[str, Any]]:
        return list(self.db.participants.find({"edition_id": edition_id, "status": "eligible"}).sort("_id", 1))

    def set_profile(self, participation_id: str, profile: dict[str, Any], event: dict[str, Any]) -> None:
        """The stated profile, announced; a buyer's priority also goes to its meetings, which the scheduler
        orders by (a copy: a crash before it is repaired by the next statement of the profile)."""
        self.db.participants.update_one({"_id": participation_id}, stage({"$set": {"profile": profile}}, event))
        self.staged("participants", participation_id, [event])
        self.db.meetings.update_many(
            {"buyer.participation_id": participation_id}, {"$set": {"priority": int(profile.get("priority") or 0)}}
        )

    # -- sessions ---------------------------------------------------------------------------------------

    def insert_session(self, session: dict[str, Any], event: dict[str, Any]) -> None:
        self.db.sessions.insert_one(new_document(session, event))
        self.staged("sessions", session["_id"], [event])

    def session(self, session_id: str) -> dict[str, Any] | None:
        return self.db.sessions.find_one({"_id": session_id}, {"outbox": 0})

    def sessions(self, edition_id: str) -> list[dict[str, Any]]:
        return list(self.db.sessions.find({"edition_id": edition_id}, {"outbox": 0}).sort("_id", ASCENDING))

    def set_supplier_tables(self, session_id: str, tables: dict[str, str], event: dict[str, Any]) -> None:
        self.db.sessions.update_one({"_id": session_id}, stage({"$set": {"supplier_tables": tables}}, event))
        self.staged("sessions", session_id, [event])

    def claim_scheduler(self, session_id: str, run_id: str, stale_before: str) -> bool:
        """One optimiser run per session at a time (a crashed run's claim goes stale)."""
        result = self.db.sessions.update_one(
            {"_id": session_id, "$or": [{"scheduler": None}, {"scheduler.at": {"$lt": stale_before}}]},
            {"$set": {"scheduler": {"run_id": run_id, "at": now_text()}}},
        )
        return bool(result.modified_count)

    def release_scheduler(self, session_id: str, run_id: str) -> None:
        self.db.sessions.update_one({"_id": session_id, "scheduler.run_id": run_id}, {"$set": {"scheduler": None}})

    # -- timetables computed in the background ---------------------------------------------------------

    def insert_job(self, job: dict[str, Any], event: dict[str, Any]) -> None:
        self.db.jobs.insert_one(new_document(job, event))
        self.staged("jobs", job["_id"], [event])

    def unfinished_job(self, session_id: str) -> dict[str, Any] | None:
        return self.db.jobs.find_one(
            {"session_id": session_id, "status": {"$in": ["queued", "running"]}}, {"outbox": 0}
        )

    def job(self, job_id: str) -> dict[str, Any] | None:
        return self.db.jobs.find_one({"_id": job_id}, {"outbox": 0})

    def start_job(self, job_id: str) -> dict[str, Any] | None:
        """Queued, or running when a worker died mid-run (the inbox's claim lease let its event run again);
        None once it finished."""
        return self.db.jobs.find_one_and_update(
            {"_id": job_id, "status": {"$in": ["queued", "running"]}},
            {"$set": {"status": "running", "started_at": now_text()}, "$inc": {"attempts": 1}},
            projection={"outbox": 0},
        )

    def finish_job(
        self, job_id: str, status: str, run: dict[str, Any] | None = None, error: dict[str, Any] | None = None
    ) -> None:
        self.db.jobs.update_one(
            {"_id": job_id, "status": "running"},
            {"$set": {"status": status, "finished_at": now_text(), "run": run, "error": error}},
        )

    def publish_agenda(
        self, session: dict[str, Any], agenda: dict[str, Any], event_for: Callable[[dict[str, Any]], dict[str, Any]]
    ) -> dict[str, Any] | None:
        """Next agenda version, if nobody published in between (compare on the version we read)."""
        version = (session.get("agenda") or {}).get("version", 0)
        event = event_for({**session, "agenda": agenda})
        after = self.db.sessions.find_one_and_update(
            {"_id": session["_id"], "agenda.version": version} if version else {"_id": session["_id"], "agenda": None},
            stage({"$set": {"agenda": agenda}}, event),
            projection={"outbox": 0},
        )
        if after is not None:
            self.staged("sessions", session["_id"], [event])
        return after

    def set_away(
        self, session_id: str, participation_id: str, slots: list[str], reason: str | None, event: dict[str, Any]
    ) -> None:
        """An update, not a replace: a replace would drop an earlier change's event not yet published."""
        key = f"{session_id}|{participation_id}"
        self.db.away.update_one(
            {"_id": key},
            stage(
                {
                    "$set": {
                        "session_id": session_id,
                        "participation_id": participation_id,
                        "slots": slots,
                        "reason": reason,
                    }
                },
                event,
            ),
            upsert=True,
        )
        self.staged("away", key, [event])

    def away(self, session_id: str) -> list[dict[str, Any]]:
        return list(self.db.away.find({"session_id": session_id}))

    def set_time_away(
        self, edition_id: str, participation_id: str, periods: list[dict[str, Any]], event: dict[str, Any]
    ) -> None:
        """A participant's periods away for the whole edition, replacing what it said before (an update,
        like :meth:`set_away`, so an earlier change's event not yet published stays)."""
        key = f"{edition_id}|{participation_id}"
        self.db.time_away.update_one(
            {"_id": key},
            stage(
                {
                    "$set": {
                        "edition_id": edition_id,
                        "participation_id": participation_id,
                        "periods": periods,
                        "updated_at": now_text(),
                    }
                },
                event,
            ),
            upsert=True,
        )
        self.staged("time_away", key, [event])

    def time_away(self, edition_id: str, participation_id: str | None = None) -> list[dict[str, Any]]:
        query = {"edition_id": edition_id}
        if participation_id is not None:
            query["_id"] = f"{edition_id}|{participation_id}"
        return list(self.db.time_away.find(query, {"outbox": 0}))

    # -- per-participant limits --------------------------------------------------------------------------

    def take_load(self, session_id: str, participation_id: str, limit: int) -> bool:
        """One more open meeting for a participant in a session, unless it has ``limit``."""
        key = f"{session_id}|{participation_id}"
        if self.db.loads.update_one({"_id": key, "n": {"$lt": limit}}, {"$inc": {"n": 1}}).modified_count:
            return True
        try:
            self.db.loads.insert_one({"_id": key, "session_id": session_id, "n": 1})
        except DuplicateKeyError:  # created meanwhile by a concurrent first request: one more conditional try
            return bool(self.db.loads.update_one({"_id": key, "n": {"$lt": limit}}, {"$inc": {"n": 1}}).modified_count)
        return True

    def give_back_load(self, session_id: str, participation_id: str) -> None:
        self.db.loads.update_one({"_id": f"{session_id}|{participation_id}", "n": {"$gt": 0}}, {"$inc": {"n": -1}})

    def load_drift(self) -> dict[str, tuple[int, int]]:
        """Meeting counters that differ from the open meetings they count: ``{key: (stored, actual)}``.

        A close or a request cut off between its meeting's write and its counters' leaves one; so does a
        request in flight (counters move first), which is why only a drift seen twice is corrected.
        """
        actual: dict[str, int] = {}
        for meeting in self.db.meetings.find(
            {"status": {"$in": list(OPEN)}}, {"session_id": 1, "supplier": 1, "buyer": 1}
        ):
            for side in ("supplier", "buyer"):
                if meeting.get(side):  # every meeting has both; a document without them is not counted
                    key = f"{meeting['session_id']}|{meeting[side]['participation_id']}"
                    actual[key] = actual.get(key, 0) + 1
        stored = {doc["_id"]: doc["n"] for doc in self.db.loads.find({}, {"n": 1})}
        return {
            key: (stored.get(key, 0), actual.get(key, 0))
            for key in stored.keys() | actual.keys()
            if stored.get(key, 0) != actual.get(key, 0)
        }

    def correct_load(self, key: str, seen: int, right: int) -> bool:
        """Compare-and-set: only if the counter still holds the wrong value we saw (replicas correct once)."""
        return bool(self.db.loads.update_one({"_id": key, "n": seen}, {"$set": {"n": right}}).modified_count)

    # -- holds ---------------------------------------------------------------------------------------------

    def take_hold(self, key: str, session_id: str, meeting_id: str, slot: str) -> str | None:
        """``new`` when this call took the place, ``mine`` when the meeting held it already, None when taken.

        Only ``new`` holds may be given back by a caller that fails later: a
        ``mine`` hold may be what a concurrent, successful call of the same
        meeting relies on.
        """
        try:
            self.db.holds.insert_one(
                {"_id": key, "session_id": session_id, "meeting_id": meeting_id, "slot": slot, "at": now_text()}
            )
        except DuplicateKeyError:
            return "mine" if self.db.holds.count_documents({"_id": key, "meeting_id": meeting_id}) else None
        return "new"

    def take_holds(self, holds: list[tuple[str, str, str]], session_id: str) -> set[str]:
        """Insert many ``(key, meeting, slot)`` holds in one round trip; the keys that were taken already.

        Unordered, so one taken key does not stop the others: the caller decides
        per meeting what a refused key means (``hold_owners`` tells a key the
        meeting held already from one someone else took).
        """
        if not holds:
            return set()
        at = now_text()
        try:
            self.db.holds.insert_many(
                [
                    {"_id": key, "session_id": session_id, "meeting_id": mid, "slot": slot, "at": at}
                    for key, mid, slot in holds
                ],
                ordered=False,
            )
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors) or exc.details.get("writeConcernErrors"):
                raise
            return {holds[e["index"]][0] for e in errors}
        return set()

    def hold_owners(self, keys: Iterable[str]) -> dict[str, str]:
        """key -> the meeting holding it, for those of ``keys`` that are held."""
        keys = sorted(set(keys))
        if not keys:
            return {}
        return {h["_id"]: h["meeting_id"] for h in self.db.holds.find({"_id": {"$in": keys}}, {"meeting_id": 1})}

    def give_back_holds(self, meeting_id: str, keys: Iterable[str]) -> None:
        """Drop those of ``keys`` that ``meeting_id`` still holds (the ones a failed placement inserted)."""
        keys = sorted(set(keys))
        if keys:
            self.db.holds.delete_many({"meeting_id": meeting_id, "_id": {"$in": keys}})

    def drop_holds(self, meeting_id: str, keep: Iterable[str] = ()) -> None:
        keep = list(keep)
        query: dict[str, Any] = {"meeting_id": meeting_id}
        if keep:
            query["_id"] = {"$nin": keep}
        self.db.holds.delete_many(query)

    def drop_holds_of(self, meeting_ids: list[str]) -> None:
        if meeting_ids:
            self.db.holds.delete_many({"meeting_id": {"$in": meeting_ids}})

    def holds_of(self, meeting_id: str) -> list[str]:
        return [h["_id"] for h in self.db.holds.find({"meeting_id": meeting_id}, {"_id": 1})]

    def holds_taken_before(self, cutoff: str) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
        """Holds older than ``cutoff``, and the meetings they name (one read for all, not one per hold)."""
        holds = list(self.db.holds.find({"at": {"$lt": cutoff}}, {"meeting_id": 1, "slot": 1}, polling=True))
        owners = {
            m["_id"]: m
            for m in self.db.meetings.find(
                {"_id": {"$in": sorted({h["meeting_id"] for h in holds})}},
                {"status": 1, "slot": 1, "held_slot": 1, "table": 1, "session_id": 1},
            )
        }
        return holds, owners

    def drop_hold(self, key: str, meeting_id: str) -> None:
        self.db.holds.delete_one({"_id": key, "meeting_id": meeting_id})

    def placed_without_holds(self) -> list[dict[str, Any]]:
        """Placed meetings not holding their table: a timetable run dropped their holds and was cut off
        before taking them again (every placement takes the table's hold before writing the meeting)."""
        placed = list(self.db.meetings.find({"status": "accepted", "slot": {"$ne": None}}, {"outbox": 0}))
        keys = {m["_id"]: table_hold(m["session_id"], m["table"], m["slot"]) for m in placed}
        owner = {
            h["_id"]: h["meeting_id"]
            for h in self.db.holds.find({"_id": {"$in": sorted(keys.values())}}, {"meeting_id": 1})
        }
        return [m for m in placed if owner.get(keys[m["_id"]]) != m["_id"]]

    # -- meetings ------------------------------------------------------------------------------------------

    def meeting(self, meeting_id: str) -> dict[str, Any] | None:
        return self.db.meetings.find_one({"_id": meeting_id}, {"outbox": 0})

    def meetings(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        return list(self.db.meetings.find(query, {"outbox": 0}).sort("_id", ASCENDING))

    def open_meeting(self, meeting: dict[str, Any], events: list[dict[str, Any]]) -> dict[str, Any] | None:
        """Insert a new meeting, or reopen a closed one between the same two; None if one is open.

        A reopened meeting keeps its id (its calendar UID); the caller gives it
        the next sequence and the version after the closed one it read.
        """
        try:
            self.db.meetings.insert_one(new_document(meeting, *events))
        except DuplicateKeyError:
            fields = {k: v for k, v in meeting.items() if k not in ("_id", "version", "created_at")}
            fields.update(last_slot=None, last_table=None, reason=None, reason_text=None, closed_at=None)
            after = self.db.meetings.find_one_and_update(
                {"_id": meeting["_id"], "status": {"$in": list(CLOSED)}, "version": meeting["version"] - 1},
                stage({"$set": fields, "$inc": {"version": 1}}, *events),
                projection={"outbox": 0},
            )
            if after is None:
                return None
            self.staged("meetings", meeting["_id"], events)
            return after
        self.staged("meetings", meeting["_id"], events)
        return meeting

    def change_meeting(
        self,
        meeting: dict[str, Any],
        expect: dict[str, Any],
        changes: dict[str, Any],
        events_for: Callable[[dict[str, Any]], list[dict[str, Any]]],
        bump_sequence: bool = False,
    ) -> dict[str, Any] | None:
        """Apply ``changes`` if the meeting still matches ``expect``; stage the events of the result."""
        update, events = _staged_change(meeting, changes, events_for, bump_sequence)
        after = self.db.meetings.find_one_and_update(
            {"_id": meeting["_id"], **expect}, update, projection={"outbox": 0}
        )
        if after is not None and events:
            self.staged("meetings", meeting["_id"], events)
        return after

    def change_meetings(self, changes: list[Change]) -> set[str]:
        """Many :meth:`change_meeting` calls in one round trip (unordered); the ids whose change applied.

        Each update is conditional and stages its meeting's events in the same
        document, exactly as one :meth:`change_meeting` does.  A bulk write
        tells how many matched, not which: when fewer than all did, the
        meetings are read back, and a change applied if its event is staged
        there (or the meeting stands where the change put it: the relay's sweep
        may have published and cleared the event in between).
        """
        writes = [(c, *_staged_change(c.meeting, c.changes, c.events_for, c.bump_sequence)) for c in changes]
        matched = self.db.meetings.update_each(
            ({"_id": c.meeting["_id"], **c.expect}, update) for c, update, _ in writes
        )
        if matched == len(writes):
            applied = {c.meeting["_id"] for c in changes}
        else:
            now = {
                m["_id"]: m
                for m in self.db.meetings.find(
                    {"_id": {"$in": sorted(c.meeting["_id"] for c in changes)}},
                    {"outbox": 1, "status": 1, "slot": 1, "table": 1},
                )
            }
            applied = set()
            for c, _, events in writes:
                doc = now.get(c.meeting["_id"]) or {}
                staged = doc.get("outbox") or {}
                if (events and all(e["id"] in staged for e in events)) or (
                    doc.get("status") == c.expect.get("status")
                    and all(doc.get(k) == c.changes[k] for k in ("slot", "table") if k in c.changes)
                ):
                    applied.add(c.meeting["_id"])
        for c, _, events in writes:
            if events and c.meeting["_id"] in applied:
                self.staged("meetings", c.meeting["_id"], events)
        return applied

    def accepted_count(self, session_id: str) -> int:
        return self.db.meetings.count_documents({"session_id": session_id, "status": "accepted"})

    def set_unplaced_reasons(self, reasons: dict[str, str | None]) -> None:
        """Why each meeting could not be placed (None: placed now), one update per reason (hundreds of
        meetings share the few reasons there are: a statement each cost the embedded store 5× more)."""
        by_reason: dict[str | None, list[str]] = {}
        for mid, reason in reasons.items():
            by_reason.setdefault(reason, []).append(mid)
        for reason, mids in sorted(by_reason.items(), key=lambda item: item[0] or ""):
            self.db.meetings.update_many({"_id": {"$in": sorted(mids)}}, {"$set": {"unplaced_reason": reason}})

    def due_requests(self, now: str) -> list[dict[str, Any]]:
        return list(
            self.db.meetings.find({"status": "requested", "expires_at": {"$lt": now}}, {"outbox": 0}, polling=True)
        )

    def meeting_counts(self) -> Tally:
        """Meetings by (edition, session, status, placed), for the gauges."""
        return Tally(
            (m["edition_id"], m["session_id"], m["status"], "yes" if m.get("slot") else "no")
            for m in self.db.meetings.find({}, {"edition_id": 1, "session_id": 1, "status": 1, "slot": 1})
        )

    # -- runs and MOUs ----------------------------------------------------------------------------------------

    def save_run(self, run: dict[str, Any], event: dict[str, Any]) -> None:
        self.db.runs.insert_one(new_document(run, event))
        self.staged("runs", run["_id"], [event])

    def last_run(self, session_id: str) -> dict[str, Any] | None:
        return self.db.runs.find_one({"session_id": session_id}, {"outbox": 0}, sort=[("_id", -1)])

    def insert_mou(self, mou: dict[str, Any], event: dict[str, Any]) -> None:
        self.db.mous.insert_one(new_document(mou, event))
        self.staged("mous", mou["_id"], [event])

    def mou_counts(self) -> Tally:
        """MOUs by (edition, sector), for the gauges."""
        return Tally((m["edition_id"], m["sector"]) for m in self.db.mous.find({}, {"edition_id": 1, "sector": 1}))

    def mous(self, edition_id: str) -> list[dict[str, Any]]:
        return list(self.db.mous.find({"edition_id": edition_id}, {"outbox": 0, "outbox_n": 0}).sort("_id", 1))
