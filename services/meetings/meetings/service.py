"""The meetings service's nameko entrypoints: B2B matchmaking, timetables, agendas and MOUs.

It learns editions, organisations, products and approved suppliers and buyers
from registration's events (never from registration's database) and
announces every change of a meeting.  Scheduling is
:mod:`meetings.domain.timetable`; the holds that keep anyone from being in
two places are in :mod:`meetings.booking`.
"""

from __future__ import annotations

import hashlib
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import eventlet
from nameko.timer import timer

from meetings import events as ev
from meetings import planning, printing, views
from meetings.booking import Booker, PlaceRefused
from meetings.domain.matching import suggest
from meetings.domain.model import REASONS
from meetings.domain.timetable import tables_needed
from meetings.metrics import PICK_CONFLICTS, SLOTS_LOWER_BOUND, SLOTS_USED, SOLVER_SECONDS, UNPLACED, refresh_gauges
from meetings.schemas import (
    AcceptIn,
    AgendaIn,
    AvailabilityIn,
    BrokerIn,
    LiveIn,
    LockIn,
    MouIn,
    ProfileIn,
    ReasonIn,
    RequestIn,
    ScheduleIn,
    SessionIn,
)
from meetings.store import COLLECTIONS, OPEN, MeetingsStore
from shared.auth import Principal, signed_in
from shared.calendar import calendar
from shared.context import RequestContext
from shared.entrypoints import rpc
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound, field_error
from shared.events.consumer import event_handler
from shared.events.outbox import OutboxRelay
from shared.ids import new_id
from shared.metrics import ServiceMetrics
from shared.reference.provinces import UnknownProvince, rollup
from shared.store import Recount, Store
from shared.timestamps import now_text, to_text
from shared.validation import load

log = logging.getLogger(__name__)
# Periodic looks at the whole database, run only when something may have changed (shared.store.recount).
_GAUGES, _SWEEP, _LOADS = Recount(), Recount(), Recount()
# per process: the meeting-counter differences (stored, actual) the last pass saw
_LOAD_DRIFT: dict[str, tuple[int, int]] = {}
# per process: placed meetings seen without their holds on the last pass (meeting → slot, table)
_UNHELD: dict[str, tuple[str, str]] = {}
SCHEDULER_LEASE = timedelta(minutes=5)  # a timetable run's claim on its session lapses after this
UNPLACED_REASONS = (*REASONS, "conflict")
JOB_WAIT = 60.0  # seconds a background run waits for one already going on the same session
# who may move a live meeting to which status
LIVE_STEPS = {None: {"checked_in", "in_progress", "done", "no_show"},
              "checked_in": {"in_progress", "done", "no_show"}, "in_progress": {"done"},
              "done": {"done"}, "no_show": {"checked_in", "in_progress", "done"}}


def meeting_id(session_id: str, supplier: str, buyer: str) -> str:
    """One meeting per supplier and buyer in a session: the id itself makes a second request a duplicate."""
    return "mtg_" + hashlib.sha256(f"{session_id}|{supplier}|{buyer}".encode()).hexdigest()[:20]


def _refused(exc: PlaceRefused, field: str = "slot") -> Conflict:
    return Conflict(exc.message, code=exc.reason, errors=[field_error(field, exc.reason, exc.message)])


