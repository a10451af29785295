"""Stored documents to the allocation domain and back (no I/O here either)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Any

from booths.domain.floorplan import Booth, FloorPlan, Hall, Zone
from booths.domain.model import Application, Preference, PriorityWeights, QuotaGroup, QuotaRules

FOREIGN = "foreign"  # the quota key of exhibitors from abroad (they have no province)
BOOTH_FIELDS = ("code", "zone", "size", "kind", "features", "price_vnd", "x", "y", "w", "h")


def quota_province(who: dict[str, Any]) -> str:
    """The province an applicant, holder or offer counts under in quota rules."""
    return who.get("province") or FOREIGN


def booth_document(booth: Booth) -> dict[str, Any]:
    return {
        "code": booth.code,
        "zone": booth.zone,
        "size": booth.size,
        "kind": booth.kind,
        "features": sorted(booth.features),
        "price_vnd": booth.price_vnd,
        "x": booth.x,
        "y": booth.y,
        "w": booth.w,
        "h": booth.h,
    }


def floor_plan(plan: dict[str, Any], booths: list[dict[str, Any]]) -> FloorPlan:
    return FloorPlan(
        halls=tuple(Hall(**h) for h in plan.get("halls") or []),
        zones=tuple(Zone(**z) for z in plan.get("zones") or []),
        booths=tuple(
            Booth(**{**{k: b[k] for k in BOOTH_FIELDS}, "features": frozenset(b["features"])}) for b in booths
        ),
    )


def layout_documents(plan: FloorPlan) -> dict[str, list[dict[str, Any]]]:
    return {"halls": [asdict(h) for h in plan.halls], "zones": [asdict(z) for z in plan.zones]}


def quota_rules(rules: dict[str, Any]) -> QuotaRules:
    groups = tuple(
        QuotaGroup(
            name=g["name"],
            booths=g["booths"],
            provinces=frozenset(g["provinces"]) if g.get("provinces") is not None else None,
            province_cap=g.get("province_cap"),
            province_caps=g.get("province_caps") or {},
        )
        for g in rules["groups"]
    )
    return QuotaRules(groups, organisation_max=rules.get("organisation_max"))


def priority_weights(rules: dict[str, Any]) -> PriorityWeights:
    return PriorityWeights(**rules["priorities"])


def application(applicant: dict[str, Any]) -> Application | None:
    """The domain's view of an eligible applicant who asked for booths; None otherwise.

    The province is the one the organisation registered for this edition,
    valid on the edition's date (old units before 2025-07-01, new ones after),
    which is what the edition's quota groups are written in.
    """
    wish = applicant.get("application")
    if applicant["status"] != "eligible" or not wish:
        return None
    return Application(
        applicant_id=applicant["_id"],
        organisation_id=applicant["organisation_id"],
        organisation_kind=applicant["organisation_kind"],
        province=quota_province(applicant),
        booths_wanted=wish["booths_wanted"],
        preferences=tuple(Preference(p["type"], p["value"]) for p in wish["preferences"]),
        needs=frozenset(wish["needs"]),
        ocop_stars=applicant.get("ocop_stars"),
        returning=applicant.get("returning") == "yes",
        submitted_at=wish["submitted_at"],
    )


def fingerprint(
    quotas: dict[str, Any], floor: FloorPlan, applications: list[Application], current: dict[str, list[str]]
) -> str:
    """What an allocation run was computed from, as one hash: equal inputs, equal fingerprint."""
    inputs = {
        "quotas": quotas,
        "floor": asdict(floor),
        "current": {k: sorted(v) for k, v in current.items()},
        "applications": sorted((asdict(a) for a in applications), key=lambda a: a["applicant_id"]),
    }
    text = json.dumps(
        inputs, sort_keys=True, default=lambda o: sorted(o) if isinstance(o, (set, frozenset)) else str(o)
    )
    return hashlib.sha256(text.encode()).hexdigest()
