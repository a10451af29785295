"""Upkeep timers: expiring requests, sweeping and restoring holds, repairing counters, refreshing gauges.

Each repairs what a crash between two writes can leave behind, without
trusting one look: a difference must be seen identically on two passes
before it is corrected.  What the last pass saw is per process (the module
globals below); idle, nothing runs (``shared.store.recount``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from nameko.timer import timer

from meetings.booking import Booker
from meetings.features.timetable import SCHEDULER_LEASE
from meetings.metrics import refresh_gauges
from meetings.store import MeetingsStore, is_table_hold, table_hold
from shared.store import Recount
from shared.timestamps import now_text, to_text

log = logging.getLogger(__name__)
# Periodic looks at the whole database, run only when something may have changed (shared.store.recount).
_GAUGES, _SWEEP, _LOADS = Recount(), Recount(), Recount()
# per process: the meeting-counter differences (stored, actual) the last pass saw
_LOAD_DRIFT: dict[str, tuple[int, int]] = {}
# per process: placed meetings seen without their holds on the last pass (meeting → slot, table)
_UNHELD: dict[str, tuple[str, str]] = {}


class Upkeep:
    store: MeetingsStore
    _close: Callable[..., dict[str, Any] | None]

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
        """A table hold is alive only for its meeting's own table: a run cut off between taking a new table
        at the same slot and writing the meeting left the new one held by a meeting that sits elsewhere."""
        self._restore_holds()
        cutoff = to_text(datetime.now(UTC) - timedelta(minutes=1))
        holds, owners = self.store.holds_taken_before(cutoff)
        for hold in holds:
            meeting = owners.get(hold["meeting_id"])
            slot = hold.get("slot")
            alive = meeting is not None and (
                (
                    meeting["status"] == "accepted"
                    and meeting.get("slot") == slot
                    and (
                        not is_table_hold(hold["_id"])
                        or hold["_id"] == table_hold(meeting["session_id"], meeting.get("table"), slot)
                    )
                )
                or (meeting["status"] == "requested" and meeting.get("held_slot") == slot)
            )
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

    @timer(interval=15)
    def refresh_gauges(self) -> None:
        self.store.when_changed(_GAUGES, lambda: refresh_gauges(self.store.meeting_counts(), self.store.mou_counts()))
