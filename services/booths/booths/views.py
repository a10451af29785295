"""Documents as the API shows them, and the small derivations the service needs.

Times (:mod:`shared.timestamps`): what people read (an offer made or closed, a run computed or committed, an
override, an application, a livestream slot) in the edition's zone, ``zone_of(plan)``; an offer's deadline,
which the expiry timer and programs compare, in UTC.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from booths.domain.allocation import Allocation
from booths.domain.model import QuotaRules
from booths.planning import FOREIGN
from shared.timestamps import HOME_ZONE, local_iso, utc_iso

INTERNAL = ("outbox", "outbox_n")


# People-facing moments of a document, shown in its edition's zone.
SHOWN_LOCAL = ("created_at", "closed_at", "computed_at", "committed_at", "at", "starts_at", "ends_at")


def zone_of(plan: dict[str, Any] | None) -> str:
    """The zone an edition's booths data is shown in (the edition's, from its events)."""
    return (plan or {}).get("timezone") or HOME_ZONE


def _clean(doc: dict[str, Any], zone: str | None = None) -> dict[str, Any]:
    """Without internals, ``_id`` as ``id``; with a ``zone``, its people-facing moments in it."""
    return {
        ("id" if k == "_id" else k): local_iso(v, zone) if zone and k in SHOWN_LOCAL and isinstance(v, str) else v
        for k, v in doc.items()
        if k not in INTERNAL
    }


def holder(applicant: dict[str, Any], quota_group: str | None) -> dict[str, Any]:
    """Who holds a booth, as stored on the booth and shown on the public plan: an organisation."""
    return {
        "participation_id": applicant["_id"],
        "organisation_id": applicant["organisation_id"],
        "name": applicant.get("name"),
        "province": applicant.get("province"),
        "quota_group": quota_group,
    }


def booth(doc: dict[str, Any], zone: str) -> dict[str, Any]:
    """A booth; since when it is held (or was freed) is shown in the edition's zone, the offer mark in UTC."""
    out = _clean(doc)
    out.pop("edition_id", None)
    out["since"] = local_iso(doc.get("since"), zone)
    if "offer_due" in doc:
        out["offer_due"] = utc_iso(doc["offer_due"])
    offer = out.pop("offer", None)
    out["status"] = "taken" if doc.get("holder") else ("on_offer" if offer else "free")
    return out


def floor_plan(plan: dict[str, Any], booths: list[dict[str, Any]]) -> dict[str, Any]:
    shown = [booth(b, zone_of(plan)) for b in booths]
    by_status: dict[str, int] = {}
    for b in shown:
        by_status[b["status"]] = by_status.get(b["status"], 0) + 1
    return {
        "edition_id": plan["_id"],
        "halls": plan.get("halls", []),
        "zones": plan.get("zones", []),
        "booths": shown,
        "totals": {"booths": len(shown), **by_status},
        "quota_groups": [
            {"name": g["name"], "booths": g["booths"], "held": (plan.get("group_held") or {}).get(g["name"], 0)}
            for g in (plan.get("quotas") or {}).get("groups", [])
        ],
    }


def applicant(doc: dict[str, Any], zone: str) -> dict[str, Any]:
    out = _clean(doc)
    out["returning"] = doc.get("returning") == "yes"
    if (doc.get("application") or {}).get("submitted_at"):
        out["application"] = {**doc["application"], "submitted_at": local_iso(doc["application"]["submitted_at"], zone)}
    return out


def run_document(
    run_id: str, edition_id: str, result: Allocation, rules: QuotaRules, provinces: dict[str, str | None]
) -> dict[str, Any]:
    """A dry run as stored: the result, each applicant's quota group and explanation."""
    groups = {}
    for aid in result.assignments:
        group = rules.group_for(provinces.get(aid) or FOREIGN)
        groups[aid] = group.name if group else None
    explanations = {
        aid: {
            "status": e.status,
            "booths": list(e.booths),
            "booths_wanted": e.booths_wanted,
            "priority": e.priority,
            "reasons": [asdict(r) for r in e.reasons],
        }
        for aid, e in result.explanations.items()
    }
    return {
        "_id": run_id,
        "edition_id": edition_id,
        "objective": round(result.objective, 6),
        "assignments": {aid: list(codes) for aid, codes in result.assignments.items() if codes},
        "groups": groups,
        "explanations": explanations,
        "moved": list(result.moved),
        "allocated": sum(len(c) for c in result.assignments.values()),
        "unallocated": sum(1 for e in result.explanations.values() if e.status == "unallocated"),
        "duration_ms": round(result.duration_ms, 3),
        "solver": asdict(result.solver),
        "committed_at": None,
    }


RUN_INTERNAL = ("inputs", "commit_state", "commit_started_at")


def run(doc: dict[str, Any], zone: str) -> dict[str, Any]:
    return {k: v for k, v in _clean(doc, zone).items() if k not in RUN_INTERNAL}


def run_summary(doc: dict[str, Any], zone: str) -> dict[str, Any]:
    """A run in the list: its numbers, not every applicant's explanation."""
    return {k: v for k, v in run(doc, zone).items() if k not in ("explanations", "assignments", "groups")}


def offer(doc: dict[str, Any], zone: str) -> dict[str, Any]:
    """An offer: its deadline and the brief "being given" mark are for programs (UTC), the rest for people."""
    out = {**_clean(doc, zone), "expires_at": utc_iso(doc.get("expires_at"))}
    if "assigning" in doc:
        out["assigning"] = utc_iso(doc["assigning"])
    return out


def audit(doc: dict[str, Any], zone: str) -> dict[str, Any]:
    return {k: v for k, v in _clean(doc, zone).items() if k not in ("holder", "state")}


def slot(doc: dict[str, Any], zone: str) -> dict[str, Any]:
    return _clean(doc, zone)


def slot_problem(plan: dict[str, Any], settings: dict[str, Any], starts_at: datetime) -> tuple[str, str] | None:
    """Why ``starts_at`` is not a slot of this edition's livestream grid, or None."""
    local = starts_at.astimezone(ZoneInfo(plan["timezone"]))
    if not plan["starts_on"] <= local.date().isoformat() <= plan["ends_on"]:
        return "outside_edition", "The slot must be on a day of the edition."
    opens, closes = (time.fromisoformat(settings[k]) for k in ("opens", "closes"))
    minutes = local.hour * 60 + local.minute
    start = opens.hour * 60 + opens.minute
    if local.second or local.microsecond or (minutes - start) % settings["slot_minutes"]:
        return "not_on_grid", f"Slots start every {settings['slot_minutes']} minutes from {settings['opens']}."
    end = closes.hour * 60 + closes.minute
    if minutes < start or minutes + settings["slot_minutes"] > end:
        return "outside_hours", f"Studios are open {settings['opens']}–{settings['closes']}."
    return None


def assignments_csv(booths: list[dict[str, Any]]) -> str:
    """Booth, organisation, province, quota group: the sheet organisers print (UTF-8 with BOM)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["booth", "zone", "kind", "organisation", "organisation_id", "province", "quota_group", "source"])
    for doc in booths:  # (not ``booth``/``holder``: this module's own functions)
        held_by = doc.get("holder") or {}
        writer.writerow(
            [
                doc["code"],
                doc["zone"],
                doc["kind"],
                (held_by.get("name") or {}).get("vi", ""),
                held_by.get("organisation_id", ""),
                held_by.get("province") or "",
                held_by.get("quota_group") or "",
                doc.get("source") or "",
            ]
        )
    return "\ufeff" + buffer.getvalue()
