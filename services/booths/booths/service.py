"""The booths service: one nameko service class composed of one mixin per feature.

It learns editions and approved exhibitors from registration's events (never
from registration's database), and announces every booth it gives or takes
back.  Allocation itself is :func:`booths.domain.allocation.allocate_booths`.

Each feature's entrypoints live in :mod:`booths.features` (see its
docstring for which is where).  This module keeps what several features
share: the dependency providers, the plan and applicant look-ups, and the
booth counters every movement of a booth keeps.  The feature modules are
imported as modules, not classes: ``nameko run booths.service`` runs every
class with entrypoints it finds in this module's namespace.
"""

from __future__ import annotations

from typing import Any

from booths import access, planning, views
from booths.features import (
    allocation,
    applications,
    claims,
    intake,
    livestream,
    offers,
    open_data,
    overrides,
    plans,
    upkeep,
)
from booths.planning import quota_province
from booths.rules import booth_limit
from booths.store import COLLECTIONS, BoothsStore
from shared.auth import signed_in
from shared.context import RequestContext
from shared.entrypoints import rpc
from shared.errors import Conflict, NotFound
from shared.events.outbox import OutboxRelay
from shared.metrics import ServiceMetrics
from shared.store import Store

OVERRIDE_LIMIT = 1_000_000  # the "limit" of counters an organiser's override moves: it may go beyond any


class BoothsService(
    intake.Intake,
    plans.FloorPlans,
    applications.Applications,
    allocation.AllocationRuns,
    claims.Claims,
    offers.Offers,
    overrides.Overrides,
    livestream.LivestreamSlots,
    open_data.OpenData,
    upkeep.Upkeep,
):
    name = "booths"

    store = Store("booths", BoothsStore)
    relay = OutboxRelay("booths", COLLECTIONS)
    metrics = ServiceMetrics()
    request_id = RequestContext()

    @rpc
    def ping(self) -> dict[str, bool]:
        return {"store": self.store.ping()}

    # -- the plan and the caller's registration ----------------------------------------------------

    def _plan(self, edition_id: str) -> dict[str, Any]:
        plan = self.store.plan(edition_id)
        if plan is None:
            raise NotFound(
                "This edition has no booths (or is not known to the booths service yet).", code="edition_not_found"
            )
        return plan

    def _zone(self, edition_id: str) -> str:
        """The edition's time zone, for the times an answer shows (the home zone for an edition not known)."""
        return views.zone_of(self.store.plan(edition_id))

    def _settled_plan(self, edition_id: str) -> dict[str, Any]:
        """The plan, for what gives or takes booths: not while an import is still writing them (its pass
        would overwrite the change)."""
        plan = self._plan(edition_id)
        if plan.get("import_state"):
            raise Conflict(
                "A floor-plan import is still being written; try again in a minute.", code="floor_plan_importing"
            )
        return plan

    def _applicant_for(self, actor: dict | None, participation_id: str, edition_id: str) -> dict[str, Any]:
        """The caller's own eligible exhibitor registration in this edition."""
        principal = signed_in(actor)
        applicant = self.store.applicant(participation_id)
        if applicant is None or applicant["edition_id"] != edition_id or "organisation_id" not in applicant:
            # (a registration cancelled before its approval reached us was never an exhibitor here)
            raise NotFound(
                "No approved exhibitor registration with this id in this edition.", code="participation_not_found"
            )
        access.require_acts_for(principal, applicant["organisation_id"])
        if applicant["status"] != "eligible":
            raise Conflict("This registration was cancelled.", code="not_approved")
        return applicant

    # -- booth counters: claims, offers, allocation commits and overrides move the same ones ----------

    def _count(self, edition_id: str, holder: dict[str, Any], step: int) -> None:
        """Move the exhibitor's and its quota group's booth counters by one, as the booth itself moved.

        Increments, not recounts: claims and offers change the same counters
        concurrently, and a recount written back would undo theirs.
        """
        province = quota_province(holder)
        if step > 0:
            self.store.take_quota(holder["participation_id"], "held", OVERRIDE_LIMIT)
            if holder.get("quota_group"):
                self.store.take_place(edition_id, holder["quota_group"], OVERRIDE_LIMIT, province, None)
        else:
            self.store.give_back_quota(holder["participation_id"], "held")
            self.store.give_back_place(edition_id, holder.get("quota_group"), province)

    def _take_places(self, plan: dict[str, Any], applicant: dict[str, Any]) -> tuple[str, str]:
        """The applicant's next booth under every limit at once: its own maximum, its quota group's booths and
        its province's cap (conditional counters: racing claims, offers and accepts cannot pass one).
        Returns (group, province); a 409 naming the limit otherwise."""
        edition_id, province = plan["_id"], quota_province(applicant)
        group = planning.quota_rules(plan["quotas"]).group_for(province)
        if group is None:
            raise Conflict("No quota group takes your province.", code="quota_full")
        limit = booth_limit(plan, applicant)
        if not self.store.take_quota(applicant["_id"], "held", limit):
            raise Conflict(f"You hold {limit} booth(s), the most allowed.", code="booth_limit")
        cap = group.cap_for(province)
        if not self.store.take_place(edition_id, group.name, group.booths, province, cap):
            self.store.give_back_quota(applicant["_id"], "held")
            held = (self.store.plan(edition_id) or {}).get("group_held", {}).get(group.name, 0)
            if held >= group.booths:
                raise Conflict(
                    f"The quota of {group.name} is full.",
                    code="quota_full",
                    extra={"group": group.name, "booths": group.booths},
                )
            raise Conflict(
                f"{province} has its {cap} booth(s) in {group.name}.",
                code="province_cap_reached",
                extra={"group": group.name, "province": province, "cap": cap},
            )
        return group.name, province

    def _give_back_places(self, edition_id: str, participation_id: str, group: str | None, province: str) -> None:
        self.store.give_back_quota(participation_id, "held")
        self.store.give_back_place(edition_id, group, province)

    def _give_back_offer_places(self, offer: dict[str, Any]) -> None:
        """What an offer reserved when it was made (it ended without its booth being given)."""
        self._give_back_places(
            offer["edition_id"], offer["participation_id"], offer.get("quota_group"), quota_province(offer)
        )
