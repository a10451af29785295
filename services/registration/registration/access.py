"""Who may see and do what in registration (object-level rules, no I/O).

The gateway checks that a caller is signed in with a plausible role; these
rules need the objects themselves (which series an edition belongs to, which
organisation a participation is for), so they live with the data.
"""

from __future__ import annotations

from typing import Any

from shared.auth import Principal
from shared.errors import Forbidden, NotFound, Unauthorized


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
