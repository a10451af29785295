"""On the day: a scheduled meeting's live status (checked in, in progress, done, no-show) and its outcome.

The steps a status may take are :data:`meetings.domain.lifecycle.LIVE_STEPS`;
a no-show is what a rescheduling run rebooks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from meetings import access, views
from meetings import events as ev
from meetings.domain.lifecycle import may_become
from meetings.schemas import LiveIn
from meetings.store import MeetingsStore
from shared.entrypoints import rpc
from shared.errors import Conflict
from shared.timestamps import now_text
from shared.validation import load


class OnTheDay:
    store: MeetingsStore
    _meeting: Callable[[str], tuple[dict[str, Any], dict[str, Any]]]

    @rpc
    def set_live(self, actor: dict | None, meeting_id: str, payload: dict) -> dict:
        """On the day: checked in, in progress, done (with an outcome) or no-show."""
        meeting, session = self._meeting(meeting_id)
        principal = access.require_party_or_organiser(
            actor, meeting, session["series_id"], "Only the two parties and the organisers update this meeting."
        )
        data = load(LiveIn, payload)
        if meeting["status"] != "accepted" or not meeting.get("slot"):
            raise Conflict("Only a scheduled meeting has a live status.", code="not_scheduled")
        previous = meeting.get("live")
        if not may_become(previous, data["status"]):
            raise Conflict(
                f"A meeting {previous or 'not started'} cannot become {data['status']}.", code="invalid_transition"
            )
        changes: dict[str, Any] = {"live": data["status"]}
        if data.get("outcome"):
            changes["outcome"] = {**data["outcome"], "by": principal.subject, "at": now_text()}
        after = self.store.change_meeting(
            meeting,
            {"status": "accepted", "version": meeting.get("version", 1)},
            changes,
            lambda m: [ev.status_changed(m, session, data["status"], previous)],
        )
        if after is None:
            raise Conflict("This meeting changed meanwhile; reload it.", code="changed")
        return views.meeting(after, session)
