"""The meetings service on the real broker and store: registration's events, redelivered, change nothing
twice; a cancelled participant's meetings are cancelled once; requests fall due while the service is down."""

from __future__ import annotations

import json
import uuid

import pytest
from nameko.testing.services import entrypoint_hook

from meetings import events as meeting_events
from meetings.booking import Booker
from meetings.domain.lifecycle import meeting_id
from meetings.planning import busy_steps
from meetings.service import MeetingsService
from meetings.store import MeetingsStore, participant_hold, table_hold
from shared.auth import Principal
from shared.events.envelope import make_event
from shared.store import database, door_for
from tests.support.counters import CONSUMED, Counted
from tests.support.events import Tap, publish
from tests.support.waiting import wait_for

pytestmark = pytest.mark.usefixtures("service_env")
CONFIG = {"ACCEPT": ["json", "cloudevents"]}


def registration_event(kind: str, data: dict) -> dict:
    return make_event(f"vn.ketnoi.registration.{kind}.v1", "registration", "x", data)


def participation(edition_id: str, pid: str, role: str, status: str = "approved") -> dict:
    data = {
        "participation_id": pid,
        "edition_id": edition_id,
        "organisation_id": f"org_{pid}",
        "organisation_kind": "foreign_buyer" if role == "buyer" else "cooperative",
        "organisation_name": {"vi": f"Tổ chức {pid}"},
        "province": None if role == "buyer" else "quang-tri",
        "province_2025": None if role == "buyer" else "quang-tri",
        "country": "JP" if role == "buyer" else "VN",
        "sectors": ["processed_food"],
        "ocop_max_stars": None,
        "languages": ["en"] if role == "buyer" else ["vi"],
        "interpreter_languages": ["ja"] if role == "buyer" else [],
        "role": role,
        "status": status,
        "wants": {"booths": 0, "b2b": True, "site_visits": [], "livestream": False},
        "version": 2,
    }
    if status == "approved":
        data["promoted_from_waitlist"] = False
    return registration_event(f"participation.{status}", data)


def make_session(store: MeetingsStore, edition_id: str) -> dict:
    session = {
        "_id": f"ses_{uuid.uuid4().hex[:8]}",
        "edition_id": edition_id,
        "series_id": "s1",
        "name": {"vi": "B2B"},
        "date": "2025-07-10",
        "timezone": "Asia/Ho_Chi_Minh",
        "venue": "Đồng Hới",
        "slot_minutes": 20,
        "slots": [
            {"id": f"S0{i}", "starts_at": f"2025-07-10T1{i}:00:00+07:00", "ends_at": f"2025-07-10T1{i}:20:00+07:00"}
            for i in range(1, 4)
        ],
        "breaks": [],
        "tables": ["T01"],
        "mode": "pick",
        "settings": {"auto_accept": False},
        "request_ttl_hours": 48,
        "max_meetings": 5,
        "interpreters": {"ja": 1},
        "agenda": None,
        "scheduler": None,
    }
    store.insert_session(session, meeting_events.session_created(session))
    return session


