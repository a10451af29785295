"""The booths service's nameko entrypoints.

It learns editions and approved exhibitors from registration's events (never
from registration's database), and announces every booth it gives or takes
back.  Allocation itself is :func:`booths.domain.allocation.allocate_booths`.
"""

from __future__ import annotations

import csv
import io
import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

from nameko.timer import timer

from booths import events as ev
from booths import planning, views
from booths.domain.allocation import allocate_booths
from booths.domain.claims import suggest_similar
from booths.domain.floorplan import FloorPlanErrors, floor_plan_csv, parse_floor_plan_csv
from booths.domain.scoring import Scoring
from booths.metrics import CLAIM_CONFLICTS, OFFERS, RUN_OBJECTIVE, RUN_SECONDS, refresh_booth_gauges
from booths.planning import FOREIGN, quota_province
from booths.schemas import (
    ApplicationIn,
    ClaimIn,
    FloorPlanIn,
    Livestream,
    OfferReplyIn,
    OverrideIn,
    RulesIn,
    RunIn,
    SlotIn,
)
from booths.store import COLLECTIONS, BoothsStore, Taken, booth_id
from shared.auth import Principal, signed_in
from shared.context import RequestContext
from shared.entrypoints import rpc
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound, field_error
from shared.events.consumer import event_handler
from shared.events.outbox import OutboxRelay
from shared.ids import new_id
from shared.metrics import ServiceMetrics
from shared.store import Recount, Store
from shared.timestamps import now_text, to_text
from shared.validation import load, province_error

log = logging.getLogger(__name__)
# Periodic looks at the whole database, run only when something may have changed (shared.store.recount).
_GAUGES, _RECONCILE = Recount(), Recount()
OVERRIDE_LIMIT = 1_000_000
UNFINISHED_AFTER = timedelta(minutes=1)  # an import or commit still running after this was cut off
# per process (workers are instances of one class): what the last reconcile pass saw, by edition
_LAST_DRIFT: dict[str, dict[str, tuple[int, int]]] = {}



