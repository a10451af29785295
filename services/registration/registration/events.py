"""The events registration emits, built from its documents.

Public events (provinces may consume them) carry organisations and numbers,
never people: no delegate names, emails or phones, and no name or tax code of
a household business, whose name is usually its owner's.  Contact details go
only in the internal ``organisation.contacts_changed`` event, for the
notifications service.  Schemas: ``events/schemas/``; catalogue:
``events/catalogue.yaml``.
"""

from __future__ import annotations

from typing import Any

from shared.context import current_request_id
from shared.events.envelope import make_event

SOURCE = "registration"
PREFIX = "vn.ketnoi.registration"


def _event(kind: str, subject: str, data: dict[str, Any]) -> dict[str, Any]:
    return make_event(f"{PREFIX}.{kind}.v1", SOURCE, subject, data, current_request_id())


def _names(name: dict[str, str] | None) -> dict[str, str] | None:
    return {k: v for k, v in (name or {}).items() if v} or None


def series_created(series: dict[str, Any]) -> dict[str, Any]:
    return _event("series.created", f"series/{series['_id']}", {"series_id": series["_id"], "name": series["name"]})


def edition_data(edition: dict[str, Any]) -> dict[str, Any]:
    return {
        "edition_id": edition["_id"],
        "series_id": edition["series_id"],
        "title": _names(edition["title"]),
        "status": edition["status"],
        "host_province": edition["host_province"],
        "partner_provinces": edition.get("partner_provinces", []),
        "starts_on": edition["starts_on"],
        "ends_on": edition["ends_on"],
        "timezone": edition["timezone"],
        "venue": edition["venue"]["name"],
        "capacity": edition.get("capacity", {}),
        # when each programme item happens (titles stay in the API): a site visit's participants are away then
        "programme": [
            {"key": key, "kind": item["kind"], "starts_at": item["starts_at"], "ends_at": item["ends_at"]}
            for key, item in sorted(
                (edition.get("programme") or {}).items(), key=lambda kv: (kv[1]["starts_at"], kv[0])
            )
        ],
        "version": edition["version"],
    }


def edition_created(edition: dict[str, Any]) -> dict[str, Any]:
    return _event("edition.created", f"editions/{edition['_id']}", edition_data(edition))


def edition_updated(edition: dict[str, Any], changed: list[str]) -> dict[str, Any]:
    return _event(
        "edition.updated", f"editions/{edition['_id']}", {**edition_data(edition), "changed": sorted(changed)}
    )


def edition_status_changed(edition: dict[str, Any], previous: str) -> dict[str, Any]:
    return _event(
        "edition.status_changed",
        f"editions/{edition['_id']}",
        {
            "edition_id": edition["_id"],
            "series_id": edition["series_id"],
            "previous": previous,
            "status": edition["status"],
            "version": edition["version"],
        },
    )


def public_name(org: dict[str, Any]) -> dict[str, str] | None:
    """An organisation's name for the public, withheld for household businesses."""
    return None if org["kind"] == "household_business" else _names(org["legal_name"])


def organisation_data(org: dict[str, Any]) -> dict[str, Any]:
    return {
        "organisation_id": org["_id"],
        "kind": org["kind"],
        "name": public_name(org),
        "province": org.get("province"),
        "country": (org.get("foreign") or {}).get("country", "VN"),
        "sectors": org.get("sectors", []),
        "version": org["version"],
    }


def organisation_registered(org: dict[str, Any]) -> dict[str, Any]:
    return _event("organisation.registered", f"organisations/{org['_id']}", organisation_data(org))


def organisation_updated(org: dict[str, Any]) -> dict[str, Any]:
    return _event("organisation.updated", f"organisations/{org['_id']}", organisation_data(org))


def contacts_changed(org: dict[str, Any]) -> dict[str, Any]:
    """Internal: who to tell about this organisation, in which language."""
    delegates = [
        {
            "delegate_id": d_id,
            "name": d["name"],
            "email": d["email"],
            "phone": d["phone"],
            "preferred_language": d["preferred_language"],
        }
        for d_id, d in sorted((org.get("delegates") or {}).items())
    ]
    return _event(
        "organisation.contacts_changed",
        f"organisations/{org['_id']}",
        {"organisation_id": org["_id"], "delegates": delegates, "version": org["version"]},
    )