def test_redelivered_events_change_nothing_twice_and_a_cancellation_cancels_meetings_once(container_factory, amqp_uri):
    edition_id = f"ed_{uuid.uuid4().hex[:8]}"
    approvals = Counted(
        CONSUMED, handler="meetings.on_approved", type=meeting_events.PARTICIPATION_APPROVED, outcome="ok"
    )
    container = container_factory(MeetingsService, {"AMQP_URI": amqp_uri, **CONFIG})
    container.start()
    store = MeetingsStore(door_for("meetings"))
    tap = Tap(f"it.meetings.{uuid.uuid4().hex[:6]}", ("vn.ketnoi.meetings.#",))
    try:
        organisation = registration_event(
            "organisation.registered",
            {
                "organisation_id": "org_p_sup",
                "kind": "cooperative",
                "name": {"vi": "HTX Nấm Tân Hợp"},
                "province": "quang-tri",
                "country": "VN",
                "sectors": ["processed_food"],
                "version": 1,
            },
        )
        product = registration_event(
            "product.registered",
            {
                "product_id": "prd_1",
                "organisation_id": "org_p_sup",
                "name": {"vi": "Nấm linh chi"},
                "category": "farm_produce",
                "ocop_stars": 4,
                "certifications": ["vietgap"],
                "origin_province": "quang-tri",
            },
        )
        for event in (
            organisation,
            product,
            participation(edition_id, "p_sup", "exhibitor"),
            participation(edition_id, "p_buy", "buyer"),
            participation(edition_id, "p_vis", "visitor"),
        ):
            publish(event)
            publish(event)  # redelivered
        wait_for(lambda: len(store.participants(edition_id)) == 2 and store.products(["org_p_sup"]))
        assert {p["_id"]: p["side"] for p in store.participants(edition_id)} == {"p_sup": "supplier", "p_buy": "buyer"}
        assert store.participant("p_buy")["interpreter_languages"] == ["ja"]
        assert len(store.products(["org_p_sup"])["org_p_sup"]) == 1

        session = make_session(store, edition_id)
        mid = meeting_id(session["_id"], "p_sup", "p_buy")
        sup, buy = store.participant("p_sup"), store.participant("p_buy")
        meeting = {
            "_id": mid,
            "session_id": session["_id"],
            "edition_id": edition_id,
            "supplier": {
                "participation_id": "p_sup",
                "organisation_id": "org_p_sup",
                "name": sup["name"],
                "country": "VN",
                "province": "quang-tri",
            },
            "buyer": {
                "participation_id": "p_buy",
                "organisation_id": "org_p_buy",
                "name": buy["name"],
                "country": "JP",
                "province": None,
            },
            "requested_by": "buyer",
            "note": None,
            "brokered": "no",
            "status": "accepted",
            "slot": "S01",
            "table": "T01",
            "held_slot": None,
            "locked": "participant",
            "live": None,
            "language": "ja",
            "priority": 0,
            "sequence": 0,
            "version": 1,
            "expires_at": None,
        }
        store.open_meeting(meeting, [])
        for pid in ("p_sup", "p_buy"):
            assert store.take_load(session["_id"], pid, 5)
        assert Booker(store, session).place(meeting, "S01", "T01").keys

        cancelled = participation(edition_id, "p_buy", "buyer", status="cancelled")
        publish(cancelled)
        publish(cancelled)  # redelivered
        wait_for(lambda: store.meeting(mid)["status"] == "cancelled")
        drained = (json.loads(m.body) for m in tap.drain(expect=1, timeout=10, settle=1.5))
        # published at least once: dedupe by id; the session's own creation event comes too
        events = [e for e in {e["id"]: e for e in drained}.values() if ".meeting." in e["type"]]
        assert [e["type"] for e in events] == ["vn.ketnoi.meetings.meeting.cancelled.v1"]
        data = events[0]["data"]
        assert (data["reason"], data["slot"], data["sequence"]) == ("participation_cancelled", "S01", 1)
        assert store.holds_of(mid) == []  # the slot is free again for both
        assert database("meetings").loads.find_one({"_id": f"{session['_id']}|p_sup"})["n"] == 0
        # approval redelivered after the cancellation: the tombstone stays
        publish(participation(edition_id, "p_buy", "buyer"))
        approvals.wait(4)  # the supplier's, the buyer's and the visitor's approvals, then this one, each run once
        assert store.participant("p_buy")["status"] == "cancelled"
    finally:
        tap.delete()


def test_a_request_due_while_the_service_was_down_expires_on_start_and_frees_its_slot(container_factory, amqp_uri):
    edition_id = f"ed_{uuid.uuid4().hex[:8]}"
    store = MeetingsStore(door_for("meetings"))
    for pid, role in (("q_sup", "exhibitor"), ("q_buy", "buyer")):
        store.upsert_participant(
            participation(edition_id, pid, role)["data"], "supplier" if role == "exhibitor" else "buyer"
        )
    session = make_session(store, edition_id)
    mid = meeting_id(session["_id"], "q_sup", "q_buy")
    request = {
        "_id": mid,
        "session_id": session["_id"],
        "edition_id": edition_id,
        "supplier": {
            "participation_id": "q_sup",
            "organisation_id": "org_q_sup",
            "name": None,
            "country": "VN",
            "province": "quang-tri",
        },
        "buyer": {
            "participation_id": "q_buy",
            "organisation_id": "org_q_buy",
            "name": None,
            "country": "JP",
            "province": None,
        },
        "requested_by": "supplier",
        "note": "Xin gặp",
        "brokered": "no",
        "status": "requested",
        "held_slot": "S02",
        "slot": None,
        "table": None,
        "locked": None,
        "live": None,
        "language": "ja",
        "priority": 0,
        "sequence": 0,
        "version": 1,
        "expires_at": "2020-01-01T00:00:00.000000Z",
    }
    store.open_meeting(request, [])
    assert Booker(store, session).hold_people(request, "S02").keys

    container = container_factory(MeetingsService, {"AMQP_URI": amqp_uri, **CONFIG})
    container.start()  # the service was down when the request fell due
    wait_for(lambda: store.meeting(mid)["status"] == "expired", timeout=15)
    assert store.meeting(mid)["reason"] == "no_answer"
    assert store.holds_of(mid) == []


