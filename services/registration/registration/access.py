"""Who may see and do what in registration (object-level rules, no I/O).

The gateway checks that a caller is signed in with a plausible role; these
rules need the objects themselves (which series an edition belongs to, which
organisation a participation is for), so they live with the data.  The
public (no principal) may call some RPCs, so every rule takes
``Principal | None``.  Each ``require_*`` raises the refusal the API
documents; the messages and codes are part of the API.
"""

from __future__ import annotations

from typing import Any

from registration.domain.workflow import EDITION_STATUSES
from shared.auth import Principal
from shared.errors import Forbidden, NotFound, Unauthorized
from shared.reference.provinces import rollup


def principal_of(actor: dict[str, Any] | None) -> Principal | None:
    """The caller an RPC was given (the gateway passes ``actor``); None for the public."""
    return Principal.from_dict(actor)


def require_ops(principal: Principal | None, refusal: str) -> Principal:
    """Ops only; the public is refused the same way (a 403, as the API documents for series)."""
    if principal is None or principal.role != "ops":
        raise Forbidden(refusal, code="forbidden_role")
    return principal


def organises(principal: Principal | None, edition: dict[str, Any]) -> bool:
    return principal is not None and (principal.role == "ops" or principal.organises(edition["series_id"]))


def require_organiser(principal: Principal | None, edition: dict[str, Any]) -> Principal:
    if principal is None:
        raise Unauthorized("Sign in to do this.")
    if not organises(principal, edition):
        raise Forbidden("Only the organisers of this series may do this.", code="not_organiser")
    return principal


def can_see_edition(principal: Principal | None, edition: dict[str, Any]) -> bool:
    """Drafts are visible to their organisers only (a 404 for everyone else)."""
    return edition["status"] != "draft" or organises(principal, edition)


def visible_editions(principal: Principal | None) -> dict[str, Any]:
    """:func:`can_see_edition` as a store filter, so a page of editions is full and counted by the store."""
    if principal is not None and principal.role == "ops":
        return {}
    # $in, not $ne: nx-27017 counts {status: {$ne: v}} without the documents that lack status, and finds arrays
    # holding v (tests/contract/test_store_differential.py)
    published = {"status": {"$in": [s for s in EDITION_STATUSES if s != "draft"]}}
    if principal is not None and principal.role == "organiser":
        return {"$or": [published, {"series_id": principal.series}]}
    return published


def require_visible(principal: Principal | None, edition: dict[str, Any] | None) -> dict[str, Any]:
    if edition is None or not can_see_edition(principal, edition):
        raise NotFound("No such edition.", code="edition_not_found")
    return edition


def acts_for(principal: Principal | None, organisation_id: str) -> bool:
    """The organisation itself (a member) or ops."""
    return principal is not None and (principal.role == "ops" or principal.is_member_of(organisation_id))


def require_acts_for(principal: Principal | None, organisation_id: str) -> Principal:
    if principal is None:
        raise Unauthorized("Sign in to do this.")
    if not acts_for(principal, organisation_id):
        raise Forbidden("You may act only for your own organisation.", code="not_your_organisation")
    return principal


def sees_contacts(principal: Principal | None, organisation_id: str, organiser_series: set[str]) -> bool:
    """Delegates' emails and phones: the organisation itself, ops, and organisers
    of a series the organisation has registered for."""
    if principal is None:
        return False
    if acts_for(principal, organisation_id):
        return True
    return principal.role == "organiser" and principal.series in organiser_series


def require_reader_of_edition(principal: Principal | None, edition: dict[str, Any]) -> Principal:
    """Organisers, ops and provinces read an edition's registrations and stats."""
    if principal is None:
        raise Unauthorized("Sign in to do this.")
    if principal.role == "province" or organises(principal, edition):
        return principal
    if principal.role == "organiser":
        raise Forbidden("Only the organisers of this series may do this.", code="not_organiser")
    raise Forbidden("Only organisers and provinces may list registrations.", code="forbidden_role")


def speaks_for(principal: Principal | None, organisation_id: str, edition: dict[str, Any]) -> bool:
    """The organisation itself, ops, or an organiser of the edition's series."""
    return acts_for(principal, organisation_id) or organises(principal, edition)


def require_sees_participation(
    principal: Principal | None, participation: dict[str, Any], edition: dict[str, Any]
) -> None:
    """A registration (and its badges) for whoever speaks for it; to anyone else it does not exist (404)."""
    if not speaks_for(principal, participation["organisation_id"], edition):
        raise NotFound("No such registration.", code="participation_not_found")


def require_decider(
    principal: Principal | None, participation: dict[str, Any], edition: dict[str, Any], action: str
) -> None:
    """Organisers decide registrations; an organisation may also withdraw (cancel) its own."""
    if action == "cancel" and acts_for(principal, participation["organisation_id"]):
        return
    require_organiser(principal, edition)


def require_claim_decider(principal: Principal | None, claim: dict[str, Any], edition: dict[str, Any]) -> Principal:
    """Without the e-mail's link, a claim is decided by the organisation itself, ops, or the edition's organisers."""
    if principal is None:
        raise Unauthorized("Use the link from the e-mail, or sign in as the organisation.", code="unauthorized")
    if not speaks_for(principal, claim["organisation_id"], edition):
        raise Forbidden(
            "Only the organisation itself or the edition's organisers may decide this.", code="not_your_organisation"
        )
    return principal


def province_scope(principal: Principal, asked: str | None = None) -> str | None:
    """The province a reader's view is limited to (a province sees its own), None for no limit.

    A province asking for another province's registrations is refused rather
    than shown an empty list.
    """
    if principal.role != "province":
        return None
    if asked and rollup(asked) != principal.province:
        raise Forbidden("A province sees only its own registrations.", code="other_province")
    return principal.province
