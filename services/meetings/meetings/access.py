"""Who may see and do what in meetings (object-level rules, no I/O).

The gateway checks that a caller is signed in with a plausible role; these
rules need the objects themselves (the series a session belongs to, the
organisations of a meeting's two sides, an MOU's parties), so they live with
the data.  Each ``require_*`` raises the refusal the API documents; the
messages and codes are part of the API.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shared.auth import Principal, signed_in
from shared.errors import Forbidden


def organises(principal: Principal, series_id: str) -> bool:
    """Ops, or an organiser of this series."""
    return principal.role == "ops" or principal.organises(series_id)


def require_organiser(actor: dict | None, series_id: str) -> Principal:
    principal = signed_in(actor)
    if not organises(principal, series_id):
        raise Forbidden("Only the organisers of this series may do this.", code="not_organiser")
    return principal


def may_act_for(principal: Principal, participant: dict[str, Any], series_id: str) -> bool:
    """An organiser of the series, or a member of the participant's organisation."""
    return organises(principal, series_id) or principal.is_member_of(participant["organisation_id"])


def require_acting_for(actor: dict | None, participant: dict[str, Any], series_id: str) -> Principal:
    principal = signed_in(actor)
    if not may_act_for(principal, participant, series_id):
        raise Forbidden("You may act only for your own organisation.", code="not_your_organisation")
    return principal


def require_party_or_organiser(actor: dict | None, meeting: dict[str, Any], series_id: str, refusal: str) -> Principal:
    """One of the meeting's two organisations, or an organiser of the series."""
    principal = signed_in(actor)
    if not (
        organises(principal, series_id)
        or any(principal.is_member_of(meeting[s]["organisation_id"]) for s in ("supplier", "buyer"))
    ):
        raise Forbidden(refusal, code="not_your_meeting")
    return principal


def require_sender(actor: dict | None, sender: dict[str, Any]) -> Principal:
    """A request is sent by the asking organisation itself (or ops); organisers broker instead."""
    principal = signed_in(actor)
    if not (principal.role == "ops" or principal.is_member_of(sender["organisation_id"])):
        raise Forbidden(
            "You may request meetings only for your own organisation; organisers broker them.",
            code="not_your_organisation",
        )
    return principal


def require_invitee(actor: dict | None, meeting: dict[str, Any]) -> Principal:
    """Who answers a request: the side that did not ask."""
    principal = signed_in(actor)
    side = "buyer" if meeting["requested_by"] == "supplier" else "supplier"
    if not (principal.role == "ops" or principal.is_member_of(meeting[side]["organisation_id"])):
        raise Forbidden("Only the invited organisation answers this request.", code="not_invitee")
    return principal


def require_mou_registrar(principal: Principal, series_id: str, parties: Iterable[dict[str, Any]]) -> None:
    """Organisers, or a member of one of the MOU's parties on file."""
    if not (
        organises(principal, series_id)
        or any(p.get("organisation_id") and principal.is_member_of(p["organisation_id"]) for p in parties)
    ):
        raise Forbidden("Organisers or the parties register an MOU.", code="not_a_party")


def visible_mous(principal: Principal, series_id: str) -> dict[str, Any]:
    """The MOUs a caller sees, as a store filter (so a page is full and counted): organisers all; a province
    those with a party of the province (before or after the 2025 merger); a member its own."""
    if organises(principal, series_id):
        return {}
    if principal.role == "province":
        return {"$or": [{"parties.province": principal.province}, {"parties.province_2025": principal.province}]}
    if principal.role == "member":
        return {"parties.organisation_id": principal.organisation}
    raise Forbidden("Your role may not see MOUs.", code="forbidden_role")


def require_mou_stats_reader(principal: Principal, series_id: str) -> None:
    """Statistics are aggregates, so provinces see the whole edition's."""
    if not (organises(principal, series_id) or principal.role == "province"):
        raise Forbidden("Organisers and provinces see MOU statistics.", code="forbidden_role")
