"""Suggesting whom a participant should meet, with the reasons a person can check.

A suggestion is only useful if both sides can see why: "they buy dried
seafood, which you sell" is something an organiser can defend, a bare score
is not.  So every point of the score comes with a reason.  Suppliers are only
matched with buyers and the other way round; nobody is suggested to
themselves, a pair that already met is not suggested again, and a province's
own agency is not a counterpart for a business of that province (it is the
host, not a buyer).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

SIDES = ("supplier", "buyer")
CATEGORY_POINTS = 3.0
MARKET_POINTS = 2.0
CERTIFICATION_POINTS = 2.0
SHARED_LANGUAGE_POINTS = 1.0
INTERPRETER_POINTS = 0.5


@dataclass(frozen=True)
class Profile:
    """A participant as matching sees it.  ``markets`` are a supplier's target export countries."""

    id: str
    side: str  # "supplier" | "buyer"
    organisation_kind: str = "enterprise"
    province: str = ""
    country: str = "VN"
    categories_offered: frozenset[str] = frozenset()
    categories_sought: frozenset[str] = frozenset()
    markets: frozenset[str] = frozenset()
    certifications_held: frozenset[str] = frozenset()
    certifications_required: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.side not in SIDES:
            raise ValueError(f"side {self.side!r} is not one of {SIDES}")


@dataclass(frozen=True)
class Suggestion:
    profile_id: str
    score: float
    reasons: tuple[str, ...]


def _pair(a: str, b: str) -> frozenset[str]:
    return frozenset((a, b))


def score(participant: Profile, other: Profile, interpreter_languages: Collection[str] = ()) -> Suggestion:
    """How well ``participant`` and ``other`` (opposite sides) fit, and why."""
    supplier, buyer = (participant, other) if participant.side == "supplier" else (other, participant)
    points, reasons = 0.0, []
    overlap = sorted(supplier.categories_offered & buyer.categories_sought)
    if overlap:
        points += CATEGORY_POINTS * len(overlap)
        reasons.append(f"categories: {', '.join(overlap)}")
    if buyer.country in supplier.markets:
        points += MARKET_POINTS
        reasons.append(f"target market: {buyer.country}")
    if buyer.certifications_required:
        held = buyer.certifications_required & supplier.certifications_held
        points += CERTIFICATION_POINTS * len(held) / len(buyer.certifications_required)
        missing = sorted(buyer.certifications_required - held)
        reasons.append(f"certifications missing: {', '.join(missing)}" if missing else "certifications: all held")
    shared = sorted(participant.languages & other.languages)
    if shared:
        points += SHARED_LANGUAGE_POINTS
        reasons.append(f"shared language: {', '.join(shared)}")
    else:
        bridge = sorted(set(interpreter_languages) & (participant.languages | other.languages))
        if bridge:
            points += INTERPRETER_POINTS
            reasons.append(f"interpreter available: {', '.join(bridge)}")
    return Suggestion(other.id, round(points, 6), tuple(reasons))


def suggest(
    participant: Profile,
    others: Iterable[Profile],
    met_pairs: Collection[tuple[str, str]] | Collection[frozenset[str]] = (),
    limit: int = 10,
    interpreter_languages: Collection[str] = (),
) -> list[Suggestion]:
    """The best ``limit`` counterparts for ``participant``, best first (ties by id), only those with a category fit.

    A counterpart with no category in common is never worth a meeting slot,
    however well the rest fits, so it is left out rather than ranked low.
    """
    met = {_pair(*p) for p in met_pairs}
    candidates = []
    for other in others:
        if other.id == participant.id or other.side == participant.side:
            continue
        if other.organisation_kind == "agency" and other.province == participant.province:
            continue
        if _pair(participant.id, other.id) in met:
            continue
        supplier, buyer = (participant, other) if participant.side == "supplier" else (other, participant)
        if not supplier.categories_offered & buyer.categories_sought:
            continue
        candidates.append(score(participant, other, interpreter_languages))
    candidates.sort(key=lambda s: (-s.score, s.profile_id))
    return candidates[:limit]
