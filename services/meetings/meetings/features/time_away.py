"""Time away said once for the edition, in times (booth duty, a visit of its own), not per session in slots.

Every session of the edition, present and future, turns the periods into the
slots they overlap (:func:`meetings.planning.periods_away`) whenever it places
a meeting, so nobody re-enters slot ids and a session created later respects
them too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from meetings import access, planning
from meetings import events as ev
from meetings.schemas import TimeAwayIn
from meetings.store import OPEN, MeetingsStore
from shared.entrypoints import rpc
from shared.errors import InvalidInput, field_error
from shared.validation import load


class TimeAway:
    store: MeetingsStore
    _edition: Callable[[str], dict[str, Any]]
    _session: Callable[[str], dict[str, Any]]
    _participant: Callable[..., dict[str, Any]]

    @rpc
    def set_time_away(self, actor: dict | None, edition_id: str, participation_id: str, payload: dict) -> dict:
        """The periods a participant is away during the edition (booth duty…), in times, said once: every
        session of the edition, present and future, keeps it out of the slots they overlap."""
        edition = self._edition(edition_id)
        participant = self._participant(participation_id, edition_id)
        access.require_acting_for(actor, participant, edition["series_id"])
        data = load(TimeAwayIn, payload)
        zone = ZoneInfo(edition["timezone"])
        first, last = date.fromisoformat(edition["starts_on"]), date.fromisoformat(edition["ends_on"])
        periods, errors = [], []
        for i, period in enumerate(data["periods"]):
            starts, ends = period["starts_at"].astimezone(zone), period["ends_at"].astimezone(zone)
            if starts.date() < first or ends.date() > last:
                errors.append(
                    field_error(
                        f"periods.{i}.starts_at",
                        "out_of_range",
                        f"Within the edition's days ({edition['starts_on']} to "
                        f"{edition['ends_on']}, {edition['timezone']}).",
                    )
                )
            periods.append({"kind": period["kind"], "starts_at": starts.isoformat(), "ends_at": ends.isoformat()})
        if errors:
            raise InvalidInput("Some periods are outside the edition.", errors=errors)
        periods.sort(key=lambda p: (p["starts_at"], p["ends_at"], p["kind"]))
        self.store.set_time_away(
            edition_id, participation_id, periods, ev.time_away_changed(edition_id, participation_id, periods)
        )
        return {
            "participation_id": participation_id,
            "edition_id": edition_id,
            "periods": periods,
            "clashes": self._clashes(edition_id, participation_id, periods),
        }

    def _clashes(self, edition_id: str, participation_id: str, periods: list[dict[str, Any]]) -> list[dict]:
        """Meetings already at a time now away (placed, or a pick request holding its slot): they stay
        (nobody's meeting vanishes behind their back) until the organiser's next run moves them, and the
        participant sees which ones."""
        found = self.store.meetings(
            {
                "edition_id": edition_id,
                "status": {"$in": list(OPEN)},
                "$or": [{"supplier.participation_id": participation_id}, {"buyer.participation_id": participation_id}],
            }
        )
        at = {m["_id"]: m.get("slot") or m.get("held_slot") for m in found}  # a pick request holds its slot too
        clashes = []
        for session_id in sorted({m["session_id"] for m in found if at[m["_id"]]}):
            away = planning.periods_away(
                self._session(session_id), [{"participation_id": participation_id, "periods": periods}]
            ).get(participation_id, [])
            clashes += [
                {"meeting_id": m["_id"], "session_id": session_id, "slot": at[m["_id"]]}
                for m in found
                if m["session_id"] == session_id and at[m["_id"]] in away
            ]
        return sorted(clashes, key=lambda c: (c["session_id"], c["slot"], c["meeting_id"]))

    @rpc
    def time_away(self, actor: dict | None, edition_id: str, participation_id: str) -> dict:
        edition = self._edition(edition_id)
        participant = self._participant(participation_id, edition_id)
        access.require_acting_for(actor, participant, edition["series_id"])
        found = self.store.time_away(edition_id, participation_id)
        return {
            "participation_id": participation_id,
            "edition_id": edition_id,
            "periods": found[0]["periods"] if found else [],
        }
