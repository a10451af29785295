"""The meetings service: B2B matchmaking, timetables, agendas and MOUs.

It learns editions, organisations, products and approved suppliers and buyers
from registration's events (never from registration's database) and
announces every change of a meeting.  The entrypoints are grouped by feature
in :mod:`meetings.features` (one mixin each, listed below); this class holds
the service's name, its dependency providers, and the lookups and the
closing of a meeting that several features share.  Who may do what is
:mod:`meetings.access`; scheduling is :mod:`meetings.domain.timetable`; the
holds that keep anyone from being in two places are in :mod:`meetings.booking`.
"""

from __future__ import annotations

from typing import Any

from meetings import events as ev
from meetings import planning
from meetings.domain.matching import Profile

# feature mixins imported as modules: `nameko run meetings.service` runs every class here with entrypoints
from meetings.features import (
    agendas,
    day,
    intake,
    matchmaking,
    mous,
    open_data,
    requests,
    sessions,
    time_away,
    timetable,
    upkeep,
)
from meetings.store import COLLECTIONS, MeetingsStore
from shared.context import RequestContext
from shared.entrypoints import rpc
from shared.errors import NotFound, field_error
from shared.events.outbox import OutboxRelay
from shared.metrics import ServiceMetrics
from shared.store import Store
from shared.timestamps import now_text


class MeetingsService(
    intake.Intake,
    sessions.Sessions,
    time_away.TimeAway,
    matchmaking.Matchmaking,
    requests.Requests,
    upkeep.Upkeep,
    timetable.Timetabling,
    agendas.Agendas,
    day.OnTheDay,
    mous.Mous,
    open_data.OpenData,
):
    name = "meetings"

    store = Store("meetings", MeetingsStore)
    relay = OutboxRelay("meetings", COLLECTIONS)
    metrics = ServiceMetrics()
    request_id = RequestContext()

    @rpc
    def ping(self) -> dict[str, bool]:
        return {"store": self.store.ping()}

    # -- lookups every feature needs: a 404 with the API's code when missing ------------------------------

    def _edition(self, edition_id: str) -> dict[str, Any]:
        edition = self.store.edition(edition_id)
        if edition is None:
            raise NotFound("No such edition (or not known to the meetings service yet).", code="edition_not_found")
        return edition

    def _session(self, session_id: str) -> dict[str, Any]:
        session = self.store.session(session_id)
        if session is None:
            raise NotFound("No such B2B session.", code="session_not_found")
        return session

    def _meeting(self, meeting_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        meeting = self.store.meeting(meeting_id)
        if meeting is None:
            raise NotFound("No such meeting.", code="meeting_not_found")
        return meeting, self._session(meeting["session_id"])

    def _participant(self, participation_id: str, edition_id: str, field: str = "participation_id") -> dict:
        participant = self.store.participant(participation_id)
        if participant is None or participant["edition_id"] != edition_id or participant["status"] != "eligible":
            raise NotFound(
                "No approved supplier or buyer with this id in this edition.",
                code="participation_not_found",
                errors=[field_error(field, "not_found", "Unknown.")],
            )
        return participant

    def _profiles(self, participants: list[dict[str, Any]]) -> dict[str, Profile]:
        """Matchmaking profiles (matchmaking's suggestions, and a new meeting's language)."""
        orgs = self.store.organisations(p["organisation_id"] for p in participants)
        products = self.store.products(p["organisation_id"] for p in participants)
        return {
            p["_id"]: planning.profile(p, orgs.get(p["organisation_id"]), products.get(p["organisation_id"], []))
            for p in participants
        }

    # -- closing a meeting: an answer (requests), a cancelled participant (intake), expiry (upkeep) ----------

    def _close(self, meeting: dict[str, Any], status: str, reason: str, text: str | None = None) -> dict | None:
        """requested|accepted → declined|expired|cancelled, once; frees its holds and both limits.

        ``reason`` is a code that goes into the event; ``text``, what a person
        wrote, stays with the meeting.
        """
        session = self._session(meeting["session_id"])
        had_slot = meeting.get("slot")
        changes = {
            "status": status,
            "reason": reason,
            "reason_text": text,
            "slot": None,
            "table": None,
            "held_slot": None,
            "locked": None,
            "closed_at": now_text(),
        }
        if had_slot:
            changes.update(last_slot=had_slot, last_table=meeting.get("table"))
        after = self.store.change_meeting(
            meeting,
            {"status": meeting["status"], "version": meeting.get("version", 1)},
            changes,
            lambda m: [
                ev.meeting_event(status, {**m, "slot": had_slot, "table": meeting.get("table")}, session, reason=reason)
            ],
            bump_sequence=bool(had_slot),
        )
        if after is not None:
            self.store.drop_holds(meeting["_id"])
            for side in ("supplier", "buyer"):
                self.store.give_back_load(session["_id"], meeting[side]["participation_id"])
        return after
