"""Self-service claims: first come, first served once the organisers have committed an allocation run.

Exactly one claimant wins a booth: the claim takes its places under every
limit first (conditional counters), then the booth (conditional on it being
free); the loser gets its places back and a few similar free booths instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from booths import events as ev
from booths import planning, views
from booths.domain.claims import suggest_similar
from booths.metrics import CLAIM_CONFLICTS
from booths.rules import check_eligible
from booths.schemas import ClaimIn
from booths.store import BoothsStore, Taken
from shared.entrypoints import rpc
from shared.errors import Conflict, NotFound
from shared.validation import load


class Claims:
    store: BoothsStore
    _settled_plan: Callable[[str], dict[str, Any]]
    _applicant_for: Callable[[dict | None, str, str], dict[str, Any]]
    _take_places: Callable[[dict[str, Any], dict[str, Any]], tuple[str, str]]
    _give_back_places: Callable[[str, str, str | None, str], None]

    @rpc
    def claim(self, actor: dict | None, edition_id: str, booth_code: str, payload: dict) -> dict:
        """First come, first served after the allocation run; exactly one claimant wins a booth."""
        plan = self._settled_plan(edition_id)
        data = load(ClaimIn, payload)
        applicant = self._applicant_for(actor, data["participation_id"], edition_id)
        if not plan.get("committed_run"):
            raise Conflict("Booths can be claimed once the organisers have run the allocation.", code="claims_closed")
        booth = self.store.booth(edition_id, booth_code)
        if booth is None:
            raise NotFound("No such booth.", code="booth_not_found")
        check_eligible(plan, applicant, booth)
        group, province = self._take_places(plan, applicant)
        holder = views.holder(applicant, group)
        try:
            after = self.store.assign(
                edition_id, booth_code, holder, "claim", lambda b: ev.booth_allocated(b, holder, "claim")
            )
        except Taken:
            self._give_back_places(edition_id, applicant["_id"], group, province)
            CLAIM_CONFLICTS.labels(edition_id).inc()
            raise Conflict(
                "Someone else has just taken this booth.",
                code="booth_taken",
                extra={"suggestions": self._suggestions(plan, edition_id, booth_code)},
            ) from None
        return views.booth(after, views.zone_of(plan))

    def _suggestions(self, plan: dict[str, Any], edition_id: str, booth_code: str) -> list[str]:
        booths = self.store.booths(edition_id)
        taken = {b["code"] for b in booths if b.get("holder") or b.get("offer")}
        return suggest_similar(planning.floor_plan(plan, booths), taken, booth_code)
