"""Rules of an edition that need no I/O: its places per role, and what a registration may ask of its programme."""

from __future__ import annotations

from typing import Any

from registration.schemas import ROLES
from shared.errors import InvalidInput, field_error


def places(capacity: dict[str, int]) -> dict[str, int | None]:
    """Every role's limit, None for no limit: places are counted in every role, so that a limit set later
    starts from the approvals already made, and a limit dropped stops applying (found by the stateful test:
    a dropped limit went on waitlisting, and a limit added later let that many more in)."""
    return {role: capacity.get(role) for role in ROLES}


def check_wants(edition: dict[str, Any], wants: dict[str, Any], field: str) -> None:
    """The site visits a registration asks for must be site visits of the edition's programme."""
    visits = {k for k, item in edition["programme"].items() if item["kind"] == "site_visit"}
    errors = [
        field_error(
            f"{field}.site_visits.{i}", "unknown_site_visit", f"{key} is not a site visit of this edition.", key=key
        )
        for i, key in enumerate(wants.get("site_visits", []))
        if key not in visits
    ]
    if errors:
        raise InvalidInput("Some requests do not match the programme.", errors=errors)
