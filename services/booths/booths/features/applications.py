"""Booth applications: an approved exhibitor asks for booths (how many, ranked preferences, needs) and reads
its own application with the booths it holds and its open offers.

Preferences must name something on the floor plan; a resubmission keeps
its first submission time (the allocation and the offers order applicants by it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from booths import events as ev
from booths import views
from booths.schemas import ApplicationIn
from booths.store import BoothsStore
from shared.entrypoints import rpc
from shared.errors import InvalidInput, field_error
from shared.timestamps import now_text
from shared.validation import load


class Applications:
    store: BoothsStore
    _applicant_for: Callable[[dict | None, str, str], dict[str, Any]]
    _zone: Callable[[str], str]

    @rpc
    def apply(self, actor: dict | None, edition_id: str, payload: dict) -> dict:
        data = load(ApplicationIn, payload)
        applicant = self._applicant_for(actor, data["participation_id"], edition_id)
        booths = {b["code"]: b for b in self.store.booths(edition_id)}
        zones = {b["zone"] for b in booths.values()}
        kinds = {b["kind"] for b in booths.values()}
        unknown = [
            field_error(f"preferences.{i}.value", "unknown", f"No {p['type']} {p['value']} on this plan.")
            for i, p in enumerate(data["preferences"])
            if p["value"] not in {"booth": booths, "zone": zones, "kind": kinds}[p["type"]]
        ]
        if unknown:
            raise InvalidInput("Some preferences name nothing on the floor plan.", errors=unknown)
        wish = {
            **{k: data[k] for k in ("booths_wanted", "preferences", "needs")},
            "submitted_at": (applicant.get("application") or {}).get("submitted_at") or now_text(),
        }
        self.store.set_application(applicant["_id"], wish, ev.application_submitted(applicant, wish))
        return views.applicant({**applicant, "application": wish}, self._zone(edition_id))

    @rpc
    def application(self, actor: dict | None, edition_id: str, participation_id: str) -> dict:
        """An exhibitor's own view: its booth application, the booths it holds, its open offers."""
        applicant = self._applicant_for(actor, participation_id, edition_id)
        zone = self._zone(edition_id)
        return {
            **views.applicant(applicant, zone),
            "booths": [views.booth(b, zone) for b in self.store.held_by(participation_id)],
            "offers": [
                views.offer(o, zone)
                for o in self.store.offers({"participation_id": participation_id, "status": "open"})
            ],
        }
