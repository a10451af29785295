"""B2B sessions: creating and reading them, participants' availability, and the planning aid.

A session is one day's grid of slots and tables in an edition; everything
else in the service (requests, timetables, agendas) happens within one.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from typing import Any

from meetings import access, planning, views, what_if
from meetings import events as ev
from meetings.booking import Booker
from meetings.domain.timetable import tables_needed
from meetings.schemas import AvailabilityIn, SessionIn, SupplierTablesIn
from meetings.store import OPEN, MeetingsStore
from shared import pages
from shared.entrypoints import rpc
from shared.errors import InvalidInput, field_error
from shared.ids import new_id
from shared.timestamps import now_text
from shared.validation import gather, load


def _on_a_day_of(edition: dict[str, Any], day: str) -> None:
    """A rule on the stored edition's days: answered with the session's other such rules, at once."""
    if not edition["starts_on"] <= day <= edition["ends_on"]:
        raise InvalidInput(
            "The session must be on a day of the edition.",
            errors=[field_error("date", "out_of_range", f"Between {edition['starts_on']} and {edition['ends_on']}.")],
        )


def _break_slots(slots: list[dict[str, str]], breaks: list[str]) -> list[str]:
    """The slots the breaks take; a break must start with a slot, in the edition's clock."""
    try:
        return planning.break_slots(slots, breaks)
    except ValueError as exc:
        raise InvalidInput(
            "A break must start when a slot starts.", errors=[field_error("breaks", "invalid", str(exc))]
        ) from None