def delegate_languages(org: dict[str, Any]) -> dict[str, list[str]]:
    """What meetings need to seat an interpreter: languages, never who speaks them."""
    delegates = (org.get("delegates") or {}).values()
    return {
        "languages": sorted({d["preferred_language"] for d in delegates}),
        "interpreter_languages": sorted(
            {d["interpreter_language"] for d in delegates if d.get("interpreter_language")}
        ),
    }


def product_registered(product: dict[str, Any], province: str | None) -> dict[str, Any]:
    """``province``: the registering organisation's, which the event is routed by (``origin_province`` is
    where the product comes from, and may be another province or none)."""
    return _event(
        "product.registered",
        f"products/{product['_id']}",
        {
            "product_id": product["_id"],
            "organisation_id": product["organisation_id"],
            "province": province,
            "name": _names(product["name"]),
            "category": product["category"],
            "ocop_stars": (product.get("ocop") or {}).get("stars"),
            "certifications": product.get("certifications", []),
            "origin_province": product.get("origin_province"),
        },
    )


def participation_changed(
    participation: dict[str, Any], status: str | None = None, promoted: bool = False
) -> dict[str, Any]:
    """``participation.<status>`` with what provinces report on; status defaults to the current one."""
    status = status or participation["status"]
    org = participation["org"]
    data = {
        "participation_id": participation["_id"],
        "edition_id": participation["edition_id"],
        "organisation_id": participation["organisation_id"],
        "organisation_kind": org["kind"],
        "organisation_name": org["public_name"],
        "province": org.get("province"),
        "province_2025": org.get("province_2025"),
        "country": org.get("country", "VN"),
        "sectors": org.get("sectors", []),
        "ocop_max_stars": org.get("ocop_max_stars"),
        "languages": org.get("languages", []),
        "interpreter_languages": org.get("interpreter_languages", []),
        "role": participation["role"],
        "status": status,
        "wants": participation["wants"],
        "version": participation["version"],
    }
    if status == "rejected":  # a code: the organiser's own words may name people (rejection_explained)
        data["reason"] = data["reason_code"] = participation.get("reason_code") or "other"
    if status == "approved":
        data["promoted_from_waitlist"] = promoted
    return _event(f"participation.{status}", f"participations/{participation['_id']}", data)


def rejection_explained(participation: dict[str, Any]) -> dict[str, Any]:
    """Internal: the organiser's words to the applicant, for the notifications service alone."""
    org = participation["org"]
    return _event(
        "participation.rejection_explained",
        f"participations/{participation['_id']}",
        {
            "participation_id": participation["_id"],
            "edition_id": participation["edition_id"],
            "organisation_id": participation["organisation_id"],
            "organisation_name": org["public_name"],
            "role": participation["role"],
            "reason_code": participation.get("reason_code") or "other",
            "reason": participation["reason"],
            "version": participation["version"],
        },
    )


def checkin_recorded(checkin: dict[str, Any]) -> dict[str, Any]:
    return _event(
        "checkin.recorded",
        f"participations/{checkin['participation_id']}",
        {
            "edition_id": checkin["edition_id"],
            "participation_id": checkin["participation_id"],
            "delegate_id": checkin["delegate_id"],
            "gate": checkin["gate"],
            "at": checkin["at"],
        },
    )


def claim_requested(claim: dict[str, Any], org: dict[str, Any], token: str) -> dict[str, Any]:
    """Internal: someone registered an organisation on file in its name; its contacts on file are asked to
    confirm with ``confirm_token`` (the notifications service builds the link).  Carries the names and
    e-mails the form proposes as delegates, so the contacts can tell who it was."""
    return _event(
        "claim.requested",
        f"claims/{claim['_id']}",
        {
            "claim_id": claim["_id"],
            "edition_id": claim["edition_id"],
            "organisation_id": claim["organisation_id"],
            "organisation_name": public_name(org),
            "role": claim["role"],
            "proposed_delegates": [
                {"name": d["name"], "email": d["email"]} for _, d in sorted(claim["delegates"].items())
            ],
            "confirm_token": token,
            "expires_at": claim["expires_at"],
            "version": claim["version"],
        },
    )
