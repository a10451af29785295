"""Documents as the API shows them: ISO dates, lists instead of id maps, no internals.

Times follow the API's convention (:mod:`shared.timestamps`): what people read (created, submitted, decided,
checked in, the programme) in the edition's offset, ``+07:00``; an expiry a program compares in UTC, ``Z``.
Organisations, their products and series belong to no edition: they are shown in ``HOME_ZONE``.
"""

from __future__ import annotations

from typing import Any

from shared.timestamps import HOME_ZONE, local_iso, utc_iso

INTERNAL = ("outbox", "outbox_n", "search", "org_key", "snapshot_due", "capacity_due")


# People-facing moments of a document, shown in the zone of its edition (or HOME_ZONE).
SHOWN_LOCAL = ("created_at", "updated_at", "submitted_at", "decided_at", "waitlisted_at", "at")


def zone_of(edition: dict[str, Any] | None) -> str:
    """The zone an edition's data is shown in (HOME_ZONE should the edition be gone)."""
    return edition["timezone"] if edition else HOME_ZONE


def _clean(doc: dict[str, Any], zone: str = HOME_ZONE) -> dict[str, Any]:
    """Without internals, ``_id`` as ``id``, its people-facing moments in ``zone``."""
    return {
        ("id" if k == "_id" else k): local_iso(v, zone) if k in SHOWN_LOCAL and isinstance(v, str) else v
        for k, v in doc.items()
        if k not in INTERNAL
    }


def edition(doc: dict[str, Any], capacity: dict[str, dict[str, int]] | None = None) -> dict[str, Any]:
    """Times of the edition in its own time zone (``+07:00``), as its participants read them."""
    zone = doc["timezone"]
    out = _clean(doc, zone)
    for key in ("registration_opens_at", "registration_closes_at"):
        out[key] = local_iso(doc[key], zone)
    items = sorted((doc.get("programme") or {}).items(), key=lambda kv: (kv[1]["starts_at"], kv[0]))
    out["programme"] = [
        {
            "key": key,
            **item,
            "starts_at": local_iso(item["starts_at"], zone),
            "ends_at": local_iso(item["ends_at"], zone),
        }
        for key, item in items
    ]
    if capacity is not None:
        out["places"] = capacity
    return out


def series(doc: dict[str, Any]) -> dict[str, Any]:
    return _clean(doc)


PUBLIC_ORGANISATION = ("kind", "legal_name", "province", "sectors", "website", "version")


def public_organisation(doc: dict[str, Any]) -> dict[str, Any]:
    """What anyone may read (the public, other members, provinces): the exhibitor directory's facts.

    No delegates (their names are personal data) and no registration numbers;
    a household business is named by its owner, so its name is withheld too.
    """
    out = {
        "id": doc["_id"],
        **{k: doc.get(k) for k in PUBLIC_ORGANISATION},
        "country": (doc.get("foreign") or {}).get("country", "VN"),
    }
    if doc["kind"] == "household_business":
        out["legal_name"] = None
    return out


def organisation(doc: dict[str, Any], with_contacts: bool) -> dict[str, Any]:
    out = _clean(doc)
    delegates = []
    for d_id, d in sorted((doc.get("delegates") or {}).items()):
        shown = {
            "id": d_id,
            "name": d["name"],
            "position": d.get("position"),
            "preferred_language": d["preferred_language"],
            "interpreter_language": d.get("interpreter_language"),
        }
        if with_contacts:
            shown.update(email=d["email"], phone=d["phone"])
        delegates.append(shown)
    out["delegates"] = delegates
    if not with_contacts and doc["kind"] == "household_business":
        out.pop("tax_code", None)  # a household's tax code is its owner's personal number
    return out


def product(doc: dict[str, Any]) -> dict[str, Any]:
    return _clean(doc)


def checkin(doc: dict[str, Any], zone: str) -> dict[str, Any]:
    return _clean(doc, zone)


def participation(doc: dict[str, Any], zone: str, for_province: bool = False) -> dict[str, Any]:
    """A registration, its times in its edition's ``zone``; a province sees organisations as the public events
    show them: no household's name."""
    out = _clean(doc, zone)
    out["org"] = {k: v for k, v in doc["org"].items() if k != "search"}
    if for_province and doc["org"]["kind"] == "household_business":
        out["org"]["legal_name"] = None
    return out


def directory_entry(doc: dict[str, Any]) -> dict[str, Any]:
    """The public exhibitor directory: organisations and products, never people."""
    org = doc["org"]
    return {
        "participation_id": doc["_id"],
        "organisation_id": doc["organisation_id"],
        "name": org["public_name"],
        "kind": org["kind"],
        "province": org.get("province"),
        "province_2025": org.get("province_2025"),
        "country": org.get("country"),
        "sectors": org.get("sectors", []),
        "ocop_max_stars": org.get("ocop_max_stars"),
        "role": doc["role"],
    }


def claim(doc: dict[str, Any], org: dict[str, Any], edition: dict[str, Any], moment: str) -> dict[str, Any]:
    """A registration waiting for its organisation's confirmation, for those who may decide it: what the form
    asks for and whom it would add as delegates (``moment``: now, to tell an expired claim)."""
    status = "expired" if doc["status"] == "pending" and doc["expires_at"] <= moment else doc["status"]
    return {
        "id": doc["_id"],
        "status": status,
        "edition_id": doc["edition_id"],
        "edition_title": edition["title"],
        "organisation_id": doc["organisation_id"],
        "organisation_name": org["legal_name"],
        "role": doc["role"],
        "wants": doc["wants"],
        "delegates": [
            {"name": d["name"], "position": d.get("position"), "email": d["email"]}
            for _, d in sorted(doc["delegates"].items())
        ],
        "products": [{"name": p["name"], "category": p["category"]} for p in doc["products"]],
        "created_at": local_iso(doc["created_at"], edition["timezone"]),
        "expires_at": utc_iso(doc["expires_at"]),
        "participation_id": doc.get("participation_id"),
        "decided_at": local_iso(doc.get("decided_at"), edition["timezone"]),
    }
