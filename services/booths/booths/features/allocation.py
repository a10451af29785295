"""Allocation runs: a dry run computed and stored with every applicant's explanation, the list of runs, one
run read in full, and committing one.

A run stores the fingerprint of what it was computed from (rules, floor,
applications and, when it keeps current holders, those); a commit refuses a
run that is not the newest or whose inputs changed since.  Applying a run is
conditional booth by booth, so the upkeep timer can finish a commit that was
cut off without repeating what was done.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from booths import access, planning, views
from booths import events as ev
from booths.domain.allocation import Allocation, allocate_booths
from booths.metrics import OFFERS, RUN_OBJECTIVE, RUN_SECONDS
from booths.schemas import RunIn
from booths.store import BoothsStore, Taken
from shared import pages
from shared.entrypoints import rpc
from shared.errors import Conflict, NotFound
from shared.ids import new_id
from shared.timestamps import now_text
from shared.validation import load


class AllocationRuns:
    store: BoothsStore
    _plan: Callable[[str], dict[str, Any]]
    _settled_plan: Callable[[str], dict[str, Any]]
    _count: Callable[[str, dict[str, Any], int], None]
    _give_back_offer_places: Callable[[dict[str, Any]], None]

    @rpc
    def run_allocation(self, actor: dict | None, edition_id: str, payload: dict) -> dict:
        """A dry run: the result with every applicant's explanation, stored but not applied."""
        plan = self._plan(edition_id)
        access.require_organiser(actor, plan)
        options = load(RunIn, payload)
        plan, result, inputs = self._allocate(edition_id, options["keep_current"])
        provinces = {a["_id"]: a.get("province") for a in self.store.applicants(edition_id)}
        run = views.run_document(new_id("run"), edition_id, result, planning.quota_rules(plan["quotas"]), provinces)
        run.update(computed_at=now_text(), keep_current=options["keep_current"], inputs=inputs)
        self.store.save_run(run)
        return views.run(run, views.zone_of(plan))

    @rpc
    def allocation_runs(self, actor: dict | None, edition_id: str, query: dict | None = None) -> dict:
        """The edition's dry runs, newest first, without their explanations (read one for those)."""
        plan = self._plan(edition_id)
        access.require_organiser(actor, plan)
        wanted = pages.requested(query, f"runs:{edition_id}", pages.NEWEST_ID_FIRST)
        return self.store.page("runs", {"edition_id": edition_id}, wanted).answer(
            lambda r: views.run_summary(r, views.zone_of(plan))
        )

    @rpc
    def allocation_run(self, actor: dict | None, edition_id: str, run_id: str) -> dict:
        plan = self._plan(edition_id)
        access.require_organiser(actor, plan)
        run = self.store.run(run_id)
        if run is None or run["edition_id"] != edition_id:
            raise NotFound("No such allocation run.", code="run_not_found")
        return views.run(run, views.zone_of(plan))

    @rpc
    def commit_allocation(self, actor: dict | None, edition_id: str, run_id: str) -> dict:
        """Apply a dry run: free what moves, give what is new, announce each change."""
        plan = self._settled_plan(edition_id)
        access.require_organiser(actor, plan)
        run = self.store.run(run_id)
        if run is None or run["edition_id"] != edition_id:
            raise NotFound("No such allocation run.", code="run_not_found")
        if run.get("committed_at"):
            raise Conflict("This run was committed already.", code="run_committed")
        newest = self.store.runs(edition_id)[0]
        if newest["_id"] != run_id:
            raise Conflict(
                "A newer allocation run exists; commit that one, or run the allocation again.",
                code="run_outdated",
                extra={"newest_run": newest["_id"]},
            )
        if self._allocation_fingerprint(edition_id, run) != run.get("inputs"):
            raise Conflict(
                "Applications, booths or rules changed since this run; run the allocation again.", code="run_stale"
            )
        self.store.start_commit(run)
        conflicts = self._apply_run(run)
        self.store.mark_committed(run, ev.allocation_committed(run))
        return {**views.run(run, views.zone_of(plan)), "committed": True, "conflicts": conflicts}

    def _allocate(self, edition_id: str, keep_current: bool) -> tuple[dict[str, Any], Allocation, str]:
        """The plan, the allocation, and the fingerprint of its inputs (rules, floor, applications and, when
        kept, current holders): a run whose inputs changed since is stale."""
        plan, floor, rules, applications, current = self._allocation_inputs(edition_id, keep_current)
        result = allocate_booths(floor, rules, applications, planning.priority_weights(plan["quotas"]), current or None)
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
        return (plan, planning.floor_plan(plan, booths), planning.quota_rules(plan["quotas"]), applications, current)

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
            if (
                holder
                and wanted.get(booth["code"]) != holder["participation_id"]
                and self.store.release(
                    edition_id,
                    booth["code"],
                    holder["participation_id"],
                    lambda b, h=holder: ev.booth_released(b, h, "reallocated"),
                )
            ):
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
                self.store.assign(
                    edition_id, code, holder, "allocation", lambda b, h=holder: ev.booth_allocated(b, h, "allocation")
                )
            except Taken:
                conflicts.append(code)  # claimed or offered since the dry run
                continue
            self._count(edition_id, holder, +1)
        return conflicts
