"""The timetable: organisers' locks, and the optimiser's runs, at once or as a background job.

One run per session at a time: a run claims the session (the claim lapses
after :data:`SCHEDULER_LEASE`, so a crashed run does not block it forever),
and picks and locks wait while a run is going.  The placing itself is
:class:`meetings.booking.Booker`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import eventlet

from meetings import access, planning, views
from meetings import events as ev
from meetings.booking import Booker, PlaceRefused, refused
from meetings.domain.model import REASONS
from meetings.metrics import SLOTS_LOWER_BOUND, SLOTS_USED, SOLVER_SECONDS, UNPLACED
from meetings.schemas import LockIn, ScheduleIn
from meetings.store import MeetingsStore
from shared.entrypoints import rpc
from shared.errors import Conflict, InvalidInput, NotFound, field_error
from shared.events.consumer import event_handler
from shared.ids import new_id
from shared.timestamps import now_text, to_text
from shared.validation import load

log = logging.getLogger(__name__)
SCHEDULER_LEASE = timedelta(minutes=5)  # a timetable run's claim on its session lapses after this
UNPLACED_REASONS = (*REASONS, "conflict")
JOB_WAIT = 60.0  # seconds a background run waits for one already going on the same session
# Above this many accepted meetings POST …/schedule queues a job even unasked: written in bulk, 1,000 meetings
# took about 3 s end to end on two shared cores (README, "Measured numbers"), so this many stays well inside
# the gateway's 60 s deadline.
SYNC_MEETINGS = 3000


class Timetabling:
    store: MeetingsStore
    _session: Callable[[str], dict[str, Any]]
    _meeting: Callable[[str], tuple[dict[str, Any], dict[str, Any]]]

    @rpc
    def lock(self, actor: dict | None, meeting_id: str, payload: dict) -> dict:
        """An organiser puts an accepted meeting at a slot (and table); the optimiser leaves it there."""
        meeting, session = self._meeting(meeting_id)
        access.require_organiser(actor, session["series_id"])
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
            raise refused(exc) from None

        def events(after: dict[str, Any]) -> list[dict[str, Any]]:
            if before_slot is None:
                return [ev.meeting_event("scheduled", after, session)]
            return [ev.meeting_rescheduled(after, session, before_slot, before_table)]

        after = self.store.change_meeting(
            meeting,
            {"status": "accepted", "slot": before_slot, "version": meeting.get("version", 1)},
            {
                "slot": data["slot"],
                "table": held.table,
                "locked": "organiser",
                "unplaced_reason": None,
                **booker.seated(held),
            },
            events,
            bump_sequence=before_slot is not None,
        )
        if after is None:
            booker.undo(held, meeting_id)
            raise Conflict("This meeting changed meanwhile; reload it.", code="not_accepted")
        self.store.drop_holds(meeting_id, keep=held.keys)
        return views.meeting(after, session)

    @rpc
    def unlock(self, actor: dict | None, meeting_id: str) -> dict:
        meeting, session = self._meeting(meeting_id)
        access.require_organiser(actor, session["series_id"])
        after = self.store.change_meeting(meeting, {"status": "accepted"}, {"locked": None}, lambda m: [])
        if after is None:
            raise Conflict("Only accepted meetings can be unlocked.", code="not_accepted")
        return views.meeting(after, session)

    @rpc
    def schedule(self, actor: dict | None, session_id: str, payload: dict) -> dict:
        """Place every accepted meeting (König's Δ slots where only people constrain); announce what moved.

        A session with more than :data:`SYNC_MEETINGS` accepted meetings is scheduled in the background
        even when the caller did not ask for it: the answer is then ``{"queued": job}`` (the gateway
        answers 202 with the job), as a run that long would outlive the gateway's deadline.
        """
        session, data = self._schedule_request(actor, session_id, payload)
        if self.store.accepted_count(session_id) > SYNC_MEETINGS:
            return {"queued": self._queue_schedule(session, data)}
        return views.run(self._schedule(session, data), session["timezone"])

    @rpc
    def schedule_later(self, actor: dict | None, session_id: str, payload: dict) -> dict:
        """The same, in the background (``Prefer: respond-async``): checked now, queued as an event this
        service consumes itself, so a request survives a restart; the caller polls the job.  One job per
        session at a time: asking again while one is queued or running answers that job."""
        session, data = self._schedule_request(actor, session_id, payload)
        return self._queue_schedule(session, data)

    def _queue_schedule(self, session: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        """A job for one run of ``session``, or the one already queued or running."""
        session_id = session["_id"]
        waiting = self.store.unfinished_job(session_id)
        if waiting is not None:  # a second click while one is queued or running: the same job, not a queue
            return views.job(waiting)
        job = {
            "_id": new_id("job"),
            "session_id": session_id,
            "edition_id": session["edition_id"],
            "series_id": session["series_id"],
            "request": data,
            "status": "queued",
            "requested_at": now_text(),
            "started_at": None,
            "finished_at": None,
            "attempts": 0,
            "run": None,
            "error": None,
        }
        self.store.insert_job(job, ev.schedule_requested(job))
        return views.job(job)

    @rpc
    def schedule_job(self, actor: dict | None, session_id: str, job_id: str) -> dict:
        session = self._session(session_id)
        access.require_organiser(actor, session["series_id"])
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
            session = self._session(job["session_id"])
            run = self._schedule(session, job["request"], wait=JOB_WAIT)
        except (Conflict, NotFound) as exc:
            self.store.finish_job(job["_id"], "failed", error={"code": exc.code, "detail": str(exc)})
            return
        except Exception:  # a bug or an outage: the job must not poll as running forever
            log.exception("scheduling job %s failed", job["_id"])
            self.store.finish_job(
                job["_id"], "failed", error={"code": "internal_error", "detail": "The timetable could not be computed."}
            )
            return
        self.store.finish_job(job["_id"], "done", run=views.run(run, session["timezone"]))

    def _schedule_request(
        self, actor: dict | None, session_id: str, payload: dict | None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        session = self._session(session_id)
        access.require_organiser(actor, session["series_id"])
        data = load(ScheduleIn, payload or {})
        if data.get("now") and data["now"] not in planning.domain_session(session).slots:
            raise InvalidInput(
                "now must name a meeting slot.", errors=[field_error("now", "not_found", "Not a meeting slot.")]
            )
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
