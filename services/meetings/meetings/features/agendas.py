"""Agendas: publishing a session's agenda, and each participant's, as JSON, iCalendar or a printed page;
and the organisers' table sheets.

Publishing announces the agenda, so that notifications sends every
participant its own (through :meth:`Agendas.agenda_for`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from meetings import access, printing, views
from meetings import events as ev
from meetings.schemas import AgendaIn
from meetings.store import MeetingsStore
from shared.calendar import calendar
from shared.entrypoints import rpc
from shared.errors import Conflict, NotFound
from shared.timestamps import local_iso, now_text
from shared.validation import load


class Agendas:
    store: MeetingsStore
    _session: Callable[[str], dict[str, Any]]

    @rpc
    def publish_agenda(self, actor: dict | None, session_id: str, payload: dict) -> dict:
        """Preliminary, then final: announced so that notifications sends each participant its agenda."""
        session = self._session(session_id)
        access.require_organiser(actor, session["series_id"])
        stage = load(AgendaIn, payload)["stage"]
        current = session.get("agenda") or {}
        if current.get("stage") == "final" and stage == "preliminary":
            raise Conflict("The final agenda is out; publish a new final version instead.", code="agenda_final")
        placed = self.store.meetings({"session_id": session_id, "status": "accepted", "slot": {"$ne": None}})
        participants = sorted({m[s]["participation_id"] for m in placed for s in ("supplier", "buyer")})
        agenda = {"stage": stage, "version": current.get("version", 0) + 1, "published_at": now_text()}
        after = self.store.publish_agenda(session, agenda, lambda s: ev.agenda_published(s, participants))
        if after is None:
            raise Conflict("Someone published this agenda meanwhile; reload.", code="agenda_changed")
        return {
            **agenda,
            "published_at": local_iso(agenda["published_at"], session["timezone"]),
            "session_id": session_id,
            "participants": len(participants),
            "meetings": len(placed),
        }

    def _agenda(self, actor: dict | None, session_id: str, participation_id: str) -> dict[str, Any]:
        session = self._session(session_id)
        participant = self.store.participant(participation_id)
        if participant is None or participant["edition_id"] != session["edition_id"]:
            raise NotFound("No such participant in this session's edition.", code="participation_not_found")
        access.require_acting_for(actor, participant, session["series_id"])
        mine = self.store.meetings(
            {
                "session_id": session_id,
                "$or": [{"supplier.participation_id": participation_id}, {"buyer.participation_id": participation_id}],
            }
        )
        return views.agenda(session, participant, mine)

    @rpc
    def agenda(self, actor: dict | None, session_id: str, participation_id: str) -> dict:
        return self._agenda(actor, session_id, participation_id)

    @rpc
    def agenda_calendar(self, actor: dict | None, session_id: str, participation_id: str, language: str = "vi") -> str:
        """The agenda as iCalendar: one stable UID per meeting, SEQUENCE raised by every move."""
        view = self._agenda(actor, session_id, participation_id)
        name = view["session_name"].get(language) or view["session_name"]["vi"]
        return calendar(views.calendar_entries(view, language), "PUBLISH", name).decode("utf-8")

    @rpc
    def agenda_page(self, actor: dict | None, session_id: str, participation_id: str, language: str = "vi") -> str:
        return printing.agenda_page(self._agenda(actor, session_id, participation_id), language)

    @rpc
    def agenda_for(self, session_id: str, participation_id: str) -> dict:
        """Internal (notifications, on ``agenda.published``): one participant's agenda, organisations only."""
        session = self._session(session_id)
        participant = self.store.participant(participation_id)
        if participant is None:
            raise NotFound("No such participant.", code="participation_not_found")
        mine = self.store.meetings(
            {
                "session_id": session_id,
                "$or": [{"supplier.participation_id": participation_id}, {"buyer.participation_id": participation_id}],
            }
        )
        return views.agenda(session, participant, mine)

    @rpc
    def table_sheets(self, actor: dict | None, session_id: str, html: bool = False, language: str = "vi"):
        session = self._session(session_id)
        access.require_organiser(actor, session["series_id"])
        sheets = views.table_sheets(session, self.store.meetings({"session_id": session_id, "status": "accepted"}))
        if html:
            return printing.table_sheets_page(session, sheets, language)
        return {"session_id": session_id, "tables": sheets}
