"""Vietnam's provincial-level units before and after the 2025-07-01 reorganisation.

Editions held before the merger name the 63 old units; editions on or after it must use the
34 new ones, and cross-edition reports roll old units up into their 2025 successor so that
"Quảng Bình 2024" and "Quảng Trị 2025" add up. The data ships as
``vn-provinces-2025.json`` next to this module and is loaded once.

The data names every unit in Vietnamese only. The English name is the same name without
diacritics ("Quảng Trị" -> "Quang Tri", "Đắk Lắk" -> "Dak Lak"), the form Vietnam's
government uses in English; the one exception is Hồ Chí Minh, whose bare name in English is
the person: the city is "Ho Chi Minh City".
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
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

# "Đ" is a letter of its own, not "D" plus a mark, so NFD leaves it alone
_STROKE_D = str.maketrans({"Đ": "D", "đ": "d"})
_ENGLISH_EXCEPTIONS = {"Hồ Chí Minh": "Ho Chi Minh City"}


@dataclass(frozen=True)
class Province:
    slug: str
    name: str
    kind: str  # "province" | "city" (centrally-run city)

    @property
    def name_en(self) -> str:
        """The name in English (see the module's docstring)."""
        if self.name in _ENGLISH_EXCEPTIONS:
            return _ENGLISH_EXCEPTIONS[self.name]
        decomposed = unicodedata.normalize("NFD", self.name.translate(_STROKE_D))
        return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True)
class Listed:
    """A unit as listed for a day, with the days the registry accepts it and its place in the merger.

    ``valid_from`` and ``valid_to`` are the first and last day (both inclusive) on which this
    slug names this unit; None where the registry sets no bound (it does not say since when the
    63 units existed). ``successor`` is the 2025 unit a pre-merger unit went into; ``merged_from``
    are the pre-merger units a 2025 unit was formed from (empty before the merger).
    """

    province: Province
    valid_from: date | None
    valid_to: date | None
    successor: Province | None
    merged_from: tuple[Province, ...]


class UnknownProvince(Exception):
    """The slug is in neither the pre- nor the post-2025-07-01 list."""

    def __init__(self, slug: str) -> None:
        super().__init__(f"unknown province: {slug!r}")
        self.slug = slug


class ProvinceMerged(Exception):
    """A pre-merger unit was named for a date on or after the merger."""

    def __init__(self, slug: str, successor_slug: str, successor_name: str, on: date) -> None:
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
    formed_from: dict[str, tuple[str, ...]]  # new slug -> old slugs, in the data's order


@cache
def _tables() -> _Tables:
    raw = json.loads(_DATA_FILE.read_text(encoding="utf-8"))
    if date.fromisoformat(raw["effective_date"]) != MERGER_DATE:
        raise RuntimeError(f"{_DATA_FILE.name}: effective_date does not match MERGER_DATE")
    old = {u["slug"]: Province(u["slug"], u["name"], u["kind"]) for u in raw["before_2025_07_01"]}
    new = {u["slug"]: Province(u["slug"], u["name"], u["kind"]) for u in raw["from_2025_07_01"]}
    successors = {u["slug"]: u["successor"] for u in raw["before_2025_07_01"]}
    formed_from = {u["slug"]: tuple(u["formed_from"]) for u in raw["from_2025_07_01"]}
    if {(o, n) for n, olds in formed_from.items() for o in olds} != set(successors.items()):
        raise RuntimeError(f"{_DATA_FILE.name}: formed_from and successor disagree")
    successors.update({slug: slug for slug in new})
    return _Tables(old=old, new=new, successors=successors, formed_from=formed_from)


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


def listed_on(day: date) -> list[Listed]:
    """The units that existed on ``day`` (see ``provinces_on``), by slug, each with its validity and its
    place in the merger: what a form dated ``day`` may name, and what it becomes or came from."""
    tables = _tables()
    if day >= MERGER_DATE:
        return [
            Listed(unit, MERGER_DATE, None, None, tuple(tables.old[o] for o in tables.formed_from[slug]))
            for slug, unit in sorted(tables.new.items())
        ]
    last_day = MERGER_DATE - timedelta(days=1)
    listed = []
    for slug, unit in sorted(provinces_on(day).items()):
        valid_from, valid_to = None, last_day
        if slug == _HUE:  # Thừa Thiên Huế, then the city of Huế: one slug, two units
            valid_from, valid_to = (
                (None, HUE_CITY_DATE - timedelta(days=1)) if day < HUE_CITY_DATE else (HUE_CITY_DATE, last_day)
            )
        listed.append(Listed(unit, valid_from, valid_to, tables.new[tables.successors[slug]], ()))
    return listed


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
