"""What registration tells the booths service: editions, approved and cancelled exhibitors, organisation names.

Registration's events are the only way booths learns them (never its
database).  A cancellation frees the exhibitor's booths, each offered on to
the waitlist, and closes its open offers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from booths import events as ev
from booths.store import BoothsStore
from shared.events.consumer import event_handler


class Intake:
    store: BoothsStore
    _count: Callable[[str, dict[str, Any], int], None]
    _offer_next: Callable[[str, str], dict[str, Any] | None]
    _close_offer: Callable[[dict[str, Any], str], None]

    @event_handler(ev.EDITION_CREATED, ev.EDITION_UPDATED)
    def on_edition(self, event: dict) -> None:
        self.store.remember_edition(event["data"])

    @event_handler(ev.PARTICIPATION_APPROVED)
    def on_approved(self, event: dict) -> None:
        """Approved exhibitors may apply for booths (other roles need none)."""
        data = event["data"]
        if data["role"] != "exhibitor":
            return
        plan = self.store.plan(data["edition_id"])
        if plan is None:
            raise LookupError(f"edition {data['edition_id']} not known yet")  # retried: its event is on the way
        returning = self.store.remember_exhibitor(plan["series_id"], data["organisation_id"], data["edition_id"])
        self.store.upsert_applicant(data, returning)

    @event_handler(ev.PARTICIPATION_CANCELLED)
    def on_cancelled(self, event: dict) -> None:
        """A cancelled exhibitor loses its booths; each freed booth is offered to the waitlist."""
        data = event["data"]
        self.store.cancel_applicant(data["participation_id"], data["edition_id"])
        applicant = self.store.applicant(data["participation_id"])
        for booth in self.store.held_by(applicant["_id"]):
            self._release(booth, applicant, "participation_cancelled")
        for offer in self.store.offers({"participation_id": applicant["_id"], "status": "open"}):
            self._close_offer(offer, "declined")

    @event_handler(ev.ORGANISATION_UPDATED)
    def on_organisation_updated(self, event: dict) -> None:
        data = event["data"]
        self.store.update_organisation(data["organisation_id"], {"name": data["name"]})

    def _release(self, booth: dict[str, Any], applicant: dict[str, Any], reason: str) -> None:
        holder = booth["holder"]
        if self.store.release(
            booth["edition_id"],
            booth["code"],
            holder["participation_id"],
            lambda b: ev.booth_released(b, holder, reason),
            offer_due=True,
        ):
            self._count(booth["edition_id"], holder, -1)
            self._offer_next(booth["edition_id"], booth["code"])
