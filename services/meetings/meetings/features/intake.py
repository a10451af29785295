"""What registration tells us: editions, organisations, products and approved participants.

The meetings service never reads registration's database; it keeps its own
copies from these events, and a cancelled participation closes that
participant's open meetings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from meetings import events as ev
from meetings import planning
from meetings.store import OPEN, MeetingsStore
from shared.events.consumer import event_handler


class Intake:
    store: MeetingsStore
    _close: Callable[..., dict[str, Any] | None]

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
            for meeting in self.store.meetings(
                {f"{side}.participation_id": data["participation_id"], "status": {"$in": list(OPEN)}}
            ):
                for _ in range(3):  # it may change under us (an answer, a live status): read it again
                    if (
                        meeting is None
                        or meeting["status"] not in OPEN
                        or self._close(meeting, "cancelled", "participation_cancelled")
                    ):
                        break
                    meeting = self.store.meeting(meeting["_id"])
                else:
                    raise RuntimeError(f"meeting {meeting['_id']} kept changing; the event is retried")