def persistent_drift(before: dict[str, tuple[int, int]], now: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """Counter differences (stored, actual) seen identically on two consecutive passes."""
    return {key: pair for key, pair in now.items() if before.get(key) == pair}


def _check_rule_provinces(rules: dict[str, Any], on: date) -> None:
    """Every province a rule names is one on the edition's first day (or ``foreign``, for buyers from abroad)."""
    errors = []
    for i, group in enumerate(rules["groups"]):
        named = [(f"groups.{i}.provinces.{j}", p) for j, p in enumerate(group.get("provinces") or [])]
        named += [(f"groups.{i}.province_caps.{p}", p) for p in group.get("province_caps") or {}]
        errors += [e for field, slug in named if slug != FOREIGN for e in [province_error(field, slug, on)] if e]
    if errors:
        raise InvalidInput("Some provinces in the rules are not provinces on the edition's date.", errors=errors)


class BoothsService:
    name = "booths"

    store = Store("booths", BoothsStore)
    relay = OutboxRelay("booths", COLLECTIONS)
    metrics = ServiceMetrics()
    request_id = RequestContext()

    @rpc
    def ping(self) -> dict[str, bool]:
        return {"store": self.store.ping()}

    # -- what registration tells us ---------------------------------------------------------

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

    # -- floor plan and rules ------------------------------------------------------------------

    def _plan(self, edition_id: str) -> dict[str, Any]:
        plan = self.store.plan(edition_id)
        if plan is None:
            raise NotFound("This edition has no booths (or is not known to the booths service yet).",
                           code="edition_not_found")
        return plan

    def _settled_plan(self, edition_id: str) -> dict[str, Any]:
        """The plan, for what gives or takes booths: not while an import is still writing them (its pass
        would overwrite the change)."""
        plan = self._plan(edition_id)
        if plan.get("import_state"):
            raise Conflict("A floor-plan import is still being written; try again in a minute.",
                           code="floor_plan_importing")
        return plan

    def _organiser(self, actor: dict | None, plan: dict[str, Any]) -> Principal:
        principal = signed_in(actor)
        if not (principal.role == "ops" or principal.organises(plan["series_id"])):
            raise Forbidden("Only the organisers of this series may do this.", code="not_organiser")
        return principal

    def _applicant_for(self, actor: dict | None, participation_id: str, edition_id: str) -> dict[str, Any]:
        """The caller's own eligible exhibitor registration in this edition."""
        principal = signed_in(actor)
        applicant = self.store.applicant(participation_id)
        if applicant is None or applicant["edition_id"] != edition_id or "organisation_id" not in applicant:
            # (a registration cancelled before its approval reached us was never an exhibitor here)
            raise NotFound("No approved exhibitor registration with this id in this edition.",
                           code="participation_not_found")
        if not (principal.role == "ops" or principal.is_member_of(applicant["organisation_id"])):
            raise Forbidden("You may act only for your own organisation.", code="not_your_organisation")
        if applicant["status"] != "eligible":
            raise Conflict("This registration was cancelled.", code="not_approved")
        return applicant

    @rpc
    def import_floor_plan(self, actor: dict | None, edition_id: str, payload: dict) -> dict:
        plan = self._plan(edition_id)
        self._organiser(actor, plan)
        text = load(FloorPlanIn, payload)["csv"]
        try:
            parsed = parse_floor_plan_csv(text)
        except FloorPlanErrors as exc:
            raise InvalidInput("The floor plan has errors.", code="floor_plan_invalid", errors=[
                field_error(f"csv.line{e.line}.{e.field}", e.code, e.message, line=e.line)
                for e in exc.errors]) from None
        if self.store.held_count(edition_id):
            raise Conflict("Booths are already allocated; release them before replacing the plan.",
                           code="plan_in_use")
        layout = planning.layout_documents(parsed)
        self.store.stage_floor_plan(edition_id, [planning.booth_document(b) for b in parsed.booths], layout,
                                    ev.floor_plan_imported(edition_id, len(parsed.booths), layout["halls"],
                                                           layout["zones"]))
        self.store.apply_floor_plan(edition_id)
        return {"edition_id": edition_id, "booths": len(parsed.booths), "zones": len(parsed.zones),
                "halls": len(parsed.halls)}

    @rpc
    def floor_plan(self, edition_id: str) -> dict:
        """Public: booths with occupancy and exhibitor names, never people."""
        plan = self._plan(edition_id)
        return views.floor_plan(plan, self.store.booths(edition_id))

    @rpc
    def floor_plan_csv(self, edition_id: str) -> str:
        plan = self._plan(edition_id)
        return floor_plan_csv(planning.floor_plan(plan, self.store.booths(edition_id)))

    @rpc
    def set_rules(self, actor: dict | None, edition_id: str, payload: dict) -> dict:
        plan = self._plan(edition_id)
        self._organiser(actor, plan)
        rules = load(RulesIn, payload)
        _check_rule_provinces(rules, date.fromisoformat(plan["starts_on"]))
        planning.quota_rules(rules)  # the domain's own checks, before anything is stored
        # the counters first: a group without one would refuse every booth (start_group_counters repeats safely)
        self.store.start_group_counters(edition_id, [g["name"] for g in rules["groups"]])
        self.store.set_quotas(edition_id, rules, ev.rules_set(edition_id, rules))
        return {"edition_id": edition_id, "rules": rules}

    # -- applications and allocation -----------------------------------------------------------

    @rpc
    def apply(self, actor: dict | None, edition_id: str, payload: dict) -> dict:
        data = load(ApplicationIn, payload)
        applicant = self._applicant_for(actor, data["participation_id"], edition_id)
        booths = {b["code"]: b for b in self.store.booths(edition_id)}
        zones = {b["zone"] for b in booths.values()}
        kinds = {b["kind"] for b in booths.values()}
        unknown = [field_error(f"preferences.{i}.value", "unknown", f"No {p['type']} {p['value']} on this plan.")
                   for i, p in enumerate(data["preferences"])
                   if p["value"] not in {"booth": booths, "zone": zones, "kind": kinds}[p["type"]]]
        if unknown:
            raise InvalidInput("Some preferences name nothing on the floor plan.", errors=unknown)
        wish = {**{k: data[k] for k in ("booths_wanted", "preferences", "needs")},
                "submitted_at": (applicant.get("application") or {}).get("submitted_at") or now_text()}
        self.store.set_application(applicant["_id"], wish, ev.application_submitted(applicant, wish))
        return views.applicant({**applicant, "application": wish})

    @rpc
    def application(self, actor: dict | None, edition_id: str, participation_id: str) -> dict:
        """An exhibitor's own view: its booth application, the booths it holds, its open offers."""
        applicant = self._applicant_for(actor, participation_id, edition_id)
        return {**views.applicant(applicant),
                "booths": [views.booth(b) for b in self.store.held_by(participation_id)],
                "offers": [views.offer(o) for o in self.store.offers({"participation_id": participation_id,
                                                                      "status": "open"})]}

    def _allocate(self, edition_id: str, keep_current: bool) -> tuple[dict[str, Any], Any, str]:
        """The plan, the allocation, and the fingerprint of its inputs (rules, floor, applications and, when
        kept, current holders): a run whose inputs changed since is stale."""
        plan, floor, rules, applications, current = self._allocation_inputs(edition_id, keep_current)
        result = allocate_booths(floor, rules, applications, planning.priority_weights(plan["quotas"]),
                                 current or None)
        RUN_SECONDS.labels(edition_id).observe(result.duration_ms / 1000)
        RUN_OBJECTIVE.labels(edition_id).set(result.objective)
        return plan, result, planning.fingerprint(plan["quotas"], floor, applications, current)

    def _allocation_inputs(self, edition_id: str, keep_current: bool) -> tuple:
        plan = self._settled_plan(edition_id)
        if not plan.get("quotas"):
            raise Conflict("Set the edition's booth rules first.", code="rules_missing")
        booths = self.store.booths(edition_id)
        if not booths:
            raise Conflict("Import the floor plan first.", code="plan_missing")
        applicants = self.store.applicants(edition_id)
        applications = [a for a in map(planning.application, applicants) if a is not None]
        current: dict[str, list[str]] = {}
        if keep_current:
            for booth in booths:
                if booth.get("holder"):
                    current.setdefault(booth["holder"]["participation_id"], []).append(booth["code"])
        return (plan, planning.floor_plan(plan, booths), planning.quota_rules(plan["quotas"]), applications,
                current)

    @rpc
    def run_allocation(self, actor: dict | None, edition_id: str, payload: dict) -> dict:
        """A dry run: the result with every applicant's explanation, stored but not applied."""
        plan = self._plan(edition_id)
        self._organiser(actor, plan)
        options = load(RunIn, payload)
        plan, result, inputs = self._allocate(edition_id, options["keep_current"])
        provinces = {a["_id"]: a.get("province") for a in self.store.applicants(edition_id)}
        run = views.run_document(new_id("run"), edition_id, result, planning.quota_rules(plan["quotas"]),
                                 provinces)
        run.update(computed_at=now_text(), keep_current=options["keep_current"], inputs=inputs)
        self.store.save_run(run)
        return views.run(run)

    @rpc
    def allocation_runs(self, actor: dict | None, edition_id: str) -> list[dict]:
        """The edition's dry runs, newest first, without their explanations (read one for those)."""
        self._organiser(actor, self._plan(edition_id))
        return [views.run_summary(run) for run in self.store.runs(edition_id)]

    @rpc
    def allocation_run(self, actor: dict | None, edition_id: str, run_id: str) -> dict:
        self._organiser(actor, self._plan(edition_id))
        run = self.store.run(run_id)
        if run is None or run["edition_id"] != edition_id:
            raise NotFound("No such allocation run.", code="run_not_found")
        return views.run(run)

    @rpc
    def commit_allocation(self, actor: dict | None, edition_id: str, run_id: str) -> dict:
        """Apply a dry run: free what moves, give what is new, announce each change."""
        plan = self._settled_plan(edition_id)
        self._organiser(actor, plan)
        run = self.store.run(run_id)
        if run is None or run["edition_id"] != edition_id:
            raise NotFound("No such allocation run.", code="run_not_found")
        if run.get("committed_at"):
            raise Conflict("This run was committed already.", code="run_committed")
        newest = self.store.runs(edition_id)[0]
        if newest["_id"] != run_id:
            raise Conflict("A newer allocation run exists; commit that one, or run the allocation again.",
                           code="run_outdated", extra={"newest_run": newest["_id"]})
        if self._allocation_fingerprint(edition_id, run) != run.get("inputs"):
            raise Conflict("Applications, booths or rules changed since this run; run the allocation again.",
                           code="run_stale")
        self.store.start_commit(run)
        conflicts = self._apply_run(run)
        self.store.mark_committed(run, ev.allocation_committed(run))
        return {**views.run(run), "committed": True, "conflicts": conflicts}

    def _allocation_fingerprint(self, edition_id: str, run: dict[str, Any]) -> str:
        plan, floor, _, applications, current = self._allocation_inputs(edition_id, bool(run.get("keep_current")))
        return planning.fingerprint(plan["quotas"], floor, applications, current)

    def _apply_run(self, run: dict[str, Any]) -> list[str]:
        """Withdraw open offers, free what moves, give what is new; the booth codes that could not be given.

        Every step is conditional on the booth's holder, so applying a run
        again (after a cut-off commit) repeats nothing already done.
        """
        edition_id = run["edition_id"]
        for offer in self.store.offers({"edition_id": edition_id, "status": "open"}):
            # the run places every booth again: an open offer ends, and its reserved places go back
            if self.store.close_offer(offer, "withdrawn", ev.offer_changed(offer, "withdrawn")):
                OFFERS.labels(edition_id, "withdrawn").inc()
                self._give_back_offer_places(offer)
        wanted = {code: pid for pid, codes in run["assignments"].items() for code in codes}
        applicants = {a["_id"]: a for a in self.store.applicants(edition_id)}
        for booth in self.store.booths(edition_id):
            holder = booth.get("holder")
            if holder and wanted.get(booth["code"]) != holder["participation_id"] and self.store.release(
                    edition_id, booth["code"], holder["participation_id"],
                    lambda b, h=holder: ev.booth_released(b, h, "reallocated")):
                self._count(edition_id, holder, -1)
        conflicts = []
        for code, pid in sorted(wanted.items()):
            booth = self.store.booth(edition_id, code)
            if booth is None or applicants.get(pid, {}).get("status") != "eligible":
                conflicts.append(code)  # plan re-imported or registration cancelled since the dry run
                continue
            if booth.get("holder") and booth["holder"]["participation_id"] == pid:
                continue
            holder = views.holder(applicants[pid], run["groups"].get(pid))
            try:
                self.store.assign(edition_id, code, holder, "allocation",
                                  lambda b, h=holder: ev.booth_allocated(b, h, "allocation"))
            except Taken:
                conflicts.append(code)  # claimed or offered since the dry run
                continue
            self._count(edition_id, holder, +1)
        return conflicts

    @timer(interval=30)
    def finish_cut_off_work(self) -> None:
        """Work cut off half-way (a crash, an outage) and not retried is finished after a minute, from what
        each command recorded before its first booth was written: floor-plan imports, allocation commits,
        overrides, offers made or accepted, and freed booths owed an offer."""
        for edition_id in self.store.unfinished_imports(older_than=UNFINISHED_AFTER):
            if self.store.apply_floor_plan(edition_id):
                log.warning("finished the floor-plan import of %s that was cut off", edition_id)
        for run in self.store.unfinished_commits(older_than=UNFINISHED_AFTER):
            # applied already if the plan names it (claims may be open since): only the run's mark is missing
            conflicts = [] if self._plan(run["edition_id"]).get("committed_run") == run["_id"] else \
                self._apply_run(run)
            if self.store.mark_committed(run, ev.allocation_committed(run)):
                log.warning("finished committing allocation run %s that was cut off (conflicts: %s)",
                            run["_id"], ", ".join(conflicts) or "none")
        for entry in self.store.unfinished_overrides(older_than=UNFINISHED_AFTER):
            try:
                self._apply_override(entry)
            except Conflict:
                self.store.drop_override(entry)
                log.warning("dropped override %s cut off half-way: its booth was taken since", entry["_id"])
                continue
            self.store.finish_override(entry, ev.override_recorded(entry))
            log.warning("finished override %s that was cut off", entry["_id"])
        self._finish_offers()

    def _finish_offers(self) -> None:
        """Offers a crash left half made or half accepted, and freed booths never offered on."""
        for offer in self.store.offers_left_half_made(older_than=UNFINISHED_AFTER):
            if offer["status"] == "pending":
                self.store.drop_pending_offer(offer)
                self._give_back_offer_places(offer)
                continue
            applicant = self.store.applicant(offer["participation_id"])
            self._give_offered_booth(offer, views.holder(applicant, offer.get("quota_group")))
            log.warning("gave the booth of accepted offer %s, cut off before it was given", offer["_id"])
        for booth in self.store.booths_due_an_offer(older_than=UNFINISHED_AFTER):
            if booth.get("holder") or booth.get("offer"):
                self.store.no_offer_due(booth["edition_id"], booth["code"])
            elif self._offer_next(booth["edition_id"], booth["code"]):
                log.warning("offered booth %s, freed before a crash and never offered", booth["_id"])

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
        limit = self._booth_limit(plan, applicant)
        if not self.store.take_quota(applicant["_id"], "held", limit):
            raise Conflict(f"You hold {limit} booth(s), the most allowed.", code="booth_limit")
        cap = group.cap_for(province)
        if not self.store.take_place(edition_id, group.name, group.booths, province, cap):
            self.store.give_back_quota(applicant["_id"], "held")
            held = (self.store.plan(edition_id) or {}).get("group_held", {}).get(group.name, 0)
            if held >= group.booths:
                raise Conflict(f"The quota of {group.name} is full.", code="quota_full",
                               extra={"group": group.name, "booths": group.booths})
            raise Conflict(f"{province} has its {cap} booth(s) in {group.name}.", code="province_cap_reached",
                           extra={"group": group.name, "province": province, "cap": cap})
        return group.name, province

    def _give_back_places(self, edition_id: str, participation_id: str, group: str | None, province: str) -> None:
        self.store.give_back_quota(participation_id, "held")
        self.store.give_back_place(edition_id, group, province)

    def _give_back_offer_places(self, offer: dict[str, Any]) -> None:
        """What an offer reserved when it was made (it ended without its booth being given)."""
        self._give_back_places(offer["edition_id"], offer["participation_id"], offer.get("quota_group"),
                               quota_province(offer))

    # -- self-service claims -----------------------------------------------------------------------

    @rpc
    def claim(self, actor: dict | None, edition_id: str, booth_code: str, payload: dict) -> dict:
        """First come, first served after the allocation run; exactly one claimant wins a booth."""
        plan = self._settled_plan(edition_id)
        data = load(ClaimIn, payload)
        applicant = self._applicant_for(actor, data["participation_id"], edition_id)
        if not plan.get("committed_run"):
            raise Conflict("Booths can be claimed once the organisers have run the allocation.",
                           code="claims_closed")
        booth = self.store.booth(edition_id, booth_code)
        if booth is None:
            raise NotFound("No such booth.", code="booth_not_found")
        self._check_eligible(plan, applicant, booth)
        group, province = self._take_places(plan, applicant)
        holder = views.holder(applicant, group)
        try:
            after = self.store.assign(edition_id, booth_code, holder, "claim",
                                      lambda b: ev.booth_allocated(b, holder, "claim"))
        except Taken:
            self._give_back_places(edition_id, applicant["_id"], group, province)
            CLAIM_CONFLICTS.labels(edition_id).inc()
            raise Conflict("Someone else has just taken this booth.", code="booth_taken",
                           extra={"suggestions": self._suggestions(plan, edition_id, booth_code)}) from None
        return views.booth(after)

    def _check_eligible(self, plan: dict[str, Any], applicant: dict[str, Any], booth: dict[str, Any]) -> None:
        rules = planning.quota_rules(plan["quotas"])
        allowed = rules.reserved_kinds.get(booth["kind"])
        if allowed is not None and applicant["organisation_kind"] not in allowed:
            raise Forbidden(f"{booth['kind']} booths are reserved.", code="booth_reserved")
        if booth["kind"] in rules.ocop_kinds and not applicant.get("ocop_stars"):
            raise Forbidden("OCOP booths are for OCOP-rated products.", code="booth_reserved")
        if rules.group_for(quota_province(applicant)) is None:
            raise Forbidden("No quota group takes your province.", code="quota_full")

    def _booth_limit(self, plan: dict[str, Any], applicant: dict[str, Any]) -> int:
        wanted = (applicant.get("application") or {}).get("booths_wanted", 1)
        cap = plan["quotas"].get("organisation_max")
        return min(wanted, cap) if cap else wanted

    def _group_name(self, plan: dict[str, Any], applicant: dict[str, Any]) -> str | None:
        group = planning.quota_rules(plan["quotas"]).group_for(quota_province(applicant))
        return group.name if group else None

    def _suggestions(self, plan: dict[str, Any], edition_id: str, booth_code: str) -> list[str]:
        booths = self.store.booths(edition_id)
        taken = {b["code"] for b in booths if b.get("holder") or b.get("offer")}
        return suggest_similar(planning.floor_plan(plan, booths), taken, booth_code)

    # -- releases, offers, overrides ----------------------------------------------------------------

    def _release(self, booth: dict[str, Any], applicant: dict[str, Any], reason: str) -> None:
        holder = booth["holder"]
        if self.store.release(booth["edition_id"], booth["code"], holder["participation_id"],
                              lambda b: ev.booth_released(b, holder, reason), offer_due=True):
            self._count(booth["edition_id"], holder, -1)
            self._offer_next(booth["edition_id"], booth["code"])

    def _offer_next(self, edition_id: str, booth_code: str) -> dict[str, Any] | None:
        """Offer a freed booth to the waitlist; with nobody to offer it to, it stays free for claims."""
        offer = self._make_offer(edition_id, booth_code)
        if offer is None:
            self.store.no_offer_due(edition_id, booth_code)
        return offer

    def _make_offer(self, edition_id: str, booth_code: str) -> dict[str, Any] | None:
        """Offer a freed booth for a limited time to the applicant the allocation would value most there.

        Candidates are eligible exhibitors still short of booths who have not
        had this booth offered before; eligibility and worth (priority ×
        preference score) are the allocation's own rules.  The offer reserves
        the booth's places in the candidate's quota group and province (and its
        own maximum) until it is accepted, declined or expires.
        """
        plan = self._plan(edition_id)
        if not plan.get("quotas"):
            return None
        booths = self.store.booths(edition_id)
        booth = next(b for b in booths if b["code"] == booth_code)
        offered = {o["participation_id"] for o in self.store.offers({"edition_id": edition_id,
                                                                     "booth_code": booth_code})}
        short = {a["_id"]: a for a in self.store.applicants(edition_id)
                 if a["_id"] not in offered and a["held"] < self._booth_limit(plan, a)}
        applications = [app for app in map(planning.application, short.values()) if app is not None]
        if not applications:
            return None
        floor = planning.floor_plan(plan, booths)
        scoring = Scoring(floor, planning.quota_rules(plan["quotas"]), applications,
                          planning.priority_weights(plan["quotas"]))
        target = floor.booth_by_code[booth_code]
        candidates = sorted((app for app in applications if scoring.eligible(app, target)),
                            key=lambda app: (-scoring.base_weight(app, target), app.submitted_at, app.applicant_id))
        for best in candidates:  # the most deserving whose group, province and own maximum still have room
            try:
                group, province = self._take_places(plan, short[best.applicant_id])
            except Conflict:
                continue
            expires = to_text(datetime.now(UTC) + timedelta(hours=plan["quotas"]["offer_hours"]))
            offer = {"_id": new_id("off"), "edition_id": edition_id, "booth_code": booth_code,
                     "participation_id": best.applicant_id, "organisation_id": best.organisation_id,
                     "quota_group": group, "province": province, "status": "open", "expires_at": expires,
                     "created_at": now_text()}
            if not self.store.put_on_offer(booth, offer, ev.offer_changed(offer)):
                self._give_back_places(edition_id, best.applicant_id, group, province)
                return None
            OFFERS.labels(edition_id, "made").inc()
            return offer
        return None

    @rpc
    def offers(self, actor: dict | None, edition_id: str, participation_id: str | None = None) -> list[dict]:
        plan = self._plan(edition_id)
        if participation_id:
            self._applicant_for(actor, participation_id, edition_id)
            return [views.offer(o) for o in self.store.offers({"edition_id": edition_id,
                                                                "participation_id": participation_id})]
        self._organiser(actor, plan)
        return [views.offer(o) for o in self.store.offers({"edition_id": edition_id})]

    @rpc
    def reply_to_offer(self, actor: dict | None, offer_id: str, payload: dict) -> dict:
        accept = load(OfferReplyIn, payload)["accept"]
        offer = self.store.offer(offer_id)
        if offer is None:
            raise NotFound("No such offer.", code="offer_not_found")
        applicant = self._applicant_for(actor, offer["participation_id"], offer["edition_id"])
        if offer["status"] != "open" or offer["expires_at"] < now_text():
            raise Conflict(f"This offer is {offer['status'] if offer['status'] != 'open' else 'expired'}.",
                           code="offer_closed")
        if not accept:
            self._close_offer(offer, "declined")
            return views.offer({**offer, "status": "declined"})
        # the places were taken when the offer was made; the offer closes first, so the expiry timer cannot
        # expire an offer whose booth was given
        if not self.store.close_offer(offer, "accepted", ev.offer_changed(offer, "accepted")):
            raise Conflict("The offer is no longer open.", code="offer_closed")
        self._give_offered_booth(offer, views.holder(applicant, offer["quota_group"]))
        OFFERS.labels(offer["edition_id"], "accepted").inc()
        return views.offer({**offer, "status": "accepted"})

    def _give_offered_booth(self, offer: dict[str, Any], holder: dict[str, Any]) -> None:
        """The accepted offer's booth to its holder (once: a repeat finds it given), then the offer's mark
        ``assigning`` goes."""
        try:
            self.store.assign(offer["edition_id"], offer["booth_code"], holder, "offer",
                              lambda b: ev.booth_allocated(b, holder, "offer"), offer_id=offer["_id"])
        except Taken:
            booth = self.store.booth(offer["edition_id"], offer["booth_code"]) or {}
            if (booth.get("holder") or {}).get("participation_id") != holder["participation_id"]:
                log.error("booth %s of accepted offer %s went to someone else", offer["booth_code"], offer["_id"])
        self.store.offer_assigned(offer["_id"])

    def _close_offer(self, offer: dict[str, Any], status: str) -> None:
        """Declined or expired: the places the offer reserved go back, and the booth to the next in line."""
        if self.store.close_offer(offer, status, ev.offer_changed(offer, status)):
            OFFERS.labels(offer["edition_id"], status).inc()
            self._give_back_offer_places(offer)
            self._offer_next(offer["edition_id"], offer["booth_code"])

    @timer(interval=5)
    def expire_offers(self) -> None:
        """Offers past their deadline expire and pass to the next applicant, also after downtime."""
        for offer in self.store.due_offers(now_text()):
            self._close_offer(offer, "expired")
        if self.store.clear_stale_reservations(now_text()):
            log.warning("cleared booth reservations whose offers had ended without clearing them")

    @timer(interval=60)
    def reconcile_counters(self) -> None:
        """Repair booth counters left one off by a crash between a booth's write and its counter's.

        A claim moves its counters a moment before its booth, so a difference
        seen once may be in flight; only one seen identically on two passes a
        minute apart is corrected, by compare-and-set (replicas cannot correct twice).
        Idle, nothing can drift: a pass runs after writes, while a difference
        waits for its second look, and every ten minutes.
        """
        if any(_LAST_DRIFT.values()):
            self._reconcile_counters()
        else:
            self.store.when_changed(_RECONCILE, self._reconcile_counters)

    def _reconcile_counters(self) -> None:
        for edition_id in self.store.committed_editions():
            stored = self.store.counters(edition_id)
            actual = self.store.counts_from_booths(edition_id, stored)
            drift = {key: (stored[key], actual[key]) for key in stored if stored[key] != actual[key]}
            for key, (seen, right) in persistent_drift(_LAST_DRIFT.get(edition_id, {}), drift).items():
                if self.store.correct_counter(edition_id, key, seen, right):
                    log.warning("booth counter %s of %s corrected from %s to %s", key, edition_id, seen, right)
            _LAST_DRIFT[edition_id] = drift

    @rpc
    def override(self, actor: dict | None, edition_id: str, booth_code: str, payload: dict) -> dict:
        """Organiser assigns, moves or releases a booth, with a reason kept in the audit trail."""
        plan = self._settled_plan(edition_id)
        principal = self._organiser(actor, plan)
        data = load(OverrideIn, payload)
        booth = self.store.booth(edition_id, booth_code)
        if booth is None:
            raise NotFound("No such booth.", code="booth_not_found")
        action = data["action"]
        if action in ("release", "move"):
            if not booth.get("holder"):
                raise Conflict("Nobody holds this booth.", code="booth_free")
            holder = booth["holder"]
            if action == "move" and self.store.booth(edition_id, data["to_booth"]) is None:
                raise NotFound("No such target booth.", code="booth_not_found")
        else:
            applicant = self.store.applicant(data["participation_id"])
            if applicant is None or applicant["edition_id"] != edition_id or applicant["status"] != "eligible":
                raise NotFound("No approved exhibitor with this id.", code="participation_not_found")
            holder = views.holder(applicant, self._group_name(plan, applicant))
        entry = {"_id": new_id("aud"), "edition_id": edition_id, "booth_code": booth_code, "action": action,
                 "participation_id": holder["participation_id"], "to_booth": data.get("to_booth"),
                 "reason": data["reason"], "by": principal.subject, "at": now_text(), "holder": holder}
        self.store.start_override(entry)
        try:
            self._apply_override(entry)
        except Conflict:
            self.store.drop_override(entry)
            raise
        self.store.finish_override(entry, ev.override_recorded(entry))
        return views.audit(entry)

    def _apply_override(self, entry: dict[str, Any]) -> None:
        """The override's booth changes, each conditional, so a repeat after a cut-off one does nothing twice.

        A move gives the target first: the exhibitor is never left without a booth.
        """
        edition_id, code, holder, action = entry["edition_id"], entry["booth_code"], entry["holder"], entry["action"]
        if action == "assign":
            if self._give_by_override(edition_id, code, holder, "The booth is taken or on offer; release it first."):
                self._count(edition_id, holder, +1)  # an organiser may go beyond the limits; still counted
            return
        if action == "move":
            self._give_by_override(edition_id, entry["to_booth"], holder, "The target booth is taken.")
        if self.store.release(edition_id, code, holder["participation_id"], lambda b: ev.booth_released(
                b, holder, "moved" if action == "move" else "override"), offer_due=True):
            if action == "release":
                self._count(edition_id, holder, -1)
            self._offer_next(edition_id, code)

    def _give_by_override(self, edition_id: str, code: str, holder: dict[str, Any], refusal: str) -> bool:
        """True if this call gave the booth; False if the holder had it already (a repeat)."""
        booth = self.store.booth(edition_id, code) or {}
        if (booth.get("holder") or {}).get("participation_id") == holder["participation_id"]:
            return False
        try:
            self.store.assign(edition_id, code, holder, "override", lambda b: ev.booth_allocated(b, holder, "override"))
        except Taken:
            raise Conflict(refusal, code="booth_taken") from None
        return True

    @rpc
    def audit_trail(self, actor: dict | None, edition_id: str) -> list[dict]:
        self._organiser(actor, self._plan(edition_id))
        return [views.audit(e) for e in self.store.audit_trail(edition_id)]

    @rpc
    def assignments_csv(self, actor: dict | None, edition_id: str) -> str:
        """Booth, organisation, province, quota group: the sheet organisers print (UTF-8 with BOM)."""
        self._organiser(actor, self._plan(edition_id))
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["booth", "zone", "kind", "organisation", "organisation_id", "province", "quota_group",
                         "source"])
        for booth in self.store.booths(edition_id):
            holder = booth.get("holder") or {}
            writer.writerow([booth["code"], booth["zone"], booth["kind"], (holder.get("name") or {}).get("vi", ""),
                             holder.get("organisation_id", ""), holder.get("province") or "",
                             holder.get("quota_group") or "", booth.get("source") or ""])
        return "\ufeff" + buffer.getvalue()

    # -- livestream studios ---------------------------------------------------------------------------

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
        slot = {"_id": f"{booth_id(edition_id, booth_code)}:{start}", "edition_id": edition_id,
                "booth_code": booth_code, "starts_at": start,
                "ends_at": to_text(data["starts_at"] + timedelta(minutes=settings["slot_minutes"])),
                "participation_id": applicant["_id"], "organisation_id": applicant["organisation_id"],
                "organisation_name": applicant.get("name")}
        if not self.store.book_slot(slot, ev.slot_booked(slot)):
            self.store.give_back_quota(applicant["_id"], "slots_held")
            raise Conflict("This slot is booked.", code="slot_taken")
        return views.slot(slot)

    @rpc
    def slots(self, edition_id: str) -> list[dict]:
        self._plan(edition_id)
        return [views.slot(s) for s in self.store.slots(edition_id)]

    @timer(interval=15)
    def refresh_gauges(self) -> None:
        self.store.when_changed(_GAUGES, lambda: refresh_booth_gauges(self.store.booth_counts()))
