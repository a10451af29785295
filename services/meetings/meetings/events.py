"""The events the meetings service emits and the registration events it consumes.

Meeting events are internal: they name the two participations so that the
notifications service can tell both sides, and carry times with their zone
and the calendar identity (meeting id as UID, ``sequence``) so a moved
meeting updates the same calendar entry.  Free text people wrote (request
notes, outcome notes) never leaves the service.  Provinces get aggregates
(``session.created``, ``session.scheduled``) and MOUs (``mou.signed``), which
name organisations only, never people.
"""

from __future__ import annotations

from typing import Any

from shared.context import current_request_id
from shared.events.envelope import make_event

SOURCE = "meetings"
PREFIX = "vn.ketnoi.meetings"

# consumed (produced by registration)
EDITION_CREATED = "vn.ketnoi.registration.edition.created.v1"
EDITION_UPDATED = "vn.ketnoi.registration.edition.updated.v1"
ORGANISATION_REGISTERED = "vn.ketnoi.registration.organisation.registered.v1"
ORGANISATION_UPDATED = "vn.ketnoi.registration.organisation.updated.v1"
PRODUCT_REGISTERED = "vn.ketnoi.registration.product.registered.v1"
PARTICIPATION_APPROVED = "vn.ketnoi.registration.participation.approved.v1"
PARTICIPATION_CANCELLED = "vn.ketnoi.registration.participation.cancelled.v1"
# consumed by the meetings service itself: a timetable to compute in the background
SCHEDULE_REQUESTED = f"{PREFIX}.schedule.requested.v1"


def _event(kind: str, subject: str, data: dict[str, Any]) -> dict[str, Any]:
    return make_event(f"{PREFIX}.{kind}.v1", SOURCE, subject, data, current_request_id())


def _party(party: dict[str, Any]) -> dict[str, Any]:
    return {
        "participation_id": party["participation_id"],
        "organisation_id": party["organisation_id"],
        "name": party.get("name"),
        "country": party.get("country"),
        "province": party.get("province"),
    }


def _place(session: dict[str, Any], slot: str | None, table: str | None) -> dict[str, Any]:
    times = next((s for s in session["slots"] if s["id"] == slot), None)
    return {
        "slot": slot,
        "table": table,
        "starts_at": times["starts_at"] if times else None,
        "ends_at": times["ends_at"] if times else None,
    }


