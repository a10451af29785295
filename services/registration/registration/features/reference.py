"""Reference data for forms: the provinces of a day, organisation kinds, roles, sectors and OCOP ratings.

Served by this service because it is the one that checks them: every list is
read from the same tables the validators are built from
(:mod:`registration.domain.reference`, :mod:`shared.reference.provinces`), so
what a frontend offers and what a registration may say cannot drift apart.
No store, no caller: public and cheap; the gateway caches the answers.
"""

from __future__ import annotations

from typing import Any

from registration.domain import reference as ref
from registration.schemas import ProvincesOn
from shared.entrypoints import rpc
from shared.reference.provinces import Listed, Province, listed_on
from shared.validation import load


def _names(unit: Province) -> dict[str, str]:
    return {"vi": unit.name, "en": unit.name_en}


def _unit(unit: Province) -> dict[str, Any]:
    return {"code": unit.slug, "name": _names(unit)}


def _listed(entry: Listed) -> dict[str, Any]:
    unit = entry.province
    return {
        **_unit(unit),
        "kind": unit.kind,
        "valid_from": entry.valid_from.isoformat() if entry.valid_from else None,
        "valid_to": entry.valid_to.isoformat() if entry.valid_to else None,
        "successor": _unit(entry.successor) if entry.successor else None,
        "merged_from": [_unit(old) for old in entry.merged_from],
    }


class Reference:
    @rpc
    def reference_provinces(self, on: str) -> dict:
        """The provinces a form dated ``on`` (``YYYY-MM-DD``) may name; a bad date is a 422 on ``on``."""
        day = load(ProvincesOn, {"on": on})["on"]
        return {"on": day.isoformat(), "items": [_listed(entry) for entry in listed_on(day)]}

    @rpc
    def reference_organisation_kinds(self) -> dict:
        return {
            "items": [
                {"code": kind.code, "name": dict(kind.name), "requires": list(kind.requires)}
                for kind in ref.ORGANISATION_KINDS
            ]
        }

    @rpc
    def reference_roles(self) -> dict:
        return {"items": [{"code": code, "name": dict(name)} for code, name in ref.ROLES.items()]}

    @rpc
    def reference_sectors(self) -> dict:
        """Sectors are free text: the rules a value must meet, and no list (``controlled`` is false)."""
        return {
            "controlled": False,
            "items": [],
            "min_length": ref.SECTOR_LENGTH[0],
            "max_length": ref.SECTOR_LENGTH[1],
            "max_items": ref.SECTORS_MAX,
            "normalised": dict(ref.SECTORS_NORMALISED),
        }

    @rpc
    def reference_ocop(self) -> dict:
        return {
            "min_stars": ref.OCOP_STARS[0],
            "max_stars": ref.OCOP_STARS[1],
            "min_year": ref.OCOP_YEARS[0],
            "max_year": ref.OCOP_YEARS[1],
            "certificate_no_max_length": ref.OCOP_CERTIFICATE_MAX,
            "items": [
                {
                    "stars": level.stars,
                    "name": {"vi": f"OCOP {level.stars} sao", "en": f"{level.stars}-star OCOP"},
                    "level": level.level,
                    "min_points": level.points[0],
                    "max_points": level.points[1],
                    "meaning": dict(level.meaning),
                }
                for level in ref.OCOP_LEVELS
            ],
        }
