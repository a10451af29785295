"""A timetable is computed in an OS thread of eventlet's pool, so the meetings service answers other calls
meanwhile; before, the solve held the service's only hub and every call waited for it."""

from __future__ import annotations

import uuid

import eventlet
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from meetings import booking
from meetings.domain.model import Objectives
from meetings.domain.timetable import schedule_meetings
from meetings.service import MeetingsService
from meetings.store import MeetingsStore
from shared.auth import Principal
from shared.store import door_for
from tests.integration.test_meeting_events import CONFIG, make_session
from tests.support.waiting import wait_for
from tests.unit.test_timetable_objectives import INTERPRETERS, quang_tri

pytestmark = pytest.mark.usefixtures("service_env")
OPS = Principal(role="ops", subject="it-ops").as_dict()


def test_pings_are_answered_while_a_heavy_timetable_is_solved(container_factory, amqp_uri, monkeypatch):
    session, meetings, away = quang_tri(3)
    real = booking.solve
    solving: list[bool] = []  # appended from the solver's OS thread (an eventlet Event is not thread-safe)

    def heavy(*args):
        """The real solve, after six Quảng Trị-sized ones with every objective (about a second of CPU)."""
        solving.append(True)
        for _ in range(6):
            schedule_meetings(session, meetings, away, INTERPRETERS, objectives=Objectives())
        return real(*args)

    monkeypatch.setattr(booking, "solve", heavy)
    store = MeetingsStore(door_for("meetings"))
    sid = make_session(store, f"ed_{uuid.uuid4().hex[:8]}")["_id"]
    container = container_factory(MeetingsService, {"AMQP_URI": amqp_uri, **CONFIG})
    container.start()
    config = {"AMQP_URI": amqp_uri, **CONFIG}

    def schedule() -> dict:
        with ClusterRpcProxy(config, timeout=60) as rpc:  # a client of its own: a proxy is one greenthread's
            return rpc.meetings.schedule(OPS, sid, {"full": True})

    with ClusterRpcProxy(config, timeout=60) as rpc:
        assert rpc.meetings.ping() == {"store": True}
        run = eventlet.spawn(schedule)
        wait_for(lambda: solving, timeout=30)  # the run has reached its solve
        answered = 0
        while not run.dead:
            assert rpc.meetings.ping() == {"store": True}
            answered += 1 if not run.dead else 0
        assert run.wait()["mode"] == "full"
    # one ping at most could slip in after a blocked solve and before the run's reply; dozens fit in a second
    assert answered >= 5, answered