def test_the_sweeper_drops_holds_a_crash_left_and_keeps_live_ones():
    """A hold whose meeting was never written (or has moved) is dropped after a minute; a live one stays."""
    from nameko.testing.services import worker_factory

    db = door_for("meetings")
    store = MeetingsStore(db)
    edition_id = f"ed_{uuid.uuid4().hex[:8]}"
    session = make_session(store, edition_id)
    live = meeting_id(session["_id"], "w_sup", "w_buy")
    store.open_meeting(
        {
            "_id": live,
            "session_id": session["_id"],
            "edition_id": edition_id,
            "status": "accepted",
            "supplier": {"participation_id": "w_sup"},
            "buyer": {"participation_id": "w_buy"},
            "slot": "S01",
            "table": "T01",
            "version": 1,
        },
        [],
    )
    old = "2020-01-01T00:00:00.000000Z"
    step = {slot["id"]: busy_steps(slot)[0] for slot in session["slots"]}
    keys = {
        "live": (participant_hold(edition_id, "w_sup", step["S01"]), "S01"),
        "table": (table_hold(session["_id"], "T01", "S01"), "S01"),
        "moved": (participant_hold(edition_id, "w_sup", step["S02"]), "S02"),
        "orphan": (participant_hold(edition_id, "w_x", step["S03"]), "S03"),
    }
    for name, (key, slot) in keys.items():
        db.holds.insert_one(
            {
                "_id": key,
                "session_id": session["_id"],
                "at": old,
                "slot": slot,
                "meeting_id": "mtg_never_written" if name == "orphan" else live,
            }
        )
    worker_factory(MeetingsService, store=store).sweep_holds()
    assert sorted(h["_id"] for h in db.holds.find({"session_id": session["_id"]})) == sorted(
        [keys["live"][0], keys["table"][0]]
    )


def test_a_background_timetable_outlives_its_worker_and_runs_once(container_factory, amqp_uri):
    """A job left running by a dead worker runs again when its event comes back; a finished one never does."""
    store = MeetingsStore(door_for("meetings"))
    session = make_session(store, f"ed_{uuid.uuid4().hex[:8]}")
    request = {"full": False, "rebook_no_shows": False}
    jobs = {}
    for name, status in (("orphan", "running"), ("finished", "done")):
        jobs[name] = {
            "_id": f"job_{name}_{uuid.uuid4().hex[:6]}",
            "session_id": session["_id"],
            "edition_id": session["edition_id"],
            "series_id": "s1",
            "request": request,
            "status": status,
            "requested_at": "2026-01-01T00:00:00.000000Z",
            "started_at": "2026-01-01T00:00:01.000000Z",
            "finished_at": None,
            "attempts": 1,
            "run": None,
            "error": None,
        }
        store.db.jobs.insert_one(jobs[name])  # as a worker that died (or finished) left it

    container = container_factory(MeetingsService, {"AMQP_URI": amqp_uri, **CONFIG})
    container.start()
    requested = {name: meeting_events.schedule_requested(job) for name, job in jobs.items()}
    for event in requested.values():
        publish(event)  # the broker hands the event out again
    wait_for(lambda: store.job(jobs["orphan"]["_id"])["status"] == "done")
    orphan = store.job(jobs["orphan"]["_id"])
    assert orphan["attempts"] == 2 and orphan["run"]["meetings"] == 0 and orphan["error"] is None
    inbox = database("meetings").inbox
    wait_for(
        lambda: (
            (inbox.find_one({"_id": f"run_schedule_job:{requested['finished']['id']}"}) or {}).get("state") == "done"
        )
    )  # its event was handled ...
    finished = store.job(jobs["finished"]["_id"])
    assert (finished["status"], finished["attempts"], finished["finished_at"]) == ("done", 1, None)  # untouched


def test_asking_again_while_a_timetable_is_queued_answers_the_same_job(container_factory, amqp_uri):
    store = MeetingsStore(door_for("meetings"))
    session = make_session(store, f"ed_{uuid.uuid4().hex[:8]}")
    queued = {
        "_id": f"job_{uuid.uuid4().hex[:6]}",
        "session_id": session["_id"],
        "edition_id": session["edition_id"],
        "series_id": "s1",
        "request": {"full": False, "rebook_no_shows": False},
        "status": "queued",
        "requested_at": "2026-01-01T00:00:00.000000Z",
        "started_at": None,
        "finished_at": None,
        "attempts": 0,
        "run": None,
        "error": None,
    }
    store.db.jobs.insert_one(queued)
    container = container_factory(MeetingsService, {"AMQP_URI": amqp_uri, **CONFIG})
    container.start()
    organiser = Principal(role="organiser", subject="it-organiser", series="s1").as_dict()
    with entrypoint_hook(container, "schedule_later") as schedule_later:
        again = schedule_later(organiser, session["_id"], {"full": True})
    assert again["id"] == queued["_id"] and again["status"] == "queued"
    assert store.db.jobs.count_documents({"session_id": session["_id"]}) == 1