class Sessions:
    store: MeetingsStore
    _edition: Callable[[str], dict[str, Any]]
    _session: Callable[[str], dict[str, Any]]
    _participant: Callable[..., dict[str, Any]]

    @rpc
    def create_session(self, actor: dict | None, edition_id: str, payload: dict) -> dict:
        edition = self._edition(edition_id)
        access.require_organiser(actor, edition["series_id"])
        data = load(SessionIn, payload)
        day = data["date"]
        slots = planning.slot_times(day, data["starts_at"], data["slot_minutes"], data["slots"], edition["timezone"])
        _, breaks = gather(lambda: _on_a_day_of(edition, day.isoformat()), lambda: _break_slots(slots, data["breaks"]))
        session = {
            "_id": new_id("ses"),
            "edition_id": edition_id,
            "series_id": edition["series_id"],
            "name": data["name"],
            "date": day.isoformat(),
            "timezone": edition["timezone"],
            "venue": edition.get("venue"),
            "slot_minutes": data["slot_minutes"],
            "slots": slots,
            "breaks": breaks,
            "tables": planning.table_ids(data["tables"]),
            "mode": data["mode"],
            "settings": {"auto_accept": data["auto_accept"]},
            "request_ttl_hours": data["request_ttl_hours"],
            "max_meetings": data["max_meetings"],
            "interpreters": data["interpreters"],
            "interpreter_people": data["interpreter_people"],
            "objectives": data["objectives"],
            "agenda": None,
            "scheduler": None,
            "created_at": now_text(),
        }
        self.store.insert_session(session, ev.session_created(session))
        return views.session(session)

    @rpc
    def sessions(self, edition_id: str, query: dict | None = None) -> dict:
        self._edition(edition_id)
        wanted = pages.requested(query, f"sessions:{edition_id}")
        return self.store.page("sessions", {"edition_id": edition_id}, wanted).answer(views.session)

    @rpc
    def session(self, session_id: str) -> dict:
        session = self._session(session_id)
        return views.session(session, self.store.last_run(session_id))

    @rpc
    def set_availability(self, actor: dict | None, session_id: str, participation_id: str, payload: dict) -> dict:
        """Slots a participant is away (a site visit, booth duty); scheduling and picks respect them."""
        session = self._session(session_id)
        participant = self._participant(participation_id, session["edition_id"])
        access.require_acting_for(actor, participant, session["series_id"])
        data = load(AvailabilityIn, payload)
        known = {s["id"] for s in session["slots"]}
        unknown = [
            field_error(f"away.{i}", "not_found", f"No slot {s}.") for i, s in enumerate(data["away"]) if s not in known
        ]
        if unknown:
            raise InvalidInput("Some slots do not exist in this session.", errors=unknown)
        away = sorted(set(data["away"]))
        self.store.set_away(
            session_id,
            participation_id,
            away,
            data.get("reason"),
            ev.availability_changed(session, participation_id, away),
        )
        return {"participation_id": participation_id, "away": away, "reason": data.get("reason")}

    @rpc
    def set_supplier_tables(self, actor: dict | None, session_id: str, payload: dict) -> dict:
        """A table of its own for each listed supplier (samples, a banner): its meetings sit there and no one
        else's do.  Placed meetings move to it at the next run; the answer says how many will."""
        session = self._session(session_id)
        access.require_organiser(actor, session["series_id"])
        tables = load(SupplierTablesIn, payload)["tables"]
        errors, owner = [], {}
        for pid, table in sorted(tables.items()):
            participant = self.store.participant(pid)
            if (
                participant is None
                or participant["edition_id"] != session["edition_id"]
                or participant["status"] != "eligible"
                or participant["side"] != "supplier"
            ):
                errors.append(
                    field_error(f"tables.{pid}", "not_a_supplier", "No approved supplier with this id in this edition.")
                )
            if table not in session["tables"]:
                errors.append(field_error(f"tables.{pid}", "not_found", f"No table {table} in this session."))
            elif table in owner:
                errors.append(
                    field_error(f"tables.{pid}", "table_given_twice", f"{table} is already {owner[table]}'s.")
                )
            owner.setdefault(table, pid)
        if errors:
            raise InvalidInput("Some tables cannot be given.", errors=errors)
        self.store.set_supplier_tables(session_id, tables, ev.supplier_tables_set(session, tables))
        placed = self.store.meetings({"session_id": session_id, "status": "accepted"})
        reserved = set(tables.values())
        moves = sum(
            1
            for m in placed
            if m.get("table")
            and (
                tables.get(m["supplier"]["participation_id"], m["table"]) != m["table"]
                or (m["supplier"]["participation_id"] not in tables and m["table"] in reserved)
            )
        )
        return {**views.session(self._session(session_id)), "moves_on_next_run": moves}

    @rpc
    def plan(self, actor: dict | None, session_id: str) -> dict:
        """Planning aid: the tables and slots the accepted (and pending) requests need, before booking the hall."""
        session = self._session(session_id)
        access.require_organiser(actor, session["series_id"])
        found = self.store.meetings({"session_id": session_id, "status": {"$in": list(OPEN)}})
        usable = planning.domain_session(session).slots
        accepted = [planning.domain_meeting(m) for m in found if m["status"] == "accepted"]
        everything = [planning.domain_meeting(m) for m in found]
        now, later = tables_needed(accepted, usable), tables_needed(everything, usable)
        peak: dict[str, Counter[str]] = {}
        for m in found:
            if m["status"] == "accepted" and m.get("slot") and m.get("language"):
                peak.setdefault(m["language"], Counter())[m["slot"]] += 1
        have = planning.interpreter_counts(session)

        def need(meetings: list[Any]) -> dict[str, dict[str, int]]:
            """language -> its meetings, the interpreters a slot needs if they are spread over every usable
            slot (⌈meetings / slots⌉), the busiest slot of the current timetable, and who speaks it."""
            counts = Counter(m.language for m in meetings if m.language)
            return {
                language: {
                    "meetings": n,
                    "per_slot": math.ceil(n / len(usable)),
                    "peak": max(peak.get(language, Counter()).values(), default=0),
                    "available": have.get(language, 0),
                }
                for language, n in sorted(counts.items())
            }

        return {
            "session_id": session_id,
            "slots_available": len(usable),
            "tables_booked": len(session["tables"]),
            "accepted": {
                "meetings": len(accepted),
                "tables_needed": now.tables,
                "min_slots": now.min_slots,
                "fits": now.fits,
                "interpreters_needed": need(accepted),
            },
            "if_all_pending_accepted": {
                "meetings": len(everything),
                "tables_needed": later.tables,
                "min_slots": later.min_slots,
                "fits": later.fits,
                "interpreters_needed": need(everything),
            },
            "hints": self._hints(session, found),
        }

    def _hints(self, session: dict[str, Any], found: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """What would place the meetings the last run left out (:mod:`meetings.what_if`), on what is accepted now."""
        run = self.store.last_run(session["_id"])
        unplaced = {u["meeting_id"]: u["reason"] for u in (run or {}).get("unplaced", [])}
        accepted = [m for m in found if m["status"] == "accepted"]
        return what_if.hints(
            session,
            accepted,
            unplaced,
            lambda variant: Booker(self.store, variant)._timetable(accepted, True, set(), None)[0],
        )
