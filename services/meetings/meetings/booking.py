"""Putting meetings into slots and tables through holds, one at a time or a whole timetable at once.

A pick (a participant accepting into a slot, an organiser locking a meeting)
and an optimiser run go through the same holds, so neither can double-book
what the other just took.  Plain Python over :class:`MeetingsStore`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from eventlet import tpool

from meetings import events as ev
from meetings import planning
from meetings.domain.interpreters import assign
from meetings.domain.model import Booking, Changes, Meeting, Objectives, Session, Timetable
from meetings.domain.timetable import evaluate, reschedule, schedule_meetings
from meetings.store import (
    OPEN,
    Change,
    MeetingsStore,
    interpreter_hold,
    participant_hold,
    person_hold,
    table_hold,
)
from shared.errors import Conflict, field_error
from shared.ids import new_id
from shared.timestamps import now_text


class PlaceRefused(Exception):
    """The slot cannot take this meeting; ``reason`` is one of the scheduler's reasons or ``table_taken``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def solve(
    session: Session,
    meetings: dict[str, Meeting],
    away: dict[str, list[str]],
    interpreters: dict[str, Any],
    locks: list[Booking],
    placed: list[Booking],
    aims: Objectives,
    full: bool,
    rebook: set[str],
    now: str | None,
) -> tuple[Timetable, str]:
    """A full run (asked for, nothing placed yet, or availability changed under a booking), else an
    incremental one that keeps ``placed`` and adds, rebooks or drops as few as possible.

    Pure, with no I/O and no eventlet, so :meth:`Booker._timetable` runs it in
    a thread of eventlet's pool: the solver and its heuristics give the GIL back
    often (a 5 ms ticker beside a Quảng Trị-sized solve waited 12 ms at most),
    so the meetings service answers other calls while a timetable is computed.
    """
    if full or not placed:
        return schedule_meetings(session, meetings.values(), away, interpreters, locks, aims), "full"
    try:
        current = schedule_meetings(session, [meetings[b.meeting_id] for b in placed], away, interpreters, placed)
    except ValueError:  # availability changed under a booking: start again from the locks
        return schedule_meetings(session, meetings.values(), away, interpreters, locks, aims), "full"
    current = replace(current, locked=frozenset(b.meeting_id for b in locks))
    placed_ids = {b.meeting_id for b in placed}
    changes = Changes(
        add=tuple(m for mid, m in meetings.items() if mid not in placed_ids),
        no_show=tuple(sorted(rebook & placed_ids)),
        now=now,
    )
    kept = reschedule(current, changes)
    return replace(kept, scores=evaluate(kept, aims)), "incremental"


def refused(exc: PlaceRefused, field: str = "slot") -> Conflict:
    """The API's answer to a refused place: a conflict naming the reason on the field that asked for it."""
    return Conflict(exc.message, code=exc.reason, errors=[field_error(field, exc.reason, exc.message)])


@dataclass
class Taken:
    """The holds of one placement: every one it owns, and those this call inserted (the only ones to undo)."""

    keys: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    table: str | None = None
    interpreter: str | None = None  # the named interpreter taken, in a session with named interpreters


@dataclass
class RunResult:
    run: dict[str, Any]
    conflicts: list[str] = field(default_factory=list)


