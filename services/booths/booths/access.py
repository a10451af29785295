"""Who may do what with booths (object-level rules, no I/O).

The gateway checks only that a caller is signed in with a plausible role;
these rules need the objects themselves (the series a floor plan's edition
belongs to, the organisation an exhibitor registration is for), so they live
with the data, as registration's do in ``registration.access``.
"""

from __future__ import annotations

from typing import Any

from shared.auth import Principal, signed_in
from shared.errors import Forbidden


def organises(principal: Principal, series_id: str) -> bool:
    """Ops, or an organiser of this series."""
    return principal.role == "ops" or principal.organises(series_id)


def require_organiser(actor: dict | None, plan: dict[str, Any]) -> Principal:
    """The signed-in caller, who must organise the series of the plan's edition."""
    principal = signed_in(actor)
    if not organises(principal, plan["series_id"]):
        raise Forbidden("Only the organisers of this series may do this.", code="not_organiser")
    return principal


def acts_for(principal: Principal, organisation_id: str) -> bool:
    """Ops, or a member of the organisation itself."""
    return principal.role == "ops" or principal.is_member_of(organisation_id)


def require_acts_for(principal: Principal, organisation_id: str) -> Principal:
    if not acts_for(principal, organisation_id):
        raise Forbidden("You may act only for your own organisation.", code="not_your_organisation")
    return principal
