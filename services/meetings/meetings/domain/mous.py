"""How an MOU names its parties (plain rules, no I/O).

A party on file is named as registration knows it; a party not on file (a
foreign partner, an agency) as the registrar stated it.  Every party's
province is rolled up to the 2025 provinces so statistics by province count
the merged provinces once.
"""

from __future__ import annotations

from typing import Any

from shared.errors import field_error
from shared.reference.provinces import UnknownProvince, rollup


def party_on_file(organisation: dict[str, Any]) -> dict[str, Any]:
    """A party that is a registered organisation: its own name, kind and place, not what was typed."""
    return {
        "organisation_id": organisation["_id"],
        "kind": organisation["kind"],
        "name": organisation.get("name"),
        "province": organisation.get("province"),
        "country": organisation.get("country", "VN"),
    }


def party_as_stated(party: dict[str, Any]) -> dict[str, Any]:
    """A party with no organisation on file, as the registrar named it."""
    return {
        "organisation_id": None,
        "kind": party["kind"],
        "name": party["name"],
        "province": party.get("province"),
        "country": party["country"],
    }


def roll_up_provinces(parties: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Set each party's ``province_2025``; the field errors of provinces that do not exist."""
    problems = []
    for i, party in enumerate(parties):
        try:
            party["province_2025"] = rollup(party["province"]) if party.get("province") else None
        except UnknownProvince:
            problems.append(field_error(f"parties.{i}.province", "unknown_province", "No such province."))
    return problems
