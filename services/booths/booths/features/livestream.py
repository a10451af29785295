"""Livestream studios: exhibitors book time slots on a livestream booth, never double-booked, a few each.

The slot's id is the studio and its start, so the store's unique ``_id``
refuses a second booking; the per-exhibitor count is a conditional counter
taken first and given back when the slot is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from booths import events as ev
from booths import views
from booths.schemas import Livestream, SlotIn
from booths.store import BoothsStore, booth_id
from shared import pages
from shared.entrypoints import rpc
from shared.errors import Conflict, InvalidInput, NotFound, field_error
from shared.timestamps import to_text
from shared.validation import load


class LivestreamSlots:
    store: BoothsStore
    _plan: Callable[[str], dict[str, Any]]
    _applicant_for: Callable[[dict | None, str, str], dict[str, Any]]

    @rpc
    def book_slot(self, actor: dict | None, edition_id: str, booth_code: str, payload: dict) -> dict:
        """A time slot on a livestream studio: never double-booked, a few per organisation."""
        plan = self._plan(edition_id)
        data = load(SlotIn, payload)
        applicant = self._applicant_for(actor, data["participation_id"], edition_id)
        booth = self.store.booth(edition_id, booth_code)
        if booth is None or booth["kind"] != "livestream":
            raise NotFound("No livestream studio with this code.", code="booth_not_found")
        settings = (plan.get("quotas") or {}).get("livestream") or Livestream().load({})
        problem = views.slot_problem(plan, settings, data["starts_at"])
        if problem:
            raise InvalidInput("This is not a bookable slot.", errors=[field_error("starts_at", *problem)])
        if not self.store.take_quota(applicant["_id"], "slots_held", settings["per_organisation"]):
            raise Conflict(f"At most {settings['per_organisation']} slots per exhibitor.", code="slot_limit")
        start = to_text(data["starts_at"])
        slot = {
            "_id": f"{booth_id(edition_id, booth_code)}:{start}",
            "edition_id": edition_id,
            "booth_code": booth_code,
            "starts_at": start,
            "ends_at": to_text(data["starts_at"] + timedelta(minutes=settings["slot_minutes"])),
            "participation_id": applicant["_id"],
            "organisation_id": applicant["organisation_id"],
            "organisation_name": applicant.get("name"),
        }
        if not self.store.book_slot(slot, ev.slot_booked(slot, applicant.get("province"))):
            self.store.give_back_quota(applicant["_id"], "slots_held")
            raise Conflict("This slot is booked.", code="slot_taken")
        return views.slot(slot, views.zone_of(plan))

    @rpc
    def slots(self, edition_id: str, query: dict | None = None) -> dict:
        zone = views.zone_of(self._plan(edition_id))
        wanted = pages.requested(query, f"slots:{edition_id}")
        return self.store.page(
            "slots", {"edition_id": edition_id}, wanted, projection={"outbox": 0, "outbox_n": 0}
        ).answer(lambda s: views.slot(s, zone))