def meeting_event(kind: str, meeting: dict[str, Any], session: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """``meeting.<kind>`` with both parties, the place (if any) and the calendar identity."""
    data = {
        "meeting_id": meeting["_id"],
        "session_id": meeting["session_id"],
        "edition_id": meeting["edition_id"],
        "session_name": session["name"],
        "timezone": session["timezone"],
        "supplier": _party(meeting["supplier"]),
        "buyer": _party(meeting["buyer"]),
        "requested_by": meeting["requested_by"],
        "brokered": meeting.get("brokered") == "yes",
        "status": meeting["status"],
        "language": meeting.get("language"),
        "sequence": int(meeting.get("sequence") or 0),
        "expires_at": meeting.get("expires_at"),
        **_place(session, meeting.get("slot"), meeting.get("table")),
        **extra,
    }
    return _event(f"meeting.{kind}", f"sessions/{meeting['session_id']}/meetings/{meeting['_id']}", data)


def meeting_rescheduled(
    meeting: dict[str, Any], session: dict[str, Any], before_slot: str | None, before_table: str | None
) -> dict[str, Any]:
    return meeting_event("rescheduled", meeting, session, previous=_place(session, before_slot, before_table))


def status_changed(meeting: dict[str, Any], session: dict[str, Any], live: str, previous: str | None) -> dict:
    return meeting_event("status_changed", meeting, session, live=live, previous_live=previous)


def session_created(session: dict[str, Any]) -> dict[str, Any]:
    """Public: a B2B session on the programme, its hours and capacity; who meets whom comes later."""
    return _event(
        "session.created",
        f"sessions/{session['_id']}",
        {
            "session_id": session["_id"],
            "edition_id": session["edition_id"],
            "name": session["name"],
            "date": session["date"],
            "timezone": session["timezone"],
            "starts_at": session["slots"][0]["starts_at"],
            "ends_at": session["slots"][-1]["ends_at"],
            "slot_minutes": session["slot_minutes"],
            "meeting_slots": len(session["slots"]) - len(session["breaks"]),
            "tables": len(session["tables"]),
            "mode": session["mode"],
            "interpreter_languages": sorted(
                set(session["interpreters"])
                | {language for person in session.get("interpreter_people") or [] for language in person["languages"]}
            ),
        },
    )


def profile_stated(participant: dict[str, Any], stated: dict[str, Any]) -> dict[str, Any]:
    """Internal: what a participant now says it offers and seeks (business facts, no people)."""
    return _event(
        "profile.stated",
        f"editions/{participant['edition_id']}/participants/{participant['_id']}",
        {
            "participation_id": participant["_id"],
            "edition_id": participant["edition_id"],
            "organisation_id": participant["organisation_id"],
            "side": participant["side"],
            **stated,
        },
    )


def availability_changed(session: dict[str, Any], participation_id: str, away: list[str]) -> dict[str, Any]:
    """Internal: the slots a participant is away; the reason it gave stays in the service."""
    return _event(
        "availability.changed",
        f"sessions/{session['_id']}/participants/{participation_id}",
        {
            "session_id": session["_id"],
            "edition_id": session["edition_id"],
            "participation_id": participation_id,
            "away": away,
        },
    )


def supplier_tables_set(session: dict[str, Any], tables: dict[str, str]) -> dict[str, Any]:
    """Internal: which suppliers have a table of their own in a session (the whole list, replacing the last)."""
    return _event(
        "supplier_tables.set",
        f"sessions/{session['_id']}",
        {
            "session_id": session["_id"],
            "edition_id": session["edition_id"],
            "tables": [{"participation_id": pid, "table": table} for pid, table in sorted(tables.items())],
        },
    )


def time_away_changed(edition_id: str, participation_id: str, periods: list[dict[str, Any]]) -> dict[str, Any]:
    """Internal: the periods a participant is away during the edition, by kind and time (nothing it wrote)."""
    return _event(
        "time_away.changed",
        f"editions/{edition_id}/participants/{participation_id}",
        {
            "edition_id": edition_id,
            "participation_id": participation_id,
            "periods": [{"kind": p["kind"], "starts_at": p["starts_at"], "ends_at": p["ends_at"]} for p in periods],
        },
    )


def schedule_requested(job: dict[str, Any]) -> dict[str, Any]:
    """Internal: organisers asked for a timetable to be computed in the background (``Prefer: respond-async``);
    the meetings service consumes it itself, so the request survives a restart."""
    return _event(
        "schedule.requested",
        f"sessions/{job['session_id']}/jobs/{job['_id']}",
        {
            "job_id": job["_id"],
            "session_id": job["session_id"],
            "edition_id": job["edition_id"],
            "full": job["request"]["full"],
            "rebook_no_shows": job["request"]["rebook_no_shows"],
            "now": job["request"].get("now"),
        },
    )


def session_scheduled(run: dict[str, Any]) -> dict[str, Any]:
    """Public: how a session's timetable came out, in numbers."""
    return _event(
        "session.scheduled",
        f"sessions/{run['session_id']}",
        {
            "session_id": run["session_id"],
            "edition_id": run["edition_id"],
            "run_id": run["_id"],
            "mode": run["mode"],
            "meetings": run["meetings"],
            "scheduled": run["scheduled"],
            "unplaced": len(run["unplaced"]),
            "moved": len(run["moved"]),
            "slots_used": run["slots_used"],
            "delta": run["delta"],
            "slots_available": run["slots_available"],
            "solver_ms": run["solver_ms"],
        },
    )


def agenda_published(session: dict[str, Any], participants: list[str]) -> dict[str, Any]:
    agenda = session["agenda"]
    return _event(
        "agenda.published",
        f"sessions/{session['_id']}",
        {
            "session_id": session["_id"],
            "edition_id": session["edition_id"],
            "session_name": session["name"],
            "stage": agenda["stage"],
            "version": agenda["version"],
            "published_at": agenda["published_at"],
            "participants": participants,
        },
    )


def mou_signed(mou: dict[str, Any]) -> dict[str, Any]:
    return _event(
        "mou.signed",
        f"editions/{mou['edition_id']}/mous/{mou['_id']}",
        {
            "mou_id": mou["_id"],
            "edition_id": mou["edition_id"],
            "kind": mou["kind"],
            "title": mou["title"],
            "sector": mou["sector"],
            "products": mou["products"],
            "value": mou.get("value"),
            "signed_on": mou["signed_on"],
            "parties": mou["parties"],
            "meeting_ids": mou["meeting_ids"],
            "document_ref": mou.get("document_ref"),
        },
    )
