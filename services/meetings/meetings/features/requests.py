"""Meeting requests: asking, brokering, answering and calling off, and reading meetings.

Opening a meeting takes both sides' places within the session's meeting
limit and, where a slot is named, the holds of that slot, before the meeting
is written; any refusal or lost race gives everything back.  Closing a
meeting (shared with intake and upkeep) is on the service class.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from meetings import access, planning, views
from meetings import events as ev
from meetings.booking import Booker, PlaceRefused, refused
from meetings.domain.lifecycle import meeting_id
from meetings.domain.matching import Profile
from meetings.metrics import PICK_CONFLICTS
from meetings.schemas import AcceptIn, BrokerIn, MeetingQuery, ReasonIn, RequestIn
from meetings.store import OPEN, MeetingsStore
from shared import pages
from shared.auth import signed_in
from shared.entrypoints import rpc
from shared.errors import Conflict, Forbidden, InvalidInput, field_error
from shared.timestamps import now_text, to_text
from shared.validation import gather, load


def _slot_allowed(session: dict[str, Any], slot: str | None) -> None:
    """A request or an answer may name a slot only where participants pick their slots."""
    if slot and session["mode"] != "pick":
        raise InvalidInput(
            "In this session the organisers' timetable gives the slots.",
            errors=[field_error("slot", "not_pickable", "Leave the slot out.")],
        )


class Requests:
    store: MeetingsStore
    _session: Callable[[str], dict[str, Any]]
    _meeting: Callable[[str], tuple[dict[str, Any], dict[str, Any]]]
    _participant: Callable[..., dict[str, Any]]
    _profiles: Callable[[list[dict[str, Any]]], dict[str, Profile]]
    _close: Callable[..., dict[str, Any] | None]

    def _new_meeting(
        self,
        session: dict[str, Any],
        supplier: dict[str, Any],
        buyer: dict[str, Any],
        requested_by: str,
        note: str | None,
        brokered: bool,
    ) -> dict[str, Any]:
        profiles = self._profiles([supplier, buyer])
        needs = set(supplier.get("interpreter_languages") or []) | set(buyer.get("interpreter_languages") or [])
        language = planning.meeting_language(
            profiles[supplier["_id"]], profiles[buyer["_id"]], needs, planning.interpreter_counts(session)
        )
        expires = to_text(datetime.now(UTC) + timedelta(hours=session["request_ttl_hours"]))
        return {
            "_id": meeting_id(session["_id"], supplier["_id"], buyer["_id"]),
            "session_id": session["_id"],
            "edition_id": session["edition_id"],
            "supplier": planning.party(supplier),
            "buyer": planning.party(buyer),
            "requested_by": requested_by,
            "note": note,
            "brokered": "yes" if brokered else "no",
            "status": "requested",
            "expires_at": expires,
            "held_slot": None,
            "slot": None,
            "table": None,
            "locked": None,
            "live": None,
            "outcome": None,
            "language": language,
            "priority": int((buyer.get("profile") or {}).get("priority") or 0),
            "sequence": 0,
            "version": 1,
            "created_at": now_text(),
            "unplaced_reason": None,
        }

    def _open(
        self,
        session: dict[str, Any],
        meeting: dict[str, Any],
        slot: str | None,
        table: str | None,
        accept: bool,
        locked: str | None,
    ) -> dict[str, Any]:
        """Take both sides' places in the limit, the named slot, then write the meeting (or undo it all)."""
        sid, limit = session["_id"], session["max_meetings"]
        existing = self.store.meeting(meeting["_id"])
        if existing is not None and existing["status"] in OPEN:
            raise Conflict(
                "These two already have a meeting or a request in this session.",
                code="duplicate_meeting",
                extra={"existing_id": meeting["_id"]},
            )
        if existing is not None:  # reopened: the same calendar identity, the next sequence
            meeting = {
                **meeting,
                "sequence": int(existing.get("sequence") or 0) + 1,
                "version": int(existing.get("version") or 0) + 1,
            }
        pids = [meeting["supplier"]["participation_id"], meeting["buyer"]["participation_id"]]
        taken = []
        for pid in pids:
            if not self.store.take_load(sid, pid, limit):
                for t in taken:
                    self.store.give_back_load(sid, t)
                side = "supplier" if pid == pids[0] else "buyer"
                raise Conflict(
                    f"The {side} already has {limit} meetings or requests in this session.",
                    code="meeting_limit",
                    extra={"limit": limit},
                )
            taken.append(pid)
        try:
            return self._write_open(session, meeting, slot, table, accept, locked)
        except BaseException:  # refused, lost a race, or failed: the limits are given back
            for pid in pids:
                self.store.give_back_load(sid, pid)
            raise

    def _write_open(
        self,
        session: dict[str, Any],
        meeting: dict[str, Any],
        slot: str | None,
        table: str | None,
        accept: bool,
        locked: str | None,
    ) -> dict[str, Any]:
        booker = Booker(self.store, session)
        try:
            if slot and accept:
                held = booker.place(meeting, slot, table)
                table = held.table
                meeting = {**meeting, **booker.seated(held)}
            elif slot:
                held = booker.hold_people(meeting, slot)
        except PlaceRefused as exc:
            PICK_CONFLICTS.labels(session["_id"]).inc()
            raise refused(exc) from None
        meeting = {
            **meeting,
            "held_slot": None if accept else slot,
            "slot": slot if accept else None,
            "table": table if accept and slot else None,
            "locked": locked if accept and slot else None,
            "status": "accepted" if accept else "requested",
        }
        if accept:
            meeting["expires_at"] = None
        auto = {"auto_accepted": True} if accept and meeting["requested_by"] != "organiser" else {}
        events = [ev.meeting_event("accepted" if accept else "requested", meeting, session, **auto)]
        if accept and slot:
            events.append(ev.meeting_event("scheduled", meeting, session))
        after = self.store.open_meeting(meeting, events)
        if after is None:  # lost a race with the same request: give back only what this call inserted
            if slot:
                booker.undo(held, meeting["_id"])
            raise Conflict(
                "These two already have a meeting or a request in this session.",
                code="duplicate_meeting",
                extra={"existing_id": meeting["_id"]},
            )
        return after

    @rpc
    def request_meeting(self, actor: dict | None, session_id: str, payload: dict) -> dict:
        """Either side asks the other for a meeting (accepted at once where the session auto-accepts)."""
        session = self._session(session_id)
        data = load(RequestIn, payload)
        sender, receiver, _ = gather(
            lambda: self._participant(data["from_participation"], session["edition_id"], "from"),
            lambda: self._participant(data["to_participation"], session["edition_id"], "to"),
            lambda: _slot_allowed(session, data.get("slot")),
        )
        access.require_sender(actor, sender)
        if sender["side"] == receiver["side"]:
            raise InvalidInput(
                "A meeting is between a supplier and a buyer.",
                errors=[field_error("to", "same_side", "Choose a participant on the other side.")],
            )
        if receiver.get("b2b") == "no":
            raise Conflict("This participant does not take B2B meetings.", code="not_in_b2b")
        supplier, buyer = (sender, receiver) if sender["side"] == "supplier" else (receiver, sender)
        meeting = self._new_meeting(session, supplier, buyer, sender["side"], data.get("note"), brokered=False)
        auto = bool((session.get("settings") or {}).get("auto_accept"))
        after = self._open(
            session, meeting, data.get("slot"), None, accept=auto, locked="participant" if auto else None
        )
        return views.meeting(after, session)

    @rpc
    def broker(self, actor: dict | None, session_id: str, payload: dict) -> dict:
        """An organiser proposes a meeting directly: accepted, and placed where a slot is given (locked)."""
        session = self._session(session_id)
        access.require_organiser(actor, session["series_id"])
        data = load(BrokerIn, payload)
        supplier, buyer = gather(
            lambda: self._participant(data["supplier"], session["edition_id"], "supplier"),
            lambda: self._participant(data["buyer"], session["edition_id"], "buyer"),
        )
        wrong = [
            field_error(field, "wrong_side", "Wrong side.")
            for field, party in (("supplier", supplier), ("buyer", buyer))
            if party["side"] != field
        ]
        if wrong:
            raise InvalidInput("The supplier must be an exhibitor and the buyer a buyer.", errors=wrong)
        meeting = self._new_meeting(session, supplier, buyer, "organiser", data.get("note"), brokered=True)
        after = self._open(session, meeting, data.get("slot"), data.get("table"), accept=True, locked="organiser")
        return views.meeting(after, session)

    @rpc
    def accept(self, actor: dict | None, meeting_id: str, payload: dict) -> dict:
        meeting, session = self._meeting(meeting_id)
        access.require_invitee(actor, meeting)
        data = load(AcceptIn, payload or {})
        if meeting["status"] != "requested":
            raise Conflict(f"This request is {meeting['status']}.", code="not_pending")
        if meeting["expires_at"] and meeting["expires_at"] < now_text():
            raise Conflict("This request has expired.", code="request_expired")
        slot, table, held, seated = None, None, None, {}
        if session["mode"] == "pick":
            if session.get("scheduler"):
                raise Conflict("The timetable is being computed; try again in a moment.", code="scheduling")
            slot = data.get("slot") or meeting.get("held_slot")
            if not slot:
                raise InvalidInput(
                    "Pick a free slot to accept.", errors=[field_error("slot", "required", "Required in this session.")]
                )
            booker = Booker(self.store, session)
            try:
                held = booker.place(meeting, slot, data.get("table"))
            except PlaceRefused as exc:
                PICK_CONFLICTS.labels(session["_id"]).inc()
                raise refused(exc) from None
            table = held.table
            seated = booker.seated(held)
        else:
            _slot_allowed(session, data.get("slot"))

        def events(after: dict[str, Any]) -> list[dict[str, Any]]:
            found = [ev.meeting_event("accepted", after, session)]
            return found + ([ev.meeting_event("scheduled", after, session)] if slot else [])

        after = self.store.change_meeting(
            meeting,
            {"status": "requested"},
            {
                "status": "accepted",
                "slot": slot,
                "table": table,
                "held_slot": None,
                "locked": "participant" if slot else None,
                "accepted_at": now_text(),
                "expires_at": None,
                **seated,
            },
            events,
        )
        if after is None:  # a concurrent answer won: its holds may be the very ones we found as ours
            if held:
                Booker(self.store, session).undo(held, meeting_id)
            raise Conflict("This request was answered, withdrawn or expired meanwhile.", code="not_pending")
        self.store.drop_holds(meeting_id, keep=held.keys if held else ())
        return views.meeting(after, session)

    @rpc
    def decline(self, actor: dict | None, meeting_id: str, payload: dict) -> dict:
        meeting, session = self._meeting(meeting_id)
        access.require_invitee(actor, meeting)
        reason = load(ReasonIn, payload or {}).get("reason")
        if meeting["status"] != "requested":
            raise Conflict(f"This request is {meeting['status']}.", code="not_pending")
        after = self._close(meeting, "declined", "declined", reason)
        if after is None:
            raise Conflict("This request was answered or withdrawn meanwhile.", code="not_pending")
        return views.meeting(after, session)

    @rpc
    def cancel(self, actor: dict | None, meeting_id: str, payload: dict) -> dict:
        """Either side or an organiser calls a meeting (or a request) off; calendars get a CANCEL."""
        meeting, session = self._meeting(meeting_id)
        access.require_party_or_organiser(
            actor, meeting, session["series_id"], "Only the two parties and the organisers may cancel this meeting."
        )
        reason = load(ReasonIn, payload or {}).get("reason")
        if meeting["status"] not in OPEN:
            raise Conflict(f"This meeting is {meeting['status']}.", code="not_open")
        after = self._close(meeting, "cancelled", "cancelled_by_party", reason)
        if after is None:
            raise Conflict("This meeting changed meanwhile; reload it.", code="not_open")
        return views.meeting(after, session)

    @rpc
    def meetings(self, actor: dict | None, session_id: str, query: dict | None = None) -> dict:
        """Organisers see every meeting; a participant sees its own (name its participation)."""
        session = self._session(session_id)
        principal = signed_in(actor)
        params = load(MeetingQuery, query or {})
        participation_id = params.get("participation_id")
        mongo: dict[str, Any] = {"session_id": session_id}
        if participation_id:
            participant = self._participant(participation_id, session["edition_id"])
            access.require_acting_for(actor, participant, session["series_id"])
            mongo["$or"] = [
                {"supplier.participation_id": participation_id},
                {"buyer.participation_id": participation_id},
            ]
        elif not access.organises(principal, session["series_id"]):
            raise Forbidden("Name your participation to see your meetings.", code="not_organiser")
        if params.get("status"):
            mongo["status"] = params["status"]
        page = self.store.page("meetings", mongo, pages.wanted(params, f"meetings:{session_id}"))
        return page.answer(lambda m: views.meeting(m, session))

    @rpc
    def meeting(self, actor: dict | None, meeting_id: str) -> dict:
        meeting, session = self._meeting(meeting_id)
        access.require_party_or_organiser(
            actor, meeting, session["series_id"], "Only the two parties and the organisers see this meeting."
        )
        return views.meeting(meeting, session)
