"""Vietnam's provincial-level units before and after the 2025-07-01 reorganisation.

Editions held before the merger name the 63 old units; editions on or after it must use the
34 new ones, and cross-edition reports roll old units up into their 2025 successor so that
"Quảng Bình 2024" and "Quảng Trị 2025" add up. The data ships as
``vn-provinces-2025.json`` next to this module and is loaded once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

MERGER_DATE = date(2025, 7, 1)

# Huế became a centrally-run city on 2025-01-01. The data lists it only under its current
# slug and name ("about" says so); before that date the same unit was "Thừa Thiên Huế", a
# province, and clients of older editions may still send that slug.
HUE_CITY_DATE = date(2025, 1, 1)
_HUE = "hue"
_ALIASES = {"thua-thien-hue": _HUE}

_DATA_FILE = Path(__file__).with_name("vn-provinces-2025.json")


@dataclass(frozen=True)
class Province:
    slug: str
    name: str
    kind: str  # "province" | "city" (centrally-run city)


class UnknownProvince(Exception):
    """The slug is in neither the pre- nor the post-2025-07-01 list."""

    def __init__(self, slug: str) -> None:
        super().__init__(f"unknown province: {slug!r}")
        self.slug = slug


class ProvinceMerged(Exception):
    """A pre-merger unit was named for a date on or after the merger."""

    def __init__(
        self, slug: str, successor_slug: str, successor_name: str, on: date
    ) -> None:
        super().__init__(
            f"{slug!r} no longer exists on {on.isoformat()}: since {MERGER_DATE.isoformat()} "
            f"it is part of {successor_name} ({successor_slug!r})"
        )
        self.slug = slug
        self.successor_slug = successor_slug
        self.successor_name = successor_name
        self.on = on


@dataclass(frozen=True)
class _Tables:
    old: dict[str, Province]
    new: dict[str, Province]
    successors: dict[str, str]


@cache
def _tables() -> _Tables:
    raw = json.loads(_DATA_FILE.read_text(encoding="utf-8"))
    if date.fromisoformat(raw["effective_date"]) != MERGER_DATE:
        raise RuntimeError(
            f"{_DATA_FILE.name}: effective_date does not match MERGER_DATE"
        )
    old = {
        u["slug"]: Province(u["slug"], u["name"], u["kind"])
        for u in raw["before_2025_07_01"]
    }
    new = {
        u["slug"]: Province(u["slug"], u["name"], u["kind"])
        for u in raw["from_2025_07_01"]
    }
    successors = {u["slug"]: u["successor"] for u in raw["before_2025_07_01"]}
    successors.update({slug: slug for slug in new})
    return _Tables(old=old, new=new, successors=successors)


def _canonical(slug: str) -> str:
    return _ALIASES.get(slug, slug)


def provinces_on(day: date) -> dict[str, Province]:
    """The provincial units that existed on ``day``, keyed by slug (63 before the merger, 34 after)."""
    tables = _tables()
    if day >= MERGER_DATE:
        return dict(tables.new)
    units = dict(tables.old)
    if day < HUE_CITY_DATE:
        units[_HUE] = Province(_HUE, "Thừa Thiên Huế", "province")
    return units


def successor(slug: str) -> str:
    """The 2025 unit that ``slug`` belongs to (a new unit is its own successor)."""
    try:
        return _tables().successors[_canonical(slug)]
    except KeyError:
        raise UnknownProvince(slug) from None


def rollup(slug: str) -> str:
    """Report key for ``slug``: old units count under their 2025 successor across editions."""
    return successor(slug)


def check_province(slug: str, on: date) -> Province:
    """Validate ``slug`` for something dated ``on`` (an edition, a registration).

    Returns the unit as it was named on that day. Raises ``UnknownProvince`` for a slug in
    neither list and ``ProvinceMerged`` for an old unit used on or after the merger, so the
    caller can tell the user which new unit to pick instead.
    """
    canonical = _canonical(slug)
    units = provinces_on(on)
    if canonical in units:
        return units[canonical]
    tables = _tables()
    if canonical in tables.old:
        new_slug = tables.successors[canonical]
        raise ProvinceMerged(slug, new_slug, tables.new[new_slug].name, on)
    raise UnknownProvince(slug)
