"""The events the booths service emits and the registration events it consumes.

Public events name organisations (already public in the exhibitor directory)
and booths, never people.  Override events are internal: they carry the
organiser's free-text reason and account.
"""

from __future__ import annotations

from typing import Any

from booths.planning import FOREIGN
from shared.context import current_request_id
from shared.events.envelope import make_event

SOURCE = "booths"
PREFIX = "vn.ketnoi.booths"

# consumed (produced by registration)
EDITION_CREATED = "vn.ketnoi.registration.edition.created.v1"
EDITION_UPDATED = "vn.ketnoi.registration.edition.updated.v1"
PARTICIPATION_APPROVED = "vn.ketnoi.registration.participation.approved.v1"
PARTICIPATION_CANCELLED = "vn.ketnoi.registration.participation.cancelled.v1"
ORGANISATION_UPDATED = "vn.ketnoi.registration.organisation.updated.v1"


def _event(kind: str, subject: str, data: dict[str, Any]) -> dict[str, Any]:
    return make_event(f"{PREFIX}.{kind}.v1", SOURCE, subject, data, current_request_id())


def floor_plan_imported(
    edition_id: str, booths: int, halls: list[dict[str, Any]], zones: list[dict[str, Any]]
) -> dict[str, Any]:
    """Public: the exhibition floor an edition offers (numbers, halls and zones; nobody holds a booth yet)."""
    return _event(
        "floor_plan.imported",
        f"editions/{edition_id}/floor-plan",
        {
            "edition_id": edition_id,
            "booths": booths,
            "halls": [{"code": h["code"], "name": h.get("name") or ""} for h in halls],
            "zones": [{"code": z["code"], "hall": z["hall"], "name": z.get("name") or ""} for z in zones],
        },
    )


def rules_set(edition_id: str, rules: dict[str, Any]) -> dict[str, Any]:
    """Public: the booth quotas by group of provinces and the caps, as organisers set them."""
    return _event(
        "rules.set",
        f"editions/{edition_id}/booth-rules",
        {
            "edition_id": edition_id,
            "groups": [
                {
                    "name": g["name"],
                    "booths": g["booths"],
                    "provinces": g.get("provinces"),
                    "province_cap": g.get("province_cap"),
                    "province_caps": g.get("province_caps") or {},
                }
                for g in rules["groups"]
            ],
            "organisation_max": rules.get("organisation_max"),
            "offer_hours": rules["offer_hours"],
        },
    )


def application_submitted(applicant: dict[str, Any], application: dict[str, Any]) -> dict[str, Any]:
    """Internal: what an exhibitor asks of the floor plan (booths, preferences, needs); replaces its last ask."""
    return _event(
        "application.submitted",
        f"editions/{applicant['edition_id']}/applications/{applicant['_id']}",
        {
            "participation_id": applicant["_id"],
            "edition_id": applicant["edition_id"],
            "organisation_id": applicant["organisation_id"],
            **application,
        },
    )


def booth_allocated(booth: dict[str, Any], holder: dict[str, Any], source: str) -> dict[str, Any]:
    return _event(
        "booth.allocated",
        f"editions/{booth['edition_id']}/booths/{booth['code']}",
        {
            "edition_id": booth["edition_id"],
            "booth_code": booth["code"],
            "zone": booth["zone"],
            "kind": booth["kind"],
            "participation_id": holder["participation_id"],
            "organisation_id": holder["organisation_id"],
            "organisation_name": holder.get("name"),
            "province": holder.get("province"),
            "quota_group": holder.get("quota_group"),
            "source": source,
        },
    )


def booth_released(booth: dict[str, Any], holder: dict[str, Any], reason: str) -> dict[str, Any]:
    return _event(
        "booth.released",
        f"editions/{booth['edition_id']}/booths/{booth['code']}",
        {
            "edition_id": booth["edition_id"],
            "booth_code": booth["code"],
            "participation_id": holder["participation_id"],
            "organisation_id": holder["organisation_id"],
            "province": holder.get("province"),
            "reason": reason,
        },
    )


def allocation_committed(run: dict[str, Any]) -> dict[str, Any]:
    return _event(
        "allocation.committed",
        f"editions/{run['edition_id']}/allocations/{run['_id']}",
        {
            "edition_id": run["edition_id"],
            "run_id": run["_id"],
            "objective": run["objective"],
            "allocated": run["allocated"],
            "unallocated": run["unallocated"],
            "moved": run["moved"],
        },
    )


def offer_changed(offer: dict[str, Any], status: str | None = None) -> dict[str, Any]:
    """``offer.<kind>``; an offer keeps the province it counts under in the quotas (``foreign`` for an
    organisation from abroad, which has no province)."""
    status = status or offer["status"]
    province = offer.get("province")
    kind = {"open": "made"}.get(status, status)
    return _event(
        f"offer.{kind}",
        f"editions/{offer['edition_id']}/offers/{offer['_id']}",
        {
            "edition_id": offer["edition_id"],
            "offer_id": offer["_id"],
            "booth_code": offer["booth_code"],
            "participation_id": offer["participation_id"],
            "organisation_id": offer["organisation_id"],
            "province": None if province == FOREIGN else province,
            "expires_at": offer["expires_at"],
            "status": status,
        },
    )


def override_recorded(entry: dict[str, Any]) -> dict[str, Any]:
    return _event(
        "override.recorded",
        f"editions/{entry['edition_id']}/booths/{entry['booth_code']}",
        {
            "edition_id": entry["edition_id"],
            "booth_code": entry["booth_code"],
            "action": entry["action"],
            "participation_id": entry.get("participation_id"),
            "to_booth": entry.get("to_booth"),
            "reason": entry["reason"],
            "by": entry["by"],
            "at": entry["at"],
        },
    )


def slot_booked(slot: dict[str, Any], province: str | None) -> dict[str, Any]:
    """``province``: the booking organisation's as registered (the slot itself does not keep it)."""
    return _event(
        "livestream_slot.booked",
        f"editions/{slot['edition_id']}/booths/{slot['booth_code']}",
        {
            "edition_id": slot["edition_id"],
            "booth_code": slot["booth_code"],
            "starts_at": slot["starts_at"],
            "ends_at": slot["ends_at"],
            "participation_id": slot["participation_id"],
            "organisation_id": slot["organisation_id"],
            "organisation_name": slot.get("organisation_name"),
            "province": province,
        },
    )
