"""Floor plans and booth rules: importing a plan from CSV, the public plan and its exports, setting the rules.

The exports include the assignments sheet organisers print, since it is the
plan again with who holds each booth.  Rules are checked in full (provinces
valid on the edition's date, the domain's own checks) before anything is
stored.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from booths import access, planning, views
from booths import events as ev
from booths.domain.floorplan import FloorPlanErrors, floor_plan_csv, parse_floor_plan_csv
from booths.rules import check_rule_provinces
from booths.schemas import FloorPlanIn, RulesIn
from booths.store import BoothsStore
from shared.entrypoints import rpc
from shared.errors import Conflict, InvalidInput, field_error
from shared.validation import load


class FloorPlans:
    store: BoothsStore
    _plan: Callable[[str], dict[str, Any]]

    @rpc
    def import_floor_plan(self, actor: dict | None, edition_id: str, payload: dict) -> dict:
        plan = self._plan(edition_id)
        access.require_organiser(actor, plan)
        text = load(FloorPlanIn, payload)["csv"]
        try:
            parsed = parse_floor_plan_csv(text)
        except FloorPlanErrors as exc:
            raise InvalidInput(
                "The floor plan has errors.",
                code="floor_plan_invalid",
                errors=[field_error(f"csv.line{e.line}.{e.field}", e.code, e.message, line=e.line) for e in exc.errors],
            ) from None
        if self.store.held_count(edition_id):
            raise Conflict("Booths are already allocated; release them before replacing the plan.", code="plan_in_use")
        layout = planning.layout_documents(parsed)
        self.store.stage_floor_plan(
            edition_id,
            [planning.booth_document(b) for b in parsed.booths],
            layout,
            ev.floor_plan_imported(edition_id, len(parsed.booths), layout["halls"], layout["zones"]),
        )
        self.store.apply_floor_plan(edition_id)
        return {
            "edition_id": edition_id,
            "booths": len(parsed.booths),
            "zones": len(parsed.zones),
            "halls": len(parsed.halls),
        }

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
    def assignments_csv(self, actor: dict | None, edition_id: str) -> str:
        """Booth, organisation, province, quota group: the sheet organisers print (UTF-8 with BOM)."""
        access.require_organiser(actor, self._plan(edition_id))
        return views.assignments_csv(self.store.booths(edition_id))

    @rpc
    def set_rules(self, actor: dict | None, edition_id: str, payload: dict) -> dict:
        plan = self._plan(edition_id)
        access.require_organiser(actor, plan)
        rules = load(RulesIn, payload)
        check_rule_provinces(rules, date.fromisoformat(plan["starts_on"]))
        planning.quota_rules(rules)  # the domain's own checks, before anything is stored
        # the counters first: a group without one would refuse every booth (start_group_counters repeats safely)
        self.store.start_group_counters(edition_id, [g["name"] for g in rules["groups"]])
        self.store.set_quotas(edition_id, rules, ev.rules_set(edition_id, rules))
        return {"edition_id": edition_id, "rules": rules}