class Booker:
    def __init__(self, store: MeetingsStore, session: dict[str, Any]) -> None:
        self.store = store
        self.session = session
        self.usable = set(planning.domain_session(session).slots)
        self.slots = {s["id"]: s for s in session["slots"]}
        self._away_slots: dict[str, set[str]] | None = None
        self.people = planning.interpreter_people(session)
        self._seated: dict[str, str | None] = {}

    # -- one meeting ---------------------------------------------------------------------------------

    def _away(self, participation_id: str, slot: str) -> bool:
        if self._away_slots is None:  # read once per booker: a run places every meeting of the session
            self._away_slots = {pid: set(slots) for pid, slots in self._time_away().items()}
        return slot in self._away_slots.get(participation_id, set())

    def _time_away(self) -> dict[str, list[str]]:
        """participant -> usable slots it is away: the slots it gave for this session, the periods it gave for
        the edition (booth duty…) and the site visits it signed up for in the edition's programme."""
        edition_id = self.session["edition_id"]
        away = planning.availability(self.session, self.store.away(self.session["_id"]))
        for more in (
            planning.periods_away(self.session, self.store.time_away(edition_id)),
            planning.programme_away(self.session, self.store.edition(edition_id), self.store.participants(edition_id)),
        ):
            for pid, slots in more.items():
                away[pid] = sorted(set(away.get(pid, [])) | set(slots))
        return away

    def _tables_for(self, meeting: dict[str, Any], asked: str | None) -> list[str]:
        """The tables a placement may try: the supplier's own if it has one, else the asked one or every
        shared table (never another supplier's own)."""
        own = self.session.get("supplier_tables") or {}
        mine = own.get(meeting["supplier"]["participation_id"])
        if mine is not None:
            if asked not in (None, mine):
                raise PlaceRefused("table_taken", f"The supplier has its own table, {mine}.")
            return [mine]
        if asked in own.values():
            raise PlaceRefused("table_taken", f"Table {asked} is another supplier's own.")
        return [asked] if asked else [t for t in self._tables_in_order(meeting) if t not in own.values()]

    def _tables_in_order(self, meeting: dict[str, Any]) -> list[str]:
        """The supplier's usual table first: suppliers stay put while buyers move round."""
        usual = [
            m.get("table")
            for m in self.store.meetings(
                {
                    "session_id": self.session["_id"],
                    "status": "accepted",
                    "supplier.participation_id": meeting["supplier"]["participation_id"],
                }
            )
            if m.get("table")
        ]
        tables = list(self.session["tables"])
        return sorted(tables, key=lambda t: (-usual.count(t), tables.index(t)))

    def _take(self, key: str, meeting_id: str, taken: Taken, slot: str) -> bool:
        got = self.store.take_hold(key, self.session["_id"], meeting_id, slot)
        if got is None:
            return False
        taken.keys.append(key)
        if got == "new":
            taken.new.append(key)
        return True

    def undo(self, taken: Taken, meeting_id: str) -> None:
        """Give back what a failed placement inserted, never a hold the meeting already had."""
        for key in taken.new:
            self.store.drop_hold(key, meeting_id)

    def hold_people(self, meeting: dict[str, Any], slot: str, taken: Taken | None = None) -> Taken:
        """Both participants' holds on ``slot``'s time (for a request naming a slot, or a placement).

        A person's holds are keyed by the edition's time steps, not by this
        session's slot, so a meeting in another session at an overlapping time
        refuses this one just as a meeting in the same slot does.
        """
        taken = taken or Taken()
        if slot not in self.usable:
            raise PlaceRefused("unavailable", f"{slot} is not a meeting slot of this session (or a break).")
        steps = planning.busy_steps(self.slots[slot])
        for side in ("supplier", "buyer"):
            pid = meeting[side]["participation_id"]
            if self._away(pid, slot):
                self.undo(taken, meeting["_id"])
                raise PlaceRefused("unavailable", f"The {side} is not available at {slot}.")
            for step in steps:
                if not self._take(participant_hold(self.session["edition_id"], pid, step), meeting["_id"], taken, slot):
                    self.undo(taken, meeting["_id"])
                    raise PlaceRefused(
                        "participant_busy",
                        f"The {side} has another meeting at {slot} (in this or an overlapping session).",
                    )
        return taken

    def seated(self, taken: Taken) -> dict[str, Any]:
        """The meeting field a placement writes besides slot and table: its named interpreter (nothing in a
        session that counts seats, whose meetings look as they always did)."""
        return {"interpreter": taken.interpreter} if self.people else {}

    def place(self, meeting: dict[str, Any], slot: str, table: str | None = None) -> Taken:
        """Take people, a table (the given one, else the first free) and an interpreter at ``slot``: a seat
        of its language, or a named interpreter who speaks it and is not away (the one it had first).

        One at a time, a named interpreter is taken greedily among those free:
        it may refuse a place that reassigning the slot's interpreters would
        allow (a run does that matching); it never double-books anyone.
        On refusal, whatever this call inserted is given back.
        """
        sid, mid = self.session["_id"], meeting["_id"]
        if table is not None and table not in self.session["tables"]:
            raise PlaceRefused("no_table", f"No table {table} in this session.")
        candidates = self._tables_for(meeting, table)
        taken = self.hold_people(meeting, slot)
        for candidate in candidates:
            if self._take(table_hold(sid, candidate, slot), mid, taken, slot):
                taken.table = candidate
                break
        if taken.table is None:
            self.undo(taken, mid)
            raise PlaceRefused(
                "table_taken" if table else "no_table",
                f"Table {table} is taken at {slot}." if table else f"No table is free at {slot}.",
            )
        language = meeting.get("language")
        if language and self.people:
            able = sorted(
                (p.id for p in self.people if language in p.languages and slot not in p.away),
                key=lambda pid: (pid != meeting.get("interpreter"), pid),
            )
            taken.interpreter = next(
                (pid for pid in able if self._take(person_hold(sid, pid, slot), mid, taken, slot)), None
            )
            if taken.interpreter is None:
                self.undo(taken, mid)
                raise PlaceRefused("no_interpreter", f"No {language} interpreter is free at {slot}.")
        elif language:
            seats = int((self.session.get("interpreters") or {}).get(language, 0))
            if not any(self._take(interpreter_hold(sid, language, slot, k), mid, taken, slot) for k in range(seats)):
                self.undo(taken, mid)
                raise PlaceRefused("no_interpreter", f"No {language} interpreter is free at {slot}.")
        return taken

    def restore(self, meeting: dict[str, Any]) -> bool:
        """Take back the holds of a placed meeting that lost them (a timetable run cut off after dropping
        them); if someone took the place meanwhile, the meeting is unplaced and announced. True if it kept
        its place."""
        try:
            held = self.place(meeting, meeting["slot"], meeting["table"])
        except PlaceRefused:
            self._set_place(meeting, None, None, set(), reason="conflict")
            return False
        if self.people and held.interpreter != meeting.get("interpreter"):  # its own was taken meanwhile
            self._set_place(meeting, meeting["slot"], meeting["table"], set(), interpreter=held.interpreter)
        return True

    # -- a whole timetable ----------------------------------------------------------------------------

    def _timetable(
        self, accepted: list[dict[str, Any]], full: bool, rebook: set[str], now: str | None
    ) -> tuple[Timetable, str]:
        session = planning.domain_session(self.session)
        away = self._time_away()
        for pid, slots in self._busy_elsewhere().items():
            away[pid] = sorted(set(away.get(pid, [])) | set(slots))
        interpreters = planning.interpreter_capacity(self.session)
        meetings = {m["_id"]: planning.domain_meeting(m) for m in accepted}
        locks = [
            b
            for m in accepted
            if m.get("locked") and m["_id"] not in rebook and (b := planning.booking_of(m)) is not None
        ]
        placed = [b for m in accepted if m.get("slot") and (b := planning.booking_of(m)) is not None]
        # CPU-bound and pure: in an OS thread, so the service's eventlet hub keeps answering meanwhile
        return tpool.execute(
            solve,
            session,
            meetings,
            away,
            interpreters,
            locks,
            placed,
            planning.objectives(self.session),
            full,
            rebook,
            now,
        )

    def _busy_elsewhere(self) -> dict[str, list[str]]:
        """participant -> this session's usable slots at which it has a meeting (or a held request) in an
        overlapping session of the edition: the optimiser plans around them as it does around time away."""
        others = [
            s
            for s in self.store.sessions(self.session["edition_id"])
            if s["_id"] != self.session["_id"] and planning.overlapping_slots(self.session, s["slots"])
        ]
        if not others:
            return {}
        slot_of = {(s["_id"], slot["id"]): slot for s in others for slot in s["slots"]}
        busy: dict[str, list[dict[str, str]]] = {}
        for m in self.store.meetings(
            {"session_id": {"$in": [s["_id"] for s in others]}, "status": {"$in": list(OPEN)}}
        ):
            at = slot_of.get((m["session_id"], m.get("slot") or m.get("held_slot") or ""))
            if at:
                for side in ("supplier", "buyer"):
                    busy.setdefault(m[side]["participation_id"], []).append(at)
        return {
            pid: [s for s in planning.overlapping_slots(self.session, times) if s in self.usable]
            for pid, times in busy.items()
        }

    def run(
        self,
        full: bool = False,
        rebook_no_shows: bool = False,
        now: str | None = None,
        announce: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> RunResult:
        """Schedule every accepted meeting; move as few as possible; announce what changed."""
        accepted = self.store.meetings({"session_id": self.session["_id"], "status": "accepted"})
        by_id = {m["_id"]: m for m in accepted}
        rebook = {m["_id"] for m in accepted if m.get("live") == "no_show"} if rebook_no_shows else set()
        started = time.perf_counter()
        timetable, mode = self._timetable(accepted, full, rebook, now)
        solver_ms = round((time.perf_counter() - started) * 1000, 2)
        after = {b.meeting_id: b for b in timetable.bookings}
        seated = self._match_interpreters(by_id, after)
        changing = [
            mid
            for mid, m in by_id.items()
            if (m.get("slot"), m.get("table"))
            != ((after[mid].slot, after[mid].table) if mid in after else (None, None))
            or (mid in seated and m.get("interpreter") != seated[mid])
        ]
        self.store.drop_holds_of(changing)  # free the old places first, so swaps between meetings go through
        self._seated = seated
        conflicts, moved = self._write_places(sorted(changing), by_id, after, rebook)
        reasons = {u.meeting_id: u.reason for u in timetable.unplaced}
        placed_again = {mid: None for mid in after if by_id[mid].get("unplaced_reason") and mid not in conflicts}
        self.store.set_unplaced_reasons(
            {
                mid: reason
                for mid, reason in {**reasons, **placed_again}.items()
                if by_id[mid].get("unplaced_reason") != reason
            }
        )  # only what changes
        run = {
            "_id": new_id("run"),
            "session_id": self.session["_id"],
            "edition_id": self.session["edition_id"],
            "mode": mode,
            "at": now_text(),
            "meetings": len(accepted),
            "scheduled": len(after) - len(conflicts),
            "delta": timetable.delta,
            "slots_used": timetable.slots_used,
            "slots_available": len(self.usable),
            "unplaced": [{"meeting_id": mid, "reason": r} for mid, r in sorted(reasons.items())]
            + [{"meeting_id": mid, "reason": "conflict"} for mid in conflicts],
            "moved": sorted(moved),
            "solver_ms": solver_ms,
            "objectives": planning.scores(timetable),
        }
        self.store.save_run(run, ev.session_scheduled(run))
        return RunResult(run, conflicts)

    def _match_interpreters(self, by_id: dict[str, dict[str, Any]], after: dict[str, Booking]) -> dict[str, str | None]:
        """meeting -> named interpreter for every placed meeting needing a language (empty with seat counts):
        a matching per slot, keeping the interpreter a meeting has where it can.  The optimiser's capacities
        guarantee one exists (Hall); None marks a meeting the people cannot staff, which its write refuses."""
        if not self.people:
            return {}
        needs = {mid: (b.slot, by_id[mid]["language"]) for mid, b in after.items() if by_id[mid].get("language")}
        return assign(self.people, needs, {mid: by_id[mid].get("interpreter") for mid in needs})

    def _write_places(
        self, changing: list[str], by_id: dict[str, dict[str, Any]], after: dict[str, Booking], rebook: set[str]
    ) -> tuple[list[str], list[str]]:
        """Hold and write the new place of every changing meeting in a few round trips; (conflicts, moved).

        One meeting at a time cost ~150 ms a meeting on the embedded store (an
        insert per hold, a read of the supplier's meetings, a conditional
        update), so a thousand meetings outlived the gateway's deadline.  Here:
        every new hold in one unordered insert, every meeting in one bulk of
        conditional updates that stage their events in the same documents.

        The rules are those of :meth:`place` and :meth:`_set_place`: a meeting
        one of whose keys someone else took meanwhile (a pick between the solve
        and this write) gives back the holds it did get and is placed once more
        as one pick would be (refused, it is unplaced ``conflict``); a meeting that changed meanwhile (its conditional
        update did not apply) gives back its new holds.

        A crash leaves what the one-at-a-time path leaves, only for more
        meetings at once: after the insert and before the meeting writes, holds
        at places their meetings are not (the sweep drops them after a minute)
        and placed meetings without their holds (the sweep gives them back or
        unplaces them ``conflict``); after the meeting writes and before a
        give-back, holds of meetings that are elsewhere (dropped by the sweep).
        """
        sid = self.session["_id"]
        seated = self._seated  # meeting -> named interpreter, from run (empty with seat counts)
        wanted: dict[str, list[str]] = {}  # meeting -> the keys of its new place
        refused: set[str] = set()
        for mid in changing:
            booking = after.get(mid)
            if booking is None:
                continue
            keys = self._keys_of(by_id[mid], booking)
            if keys is None:
                refused.add(mid)
            else:
                wanted[mid] = keys
        if self.people:
            for mid, keys in wanted.items():
                if by_id[mid].get("language"):
                    pid = seated.get(mid)
                    wanted[mid] = [*keys, person_hold(sid, pid, after[mid].slot)] if keys and pid else None
        else:
            self._seat_interpreters(wanted, by_id, after)
        refused |= {mid for mid, keys in wanted.items() if keys is None}
        wanted = {mid: keys for mid, keys in wanted.items() if keys is not None and mid not in refused}
        taken = self.store.take_holds(
            [(key, mid, after[mid].slot) for mid, keys in wanted.items() for key in keys], sid
        )
        owners = self.store.hold_owners(taken)
        new: dict[str, list[str]] = {}
        for mid, keys in wanted.items():
            new[mid] = [k for k in keys if k not in taken]
            if any(k in taken and owners.get(k) != mid for k in keys):
                # taken meanwhile: give back what it got, then place it as one pick would (another
                # interpreter seat may still be free); refused, it is unplaced
                self.store.give_back_holds(mid, new.pop(mid))
                try:
                    held = self.place(by_id[mid], after[mid].slot, after[mid].table)
                    new[mid], seated[mid] = held.new, held.interpreter
                except PlaceRefused:
                    refused.add(mid)
        changes: list[Change] = []
        for mid in changing:
            booking = after.get(mid)
            if booking is None:
                changes.append(self._change(by_id[mid], None, None, rebook))
            elif mid in refused:  # someone picked this place while the optimiser ran
                changes.append(self._change(by_id[mid], None, None, rebook, reason="conflict"))
            else:
                changes.append(
                    self._change(by_id[mid], booking.slot, booking.table, rebook, interpreter=seated.get(mid))
                )
        applied = self.store.change_meetings(changes)
        for mid, keys in new.items():
            if mid not in applied:  # cancelled or moved meanwhile: its new place goes back
                self.store.give_back_holds(mid, keys)
        moved = [
            mid
            for mid in new
            if mid in applied
            and by_id[mid].get("slot")
            and (by_id[mid]["slot"], by_id[mid].get("table")) != (after[mid].slot, after[mid].table)
        ]
        return sorted(refused), moved

    def _keys_of(self, meeting: dict[str, Any], booking: Booking) -> list[str] | None:
        """The people's and the table's hold keys of a solved place, or None if :meth:`place` would refuse it
        before taking anything (the slot is not a meeting slot, someone is away, no such table)."""
        slot = booking.slot
        if slot not in self.usable or booking.table not in self.session["tables"]:
            return None
        keys = []
        steps = planning.busy_steps(self.slots[slot])
        for side in ("supplier", "buyer"):
            pid = meeting[side]["participation_id"]
            if self._away(pid, slot):
                return None
            keys += [participant_hold(self.session["edition_id"], pid, step) for step in steps]
        return [*keys, table_hold(self.session["_id"], booking.table, slot)]

    def _seat_interpreters(
        self, wanted: dict[str, list[str] | None], by_id: dict[str, dict[str, Any]], after: dict[str, Booking]
    ) -> None:
        """Add a free interpreter seat's key to each meeting that needs a language (None: no seat is free),
        from one read of the seats' holds."""
        sid = self.session["_id"]
        seats = {k: int(v) for k, v in (self.session.get("interpreters") or {}).items()}
        needs = {mid: (by_id[mid]["language"], after[mid].slot) for mid in wanted if by_id[mid].get("language")}
        candidates = {
            need: [interpreter_hold(sid, need[0], need[1], k) for k in range(seats.get(need[0], 0))]
            for need in set(needs.values())
        }
        held = self.store.hold_owners(key for keys in candidates.values() for key in keys)
        free = {need: [k for k in keys if k not in held] for need, keys in candidates.items()}
        for mid, need in sorted(needs.items()):
            wanted[mid] = [*wanted[mid], free[need].pop(0)] if free[need] else None

    def _set_place(
        self,
        doc: dict[str, Any],
        slot: str | None,
        table: str | None,
        rebook: set[str],
        reason: str | None = None,
        interpreter: str | None = None,
    ) -> bool:
        """Write a meeting's new place with its event: scheduled the first time, rescheduled after."""
        change = self._change(doc, slot, table, rebook, reason, interpreter)
        return (
            self.store.change_meeting(doc, change.expect, change.changes, change.events_for, change.bump_sequence)
            is not None
        )

    def _change(
        self,
        doc: dict[str, Any],
        slot: str | None,
        table: str | None,
        rebook: set[str],
        reason: str | None = None,
        interpreter: str | None = None,
    ) -> Change:
        """A meeting's new place as a conditional change (still accepted, still where it was read) with its
        event: scheduled the first time, rescheduled after; a new interpreter alone announces nothing (the
        events carry no interpreter: names are personal data)."""
        before_slot, before_table = doc.get("slot"), doc.get("table")
        changes: dict[str, Any] = {"slot": slot, "table": table, "unplaced_reason": reason}
        if self.people:
            changes["interpreter"] = interpreter if slot else None
        same_place = (before_slot, before_table) == (slot, table)
        if doc["_id"] in rebook:
            changes["live"] = None
        session = self.session

        def events(after: dict[str, Any]) -> list[dict[str, Any]]:
            if same_place:
                return []
            if before_slot is None:
                return [ev.meeting_event("scheduled", after, session)] if slot else []
            return [ev.meeting_rescheduled(after, session, before_slot, before_table)]

        return Change(
            doc,
            {"status": "accepted", "slot": before_slot},
            changes,
            events,
            bump_sequence=before_slot is not None and not same_place,
        )