class MeetingsService:
    name = "meetings"

    store = Store("meetings", MeetingsStore)
    relay = OutboxRelay("meetings", COLLECTIONS)
    metrics = ServiceMetrics()
    request_id = RequestContext()

    @rpc
    def ping(self) -> dict[str, bool]:
        return {"store": self.store.ping()}

    # -- what registration tells us ---------------------------------------------------------------

    @event_handler(ev.EDITION_CREATED, ev.EDITION_UPDATED)
    def on_edition(self, event: dict) -> None:
        self.store.remember_edition(event["data"])

    @event_handler(ev.ORGANISATION_REGISTERED, ev.ORGANISATION_UPDATED, dedupe=False)  # version-guarded
    def on_organisation(self, event: dict) -> None:
        """The newest version of an organisation, and its participants' copies of it.

        Both writes are guarded by the version, so no inbox is needed: a repeat
        changes nothing, and a repeat after a crash between them completes the
        second.  A new organisation has nothing to follow: its approval event
        carries the same name, province and sectors.
        """
        data = event["data"]
        self.store.remember_organisation(data)
        if event["type"] == ev.ORGANISATION_UPDATED:
            self.store.follow_organisation(data)

    @event_handler(ev.PRODUCT_REGISTERED)
    def on_product(self, event: dict) -> None:
        self.store.remember_product(event["data"])

    @event_handler(ev.PARTICIPATION_APPROVED)
    def on_approved(self, event: dict) -> None:
        """Approved exhibitors become suppliers and approved buyers buyers; others take no meetings."""
        data = event["data"]
        side = planning.side_of(data["role"])
        if side is not None:
            self.store.upsert_participant(data, side)

    @event_handler(ev.PARTICIPATION_CANCELLED)
    def on_cancelled(self, event: dict) -> None:
        """A cancelled participant's open meetings are cancelled, and both sides are told."""
        data = event["data"]
        self.store.cancel_participant(data["participation_id"], data["edition_id"])
        for side in ("supplier", "buyer"):
            for meeting in self.store.meetings({f"{side}.participation_id": data["participation_id"],
                                                "status": {"$in": list(OPEN)}}):
                for _ in range(3):  # it may change under us (an answer, a live status): read it again
                    if meeting is None or meeting["status"] not in OPEN or self._close(
                            meeting, "cancelled", "participation_cancelled"):
                        break
                    meeting = self.store.meeting(meeting["_id"])
                else:
                    raise RuntimeError(f"meeting {meeting['_id']} kept changing; the event is retried")

    # -- who is asking ----------------------------------------------------------------------------------

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

    @staticmethod
    def _organises(principal: Principal, series_id: str) -> bool:
        return principal.role == "ops" or principal.organises(series_id)

    def _organiser(self, actor: dict | None, series_id: str) -> Principal:
        principal = signed_in(actor)
        if not self._organises(principal, series_id):
            raise Forbidden("Only the organisers of this series may do this.", code="not_organiser")
        return principal

    def _participant(self, participation_id: str, edition_id: str, field: str = "participation_id") -> dict:
        participant = self.store.participant(participation_id)
        if participant is None or participant["edition_id"] != edition_id or participant["status"] != "eligible":
            raise NotFound("No approved supplier or buyer with this id in this edition.",
                           code="participation_not_found", errors=[field_error(field, "not_found", "Unknown.")])
        return participant

    def _may_act_for(self, principal: Principal, participant: dict[str, Any], series_id: str) -> bool:
        return (self._organises(principal, series_id)
                or principal.is_member_of(participant["organisation_id"]))

    def _party_or_organiser(self, actor: dict | None, meeting: dict[str, Any], session: dict[str, Any],
                            refusal: str) -> Principal:
        """One of the meeting's two organisations, or an organiser of the series."""
        principal = signed_in(actor)
        if not (self._organises(principal, session["series_id"]) or any(
                principal.is_member_of(meeting[s]["organisation_id"]) for s in ("supplier", "buyer"))):
            raise Forbidden(refusal, code="not_your_meeting")
        return principal

    def _acting_for(self, actor: dict | None, participant: dict[str, Any], series_id: str) -> Principal:
        principal = signed_in(actor)
        if not self._may_act_for(principal, participant, series_id):
            raise Forbidden("You may act only for your own organisation.", code="not_your_organisation")
        return principal

    def _party(self, participant: dict[str, Any]) -> dict[str, Any]:
        """How a meeting names a side: the organisation, never a person."""
        return {"participation_id": participant["_id"], "organisation_id": participant["organisation_id"],
                "name": participant.get("name"), "country": participant.get("country", "VN"),
                "province": participant.get("province")}

    def _profiles(self, participants: list[dict[str, Any]]) -> dict[str, Any]:
        orgs = self.store.organisations(p["organisation_id"] for p in participants)
        products = self.store.products(p["organisation_id"] for p in participants)
        return {p["_id"]: planning.profile(p, orgs.get(p["organisation_id"]), products.get(p["organisation_id"], []))
                for p in participants}

    # -- profiles ---------------------------------------------------------------------------------------

    @rpc
    def set_profile(self, actor: dict | None, edition_id: str, participation_id: str, payload: dict) -> dict:
        edition = self._edition(edition_id)
        participant = self._participant(participation_id, edition_id)
        principal = self._acting_for(actor, participant, edition["series_id"])
        stated = load(ProfileIn, payload)
        if "priority" in stated and not self._organises(principal, edition["series_id"]):
            raise Forbidden("Only organisers set a buyer's priority.", code="not_organiser",
                            errors=[field_error("priority", "forbidden", "Organisers only.")])
        stated.setdefault("priority", (participant.get("profile") or {}).get("priority", 0))
        self.store.set_profile(participation_id, stated, ev.profile_stated(participant, stated))
        return self.profile(actor, edition_id, participation_id)

    @rpc
    def profile(self, actor: dict | None, edition_id: str, participation_id: str) -> dict:
        edition = self._edition(edition_id)
        participant = self._participant(participation_id, edition_id)
        self._acting_for(actor, participant, edition["series_id"])
        found = self._profiles([participant])[participation_id]
        stated = participant.get("profile") or {}
        return {"participation_id": participation_id, "organisation_id": participant["organisation_id"],
                "name": participant.get("name"), "side": found.side, "country": found.country,
                "province": found.province, "offers": sorted(found.categories_offered),
                "seeks": sorted(found.categories_sought), "markets": sorted(found.markets),
                "certifications_held": sorted(found.certifications_held),
                "certifications_required": sorted(found.certifications_required),
                "languages": sorted(found.languages), "volumes": stated.get("volumes"),
                "priority": stated.get("priority", 0), "stated": stated}

    # -- sessions ---------------------------------------------------------------------------------------

    @rpc
    def create_session(self, actor: dict | None, edition_id: str, payload: dict) -> dict:
        edition = self._edition(edition_id)
        self._organiser(actor, edition["series_id"])
        data = load(SessionIn, payload)
        day = data["date"]
        if not edition["starts_on"] <= day.isoformat() <= edition["ends_on"]:
            raise InvalidInput("The session must be on a day of the edition.", errors=[field_error(
                "date", "out_of_range", f"Between {edition['starts_on']} and {edition['ends_on']}.")])
        slots = planning.slot_times(day, data["starts_at"], data["slot_minutes"], data["slots"], edition["timezone"])
        try:
            breaks = planning.break_slots(slots, data["breaks"])
        except ValueError as exc:
            raise InvalidInput("A break must start when a slot starts.",
                               errors=[field_error("breaks", "invalid", str(exc))]) from None
        session = {"_id": new_id("ses"), "edition_id": edition_id, "series_id": edition["series_id"],
                   "name": data["name"], "date": day.isoformat(), "timezone": edition["timezone"],
                   "venue": edition.get("venue"), "slot_minutes": data["slot_minutes"], "slots": slots,
                   "breaks": breaks, "tables": planning.table_ids(data["tables"]), "mode": data["mode"],
                   "settings": {"auto_accept": data["auto_accept"]}, "request_ttl_hours": data["request_ttl_hours"],
                   "max_meetings": data["max_meetings"], "interpreters": data["interpreters"], "agenda": None,
                   "scheduler": None, "created_at": now_text()}
        self.store.insert_session(session, ev.session_created(session))
        return views.session(session)

    @rpc
    def sessions(self, edition_id: str) -> list[dict]:
        self._edition(edition_id)
        return [views.session(s) for s in self.store.sessions(edition_id)]

    @rpc
    def session(self, session_id: str) -> dict:
        session = self._session(session_id)
        return views.session(session, self.store.last_run(session_id))

    @rpc
    def set_availability(self, actor: dict | None, session_id: str, participation_id: str, payload: dict) -> dict:
        """Slots a participant is away (a site visit, booth duty); scheduling and picks respect them."""
        session = self._session(session_id)
        participant = self._participant(participation_id, session["edition_id"])
        self._acting_for(actor, participant, session["series_id"])
        data = load(AvailabilityIn, payload)
        known = {s["id"] for s in session["slots"]}
        unknown = [field_error(f"away.{i}", "not_found", f"No slot {s}.") for i, s in enumerate(data["away"])
                   if s not in known]
        if unknown:
            raise InvalidInput("Some slots do not exist in this session.", errors=unknown)
        away = sorted(set(data["away"]))
        self.store.set_away(session_id, participation_id, away, data.get("reason"),
                            ev.availability_changed(session, participation_id, away))
        return {"participation_id": participation_id, "away": away, "reason": data.get("reason")}

    @rpc
    def plan(self, actor: dict | None, session_id: str) -> dict:
        """Planning aid: the tables and slots the accepted (and pending) requests need, before booking the hall."""
        session = self._session(session_id)
        self._organiser(actor, session["series_id"])
        found = self.store.meetings({"session_id": session_id, "status": {"$in": list(OPEN)}})
        usable = planning.domain_session(session).slots
        accepted = [planning.domain_meeting(m) for m in found if m["status"] == "accepted"]
        everything = [planning.domain_meeting(m) for m in found]
        now, later = tables_needed(accepted, usable), tables_needed(everything, usable)
        return {"session_id": session_id, "slots_available": len(usable), "tables_booked": len(session["tables"]),
                "accepted": {"meetings": len(accepted), "tables_needed": now.tables, "min_slots": now.min_slots,
                             "fits": now.fits},
                "if_all_pending_accepted": {"meetings": len(everything), "tables_needed": later.tables,
                                            "min_slots": later.min_slots, "fits": later.fits}}

    # -- matchmaking ------------------------------------------------------------------------------------

    @rpc
    def suggestions(self, actor: dict | None, session_id: str, participation_id: str, limit: int = 10) -> dict:
        session = self._session(session_id)
        participant = self._participant(participation_id, session["edition_id"])
        self._acting_for(actor, participant, session["series_id"])
        participants = self.store.participants(session["edition_id"])
        profiles = self._profiles(participants)
        of_org = {p["organisation_id"]: p["_id"] for p in participants}
        history = self.store.meetings({"status": {"$in": list(OPEN)}, "$or": [
            {"supplier.organisation_id": participant["organisation_id"]},
            {"buyer.organisation_id": participant["organisation_id"]}]})
        found = suggest(profiles[participation_id], [profiles[p["_id"]] for p in participants],
                        planning.met_pairs(history, of_org), max(1, min(int(limit), 50)),
                        sorted(k for k, v in (session.get("interpreters") or {}).items() if v))
        names = {p["_id"]: self._party(p) for p in participants}
        return {"participation_id": participation_id,
                "items": [{**names[s.profile_id], "score": s.score, "reasons": list(s.reasons)} for s in found]}

    # -- requests ---------------------------------------------------------------------------------------

    def _new_meeting(self, session: dict[str, Any], supplier: dict[str, Any], buyer: dict[str, Any],
                     requested_by: str, note: str | None, brokered: bool) -> dict[str, Any]:
        profiles = self._profiles([supplier, buyer])
        needs = set(supplier.get("interpreter_languages") or []) | set(buyer.get("interpreter_languages") or [])
        language = planning.meeting_language(profiles[supplier["_id"]], profiles[buyer["_id"]], needs,
                                             session.get("interpreters") or {})
        expires = to_text(datetime.now(UTC) + timedelta(hours=session["request_ttl_hours"]))
        return {"_id": meeting_id(session["_id"], supplier["_id"], buyer["_id"]), "session_id": session["_id"],
                "edition_id": session["edition_id"], "supplier": self._party(supplier), "buyer": self._party(buyer),
                "requested_by": requested_by, "note": note, "brokered": "yes" if brokered else "no",
                "status": "requested", "expires_at": expires, "held_slot": None, "slot": None, "table": None,
                "locked": None, "live": None, "outcome": None, "language": language,
                "priority": int((buyer.get("profile") or {}).get("priority") or 0), "sequence": 0, "version": 1,
                "created_at": now_text(), "unplaced_reason": None}

    def _open(self, session: dict[str, Any], meeting: dict[str, Any], slot: str | None, table: str | None,
              accept: bool, locked: str | None) -> dict[str, Any]:
        """Take both sides' places in the limit, the named slot, then write the meeting (or undo it all)."""
        sid, limit = session["_id"], session["max_meetings"]
        existing = self.store.meeting(meeting["_id"])
        if existing is not None and existing["status"] in OPEN:
            raise Conflict("These two already have a meeting or a request in this session.",
                           code="duplicate_meeting", extra={"existing_id": meeting["_id"]})
        if existing is not None:  # reopened: the same calendar identity, the next sequence
            meeting = {**meeting, "sequence": int(existing.get("sequence") or 0) + 1,
                       "version": int(existing.get("version") or 0) + 1}
        pids = [meeting["supplier"]["participation_id"], meeting["buyer"]["participation_id"]]
        taken = []
        for pid in pids:
            if not self.store.take_load(sid, pid, limit):
                for t in taken:
                    self.store.give_back_load(sid, t)
                side = "supplier" if pid == pids[0] else "buyer"
                raise Conflict(f"The {side} already has {limit} meetings or requests in this session.",
                               code="meeting_limit", extra={"limit": limit})
            taken.append(pid)
        try:
            return self._write_open(session, meeting, slot, table, accept, locked)
        except BaseException:  # refused, lost a race, or failed: the limits are given back
            for pid in pids:
                self.store.give_back_load(sid, pid)
            raise

    def _write_open(self, session: dict[str, Any], meeting: dict[str, Any], slot: str | None, table: str | None,
                    accept: bool, locked: str | None) -> dict[str, Any]:
        booker = Booker(self.store, session)
        try:
            if slot and accept:
                held = booker.place(meeting, slot, table)
                table = held.table
            elif slot:
                held = booker.hold_people(meeting, slot)
        except PlaceRefused as exc:
            PICK_CONFLICTS.labels(session["_id"]).inc()
            raise _refused(exc) from None
        meeting = {**meeting, "held_slot": None if accept else slot, "slot": slot if accept else None,
                   "table": table if accept and slot else None, "locked": locked if accept and slot else None,
                   "status": "accepted" if accept else "requested"}
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
            raise Conflict("These two already have a meeting or a request in this session.",
                           code="duplicate_meeting", extra={"existing_id": meeting["_id"]})
        return after

    @rpc
    def request_meeting(self, actor: dict | None, session_id: str, payload: dict) -> dict:
        """Either side asks the other for a meeting (accepted at once where the session auto-accepts)."""
        session = self._session(session_id)
        data = load(RequestIn, payload)
        sender = self._participant(data["from_participation"], session["edition_id"], "from")
        receiver = self._participant(data["to_participation"], session["edition_id"], "to")
        principal = signed_in(actor)
        if not (principal.role == "ops" or principal.is_member_of(sender["organisation_id"])):
            raise Forbidden("You may request meetings only for your own organisation; organisers broker them.",
                            code="not_your_organisation")
        if sender["side"] == receiver["side"]:
            raise InvalidInput("A meeting is between a supplier and a buyer.",
                               errors=[field_error("to", "same_side", "Choose a participant on the other side.")])
        if data.get("slot") and session["mode"] != "pick":
            raise InvalidInput("In this session the organisers' timetable gives the slots.",
                               errors=[field_error("slot", "not_pickable", "Leave the slot out.")])
        if receiver.get("b2b") == "no":
            raise Conflict("This participant does not take B2B meetings.", code="not_in_b2b")
        supplier, buyer = (sender, receiver) if sender["side"] == "supplier" else (receiver, sender)
        meeting = self._new_meeting(session, supplier, buyer, sender["side"], data.get("note"), brokered=False)
        auto = bool((session.get("settings") or {}).get("auto_accept"))
        after = self._open(session, meeting, data.get("slot"), None, accept=auto,
                           locked="participant" if auto else None)
        return views.meeting(after, session)

    @rpc
    def broker(self, actor: dict | None, session_id: str, payload: dict) -> dict:
        """An organiser proposes a meeting directly: accepted, and placed where a slot is given (locked)."""
        session = self._session(session_id)
        self._organiser(actor, session["series_id"])
        data = load(BrokerIn, payload)
        supplier = self._participant(data["supplier"], session["edition_id"], "supplier")
        buyer = self._participant(data["buyer"], session["edition_id"], "buyer")
        if supplier["side"] != "supplier" or buyer["side"] != "buyer":
            raise InvalidInput("The supplier must be an exhibitor and the buyer a buyer.", errors=[
                field_error("supplier" if supplier["side"] != "supplier" else "buyer", "wrong_side", "Wrong side.")])
        meeting = self._new_meeting(session, supplier, buyer, "organiser", data.get("note"), brokered=True)
        after = self._open(session, meeting, data.get("slot"), data.get("table"), accept=True, locked="organiser")
        return views.meeting(after, session)

    def _invitee(self, actor: dict | None, meeting: dict[str, Any], session: dict[str, Any]) -> Principal:
        """Who answers a request: the side that did not ask."""
        principal = signed_in(actor)
        side = "buyer" if meeting["requested_by"] == "supplier" else "supplier"
        if not (principal.role == "ops" or principal.is_member_of(meeting[side]["organisation_id"])):
            raise Forbidden("Only the invited organisation answers this request.", code="not_invitee")
        return principal

    @rpc
    def accept(self, actor: dict | None, meeting_id: str, payload: dict) -> dict:
        meeting, session = self._meeting(meeting_id)
        self._invitee(actor, meeting, session)
        data = load(AcceptIn, payload or {})
        if meeting["status"] != "requested":
            raise Conflict(f"This request is {meeting['status']}.", code="not_pending")
        if meeting["expires_at"] and meeting["expires_at"] < now_text():
            raise Conflict("This request has expired.", code="request_expired")
        slot, table, held = None, None, None
        if session["mode"] == "pick":
            if session.get("scheduler"):
                raise Conflict("The timetable is being computed; try again in a moment.", code="scheduling")
            slot = data.get("slot") or meeting.get("held_slot")
            if not slot:
                raise InvalidInput("Pick a free slot to accept.", errors=[field_error("slot", "required",
                                                                                      "Required in this session.")])
            try:
                held = Booker(self.store, session).place(meeting, slot, data.get("table"))
            except PlaceRefused as exc:
                PICK_CONFLICTS.labels(session["_id"]).inc()
                raise _refused(exc) from None
            table = held.table
        elif data.get("slot"):
            raise InvalidInput("In this session the organisers' timetable gives the slots.",
                               errors=[field_error("slot", "not_pickable", "Leave the slot out.")])

        def events(after: dict[str, Any]) -> list[dict[str, Any]]:
            found = [ev.meeting_event("accepted", after, session)]
            return found + ([ev.meeting_event("scheduled", after, session)] if slot else [])

        after = self.store.change_meeting(
            meeting, {"status": "requested"},
            {"status": "accepted", "slot": slot, "table": table, "held_slot": None,
             "locked": "participant" if slot else None, "accepted_at": now_text(), "expires_at": None}, events)
        if after is None:  # a concurrent answer won: its holds may be the very ones we found as ours
            if held:
                Booker(self.store, session).undo(held, meeting_id)
            raise Conflict("This request was answered, withdrawn or expired meanwhile.", code="not_pending")
        self.store.drop_holds(meeting_id, keep=held.keys if held else ())
        return views.meeting(after, session)

    @rpc
    def decline(self, actor: dict | None, meeting_id: str, payload: dict) -> dict:
        meeting, session = self._meeting(meeting_id)
        self._invitee(actor, meeting, session)
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
        self._party_or_organiser(actor, meeting, session,
                                 "Only the two parties and the organisers may cancel this meeting.")
        reason = load(ReasonIn, payload or {}).get("reason")
        if meeting["status"] not in OPEN:
            raise Conflict(f"This meeting is {meeting['status']}.", code="not_open")
        after = self._close(meeting, "cancelled", "cancelled_by_party", reason)
        if after is None:
            raise Conflict("This meeting changed meanwhile; reload it.", code="not_open")
        return views.meeting(after, session)

    def _close(self, meeting: dict[str, Any], status: str, reason: str, text: str | None = None) -> dict | None:
        """requested|accepted → declined|expired|cancelled, once; frees its holds and both limits.

        ``reason`` is a code that goes into the event; ``text``, what a person
        wrote, stays with the meeting.
        """
        session = self._session(meeting["session_id"])
        had_slot = meeting.get("slot")
        changes = {"status": status, "reason": reason, "reason_text": text, "slot": None, "table": None,
                   "held_slot": None, "locked": None, "closed_at": now_text()}
        if had_slot:
            changes.update(last_slot=had_slot, last_table=meeting.get("table"))
        after = self.store.change_meeting(
            meeting, {"status": meeting["status"], "version": meeting.get("version", 1)}, changes,
            lambda m: [ev.meeting_event(status, {**m, "slot": had_slot, "table": meeting.get("table")}, session,
                                        reason=reason)],
            bump_sequence=bool(had_slot))
        if after is not None:
            self.store.drop_holds(meeting["_id"])
            for side in ("supplier", "buyer"):
                self.store.give_back_load(session["_id"], meeting[side]["participation_id"])
        return after

    @timer(interval=5)
    def expire_requests(self) -> None:
        """Unanswered requests expire after the session's time, also when the service was down at the time."""
        for meeting in self.store.due_requests(now_text()):
            self._close(meeting, "expired", "no_answer")

    @timer(interval=30)
    def sweep_holds(self) -> None:
        """Holds a crash left behind (taken, but the meeting never written or since moved), after a minute;
        and holds a crash took away (a timetable run cut off between dropping and retaking them), given back.

        Only a write leaves either behind: the sweep runs after writes and every ten minutes, and again
        while a missing hold waits for its second look.
        """
        if _UNHELD:
            self._sweep_holds()
        else:
            self.store.when_changed(_SWEEP, self._sweep_holds)

    def _sweep_holds(self) -> None:
        self._restore_holds()
        cutoff = to_text(datetime.now(UTC) - timedelta(minutes=1))
        holds, owners = self.store.holds_taken_before(cutoff)
        for hold in holds:
            meeting = owners.get(hold["meeting_id"])
            slot = hold.get("slot")
            alive = meeting is not None and (
                (meeting["status"] == "accepted" and meeting.get("slot") == slot)
                or (meeting["status"] == "requested" and meeting.get("held_slot") == slot))
            if not alive:
                self.store.drop_hold(hold["_id"], hold["meeting_id"])
                log.warning("dropped a stale hold %s", hold["_id"])

    @timer(interval=60)
    def reconcile_loads(self) -> None:
        """Repair meeting counters a crash left one off (a close or request cut off between the meeting's
        write and its counters'), so nobody is refused for a meeting limit they have not reached.

        Like the booth counters: a difference seen identically on two passes a
        minute apart is corrected by compare-and-set; idle, nothing runs.
        """
        if _LOAD_DRIFT:
            self._reconcile_loads()
        else:
            self.store.when_changed(_LOADS, self._reconcile_loads)

    def _reconcile_loads(self) -> None:
        drift = self.store.load_drift()
        for key, (seen, right) in drift.items():
            if _LOAD_DRIFT.get(key) == (seen, right) and self.store.correct_load(key, seen, right):
                log.warning("meeting counter %s corrected from %s to %s", key, seen, right)
        _LOAD_DRIFT.clear()
        _LOAD_DRIFT.update(drift)

    def _restore_holds(self) -> None:
        """A placed meeting seen without its holds twice, in a session no timetable run is working on, gets
        them back (a move in flight is seen once at most: it takes the new holds before writing)."""
        unheld = {m["_id"]: m for m in self.store.placed_without_holds()}
        stale = to_text(datetime.now(UTC) - SCHEDULER_LEASE)
        sessions: dict[str, dict[str, Any] | None] = {}
        for mid, meeting in unheld.items():
            if _UNHELD.get(mid) != (meeting["slot"], meeting["table"]):
                continue
            sid = meeting["session_id"]
            if sid not in sessions:
                sessions[sid] = self.store.session(sid)
            session = sessions[sid]
            if session is None or (session.get("scheduler") or {}).get("at", "") >= stale:
                continue  # a run is placing this session's meetings now (or its claim has not lapsed)
            try:
                kept = Booker(self.store, session).restore(meeting)
            except Exception:  # one meeting that cannot be restored must not keep the others waiting
                log.exception("could not give meeting %s its holds back", mid)
                continue
            if kept:
                log.warning("gave meeting %s its holds back at %s", mid, meeting["slot"])
            else:
                log.warning("meeting %s lost its place at %s to another meeting; unplaced", mid, meeting["slot"])
        _UNHELD.clear()
        _UNHELD.update({mid: (m["slot"], m["table"]) for mid, m in unheld.items()})

    @rpc
    def meetings(self, actor: dict | None, session_id: str, participation_id: str | None = None,
                 status: str | None = None) -> dict:
        """Organisers see every meeting; a participant sees its own (name its participation)."""
        session = self._session(session_id)
        principal = signed_in(actor)
        query: dict[str, Any] = {"session_id": session_id}
        if participation_id:
            participant = self._participant(participation_id, session["edition_id"])
            self._acting_for(actor, participant, session["series_id"])
            query["$or"] = [{"supplier.participation_id": participation_id},
                            {"buyer.participation_id": participation_id}]
        elif not self._organises(principal, session["series_id"]):
            raise Forbidden("Name your participation to see your meetings.", code="not_organiser")
        if status:
            query["status"] = status
        return {"items": [views.meeting(m, session) for m in self.store.meetings(query)]}

    @rpc
    def meeting(self, actor: dict | None, meeting_id: str) -> dict:
        meeting, session = self._meeting(meeting_id)
        self._party_or_organiser(actor, meeting, session, "Only the two parties and the organisers see this meeting.")
        return views.meeting(meeting, session)

    # -- the timetable ----------------------------------------------------------------------------------

    @rpc
    def lock(self, actor: dict | None, meeting_id: str, payload: dict) -> dict:
        """An organiser puts an accepted meeting at a slot (and table); the optimiser leaves it there."""
        meeting, session = self._meeting(meeting_id)
        self._organiser(actor, session["series_id"])
        data = load(LockIn, payload)
        if meeting["status"] != "accepted":
            raise Conflict("Only accepted meetings can be placed.", code="not_accepted")
        before_slot, before_table = meeting.get("slot"), meeting.get("table")
        if (before_slot, before_table) == (data["slot"], data.get("table") or before_table):
            after = self.store.change_meeting(meeting, {"status": "accepted"}, {"locked": "organiser"}, lambda m: [])
            return views.meeting(after or meeting, session)
        if session.get("scheduler"):
            raise Conflict("The timetable is being computed; lock the meeting when it is done.", code="scheduling")
        booker = Booker(self.store, session)
        try:  # the old place stays held until the new one is written: never without a place
            held = booker.place(meeting, data["slot"], data.get("table"))
        except PlaceRefused as exc:
            raise _refused(exc) from None

        def events(after: dict[str, Any]) -> list[dict[str, Any]]:
            if before_slot is None:
                return [ev.meeting_event("scheduled", after, session)]
            return [ev.meeting_rescheduled(after, session, before_slot, before_table)]

        after = self.store.change_meeting(meeting, {"status": "accepted", "slot": before_slot,
                                                    "version": meeting.get("version", 1)},
                                          {"slot": data["slot"], "table": held.table, "locked": "organiser",
                                           "unplaced_reason": None}, events, bump_sequence=before_slot is not None)
        if after is None:
            booker.undo(held, meeting_id)
            raise Conflict("This meeting changed meanwhile; reload it.", code="not_accepted")
        self.store.drop_holds(meeting_id, keep=held.keys)
        return views.meeting(after, session)

    @rpc
    def unlock(self, actor: dict | None, meeting_id: str) -> dict:
        meeting, session = self._meeting(meeting_id)
        self._organiser(actor, session["series_id"])
        after = self.store.change_meeting(meeting, {"status": "accepted"}, {"locked": None}, lambda m: [])
        if after is None:
            raise Conflict("Only accepted meetings can be unlocked.", code="not_accepted")
        return views.meeting(after, session)

    @rpc
    def schedule(self, actor: dict | None, session_id: str, payload: dict) -> dict:
        """Place every accepted meeting (König's Δ slots where only people constrain); announce what moved."""
        session, data = self._schedule_request(actor, session_id, payload)
        return views.run(self._schedule(session, data))

    @rpc
    def schedule_later(self, actor: dict | None, session_id: str, payload: dict) -> dict:
        """The same, in the background (``Prefer: respond-async``): checked now, queued as an event this
        service consumes itself, so a request survives a restart; the caller polls the job.  One job per
        session at a time: asking again while one is queued or running answers that job."""
        session, data = self._schedule_request(actor, session_id, payload)
        waiting = self.store.unfinished_job(session_id)
        if waiting is not None:  # a second click while one is queued or running: the same job, not a queue
            return views.job(waiting)
        job = {"_id": new_id("job"), "session_id": session_id, "edition_id": session["edition_id"],
               "series_id": session["series_id"], "request": data, "status": "queued", "requested_at": now_text(),
               "started_at": None, "finished_at": None, "attempts": 0, "run": None, "error": None}
        self.store.insert_job(job, ev.schedule_requested(job))
        return views.job(job)

    @rpc
    def schedule_job(self, actor: dict | None, session_id: str, job_id: str) -> dict:
        session = self._session(session_id)
        self._organiser(actor, session["series_id"])
        job = self.store.job(job_id)
        if job is None or job["session_id"] != session_id:
            raise NotFound("No such scheduling job for this session.", code="job_not_found")
        return views.job(job)

    # it may wait JOB_WAIT for a run already going, then solve: the inbox claim outlasts both
    @event_handler(ev.SCHEDULE_REQUESTED, lease=SCHEDULER_LEASE)
    def run_schedule_job(self, event: dict) -> None:
        """Compute a queued timetable once (the inbox gives one worker the event at a time; a worker that
        died mid-run leaves the job running and its event runs again when the claim lease passes)."""
        job = self.store.start_job(event["data"]["job_id"])
        if job is None:
            return
        try:
            run = self._schedule(self._session(job["session_id"]), job["request"], wait=JOB_WAIT)
        except (Conflict, NotFound) as exc:
            self.store.finish_job(job["_id"], "failed", error={"code": exc.code, "detail": str(exc)})
            return
        except Exception:  # a bug or an outage: the job must not poll as running forever
            log.exception("scheduling job %s failed", job["_id"])
            self.store.finish_job(job["_id"], "failed", error={"code": "internal_error",
                                                               "detail": "The timetable could not be computed."})
            return
        self.store.finish_job(job["_id"], "done", run=views.run(run))

    def _schedule_request(self, actor: dict | None, session_id: str,
                          payload: dict | None) -> tuple[dict[str, Any], dict[str, Any]]:
        session = self._session(session_id)
        self._organiser(actor, session["series_id"])
        data = load(ScheduleIn, payload or {})
        if data.get("now") and data["now"] not in planning.domain_session(session).slots:
            raise InvalidInput("now must name a meeting slot.", errors=[field_error("now", "not_found",
                                                                                    "Not a meeting slot.")])
        return session, data

    def _schedule(self, session: dict[str, Any], data: dict[str, Any], wait: float = 0.0) -> dict[str, Any]:
        """One optimiser run of ``session``; waits up to ``wait`` seconds for a run already going."""
        session_id = session["_id"]
        run_id = new_id("claim")
        deadline = time.monotonic() + wait
        while not self.store.claim_scheduler(session_id, run_id, to_text(datetime.now(UTC) - SCHEDULER_LEASE)):
            if time.monotonic() >= deadline:
                raise Conflict("The timetable is being computed already; try again in a moment.", code="scheduling")
            eventlet.sleep(1.0)
        try:
            result = Booker(self.store, session).run(data["full"], data["rebook_no_shows"], data.get("now"))
        except ValueError as exc:  # locked meetings that cannot all be honoured
            raise Conflict(f"The locked meetings conflict: {exc}", code="locks_conflict") from None
        finally:
            self.store.release_scheduler(session_id, run_id)
        run = result.run
        SOLVER_SECONDS.labels(session_id).observe(run["solver_ms"] / 1000)
        SLOTS_USED.labels(session_id).set(run["slots_used"])
        SLOTS_LOWER_BOUND.labels(session_id).set(run["delta"])
        for reason in UNPLACED_REASONS:
            UNPLACED.labels(session_id, reason).set(sum(u["reason"] == reason for u in run["unplaced"]))
        return run

    @rpc
    def publish_agenda(self, actor: dict | None, session_id: str, payload: dict) -> dict:
        """Preliminary, then final: announced so that notifications sends each participant its agenda."""
        session = self._session(session_id)
        self._organiser(actor, session["series_id"])
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
        return {**agenda, "session_id": session_id, "participants": len(participants), "meetings": len(placed)}

    def _agenda(self, actor: dict | None, session_id: str, participation_id: str) -> dict[str, Any]:
        session = self._session(session_id)
        participant = self.store.participant(participation_id)
        if participant is None or participant["edition_id"] != session["edition_id"]:
            raise NotFound("No such participant in this session's edition.", code="participation_not_found")
        self._acting_for(actor, participant, session["series_id"])
        mine = self.store.meetings({"session_id": session_id, "$or": [
            {"supplier.participation_id": participation_id}, {"buyer.participation_id": participation_id}]})
        return views.agenda(session, participant, mine)

    @rpc
    def agenda(self, actor: dict | None, session_id: str, participation_id: str) -> dict:
        return self._agenda(actor, session_id, participation_id)

    @rpc
    def agenda_calendar(self, actor: dict | None, session_id: str, participation_id: str,
                        language: str = "vi") -> str:
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
        mine = self.store.meetings({"session_id": session_id, "$or": [
            {"supplier.participation_id": participation_id}, {"buyer.participation_id": participation_id}]})
        return views.agenda(session, participant, mine)

    @rpc
    def table_sheets(self, actor: dict | None, session_id: str, html: bool = False, language: str = "vi"):
        session = self._session(session_id)
        self._organiser(actor, session["series_id"])
        sheets = views.table_sheets(session, self.store.meetings({"session_id": session_id, "status": "accepted"}))
        if html:
            return printing.table_sheets_page(session, sheets, language)
        return {"session_id": session_id, "tables": sheets}

    @rpc
    def set_live(self, actor: dict | None, meeting_id: str, payload: dict) -> dict:
        """On the day: checked in, in progress, done (with an outcome) or no-show."""
        meeting, session = self._meeting(meeting_id)
        principal = self._party_or_organiser(actor, meeting, session,
                                             "Only the two parties and the organisers update this meeting.")
        data = load(LiveIn, payload)
        if meeting["status"] != "accepted" or not meeting.get("slot"):
            raise Conflict("Only a scheduled meeting has a live status.", code="not_scheduled")
        previous = meeting.get("live")
        if data["status"] not in LIVE_STEPS[previous]:
            raise Conflict(f"A meeting {previous or 'not started'} cannot become {data['status']}.",
                           code="invalid_transition")
        changes: dict[str, Any] = {"live": data["status"]}
        if data.get("outcome"):
            changes["outcome"] = {**data["outcome"], "by": principal.subject, "at": now_text()}
        after = self.store.change_meeting(
            meeting, {"status": "accepted", "version": meeting.get("version", 1)}, changes,
            lambda m: [ev.status_changed(m, session, data["status"], previous)])
        if after is None:
            raise Conflict("This meeting changed meanwhile; reload it.", code="changed")
        return views.meeting(after, session)

    # -- MOUs --------------------------------------------------------------------------------------------

    @rpc
    def register_mou(self, actor: dict | None, edition_id: str, payload: dict) -> dict:
        """An MOU or cooperation agreement: organisers, or a member of one of its parties, register it."""
        edition = self._edition(edition_id)
        principal = signed_in(actor)
        data = load(MouIn, payload)
        if not (self._organises(principal, edition["series_id"]) or any(
                p.get("organisation_id") and principal.is_member_of(p["organisation_id"]) for p in data["parties"])):
            raise Forbidden("Organisers or the parties register an MOU.", code="not_a_party")
        parties, problems = [], []
        for i, party in enumerate(data["parties"]):
            if party.get("organisation_id"):
                org = self.store.organisation(party["organisation_id"])
                if org is None:
                    problems.append(field_error(f"parties.{i}.organisation_id", "not_found", "Unknown organisation."))
                    continue
                parties.append({"organisation_id": org["_id"], "kind": org["kind"], "name": org.get("name"),
                                "province": org.get("province"), "country": org.get("country", "VN")})
            else:
                parties.append({"organisation_id": None, "kind": party["kind"], "name": party["name"],
                                "province": party.get("province"), "country": party["country"]})
        known = {m["_id"] for m in self.store.meetings({"_id": {"$in": data["meeting_ids"]},
                                                        "edition_id": edition_id})}
        problems += [field_error(f"meeting_ids.{i}", "not_found", "No such meeting in this edition.")
                     for i, mid in enumerate(data["meeting_ids"]) if mid not in known]
        for i, party in enumerate(parties):
            try:
                party["province_2025"] = rollup(party["province"]) if party.get("province") else None
            except UnknownProvince:
                problems.append(field_error(f"parties.{i}.province", "unknown_province", "No such province."))
        if problems:
            raise InvalidInput("Some parties, provinces or meetings are unknown.", errors=problems)
        mou = {"_id": new_id("mou"), "edition_id": edition_id, "kind": data["kind"], "title": data["title"],
               "parties": parties, "sector": data["sector"], "products": data["products"], "value": data.get("value"),
               "signed_on": data["signed_on"].isoformat(), "signed_at_event": data.get("signed_at_event"),
               "meeting_ids": data["meeting_ids"], "document_ref": data.get("document_ref"),
               "registered_by": principal.subject, "registered_at": now_text()}
        self.store.insert_mou(mou, ev.mou_signed(mou))
        return views.mou(mou)

    def _visible_mous(self, actor: dict | None, edition_id: str) -> list[dict[str, Any]]:
        edition = self._edition(edition_id)
        principal = signed_in(actor)
        mous = self.store.mous(edition_id)
        if self._organises(principal, edition["series_id"]):
            return mous
        if principal.role == "province":
            return [m for m in mous if any(principal.province in (p.get("province"), p.get("province_2025"))
                                           for p in m["parties"])]
        if principal.role == "member":
            return [m for m in mous if any(p.get("organisation_id") == principal.organisation for p in m["parties"])]
        raise Forbidden("Your role may not see MOUs.", code="forbidden_role")

    @rpc
    def mous(self, actor: dict | None, edition_id: str) -> dict:
        """Organisers see all; a province those with a party of the province; a member its own."""
        return {"items": [views.mou({**m, "registered_by": None}) for m in self._visible_mous(actor, edition_id)]}

    @rpc
    def mou_stats(self, actor: dict | None, edition_id: str) -> dict:
        """Counts and values by country, province and sector: aggregates, so provinces see the whole edition."""
        edition = self._edition(edition_id)
        principal = signed_in(actor)
        if not (self._organises(principal, edition["series_id"]) or principal.role == "province"):
            raise Forbidden("Organisers and provinces see MOU statistics.", code="forbidden_role")
        return {"edition_id": edition_id, **views.mou_stats(self.store.mous(edition_id))}

    @timer(interval=15)
    def refresh_gauges(self) -> None:
        self.store.when_changed(_GAUGES, lambda: refresh_gauges(self.store.meeting_counts(),
                                                                self.store.mou_counts()))
