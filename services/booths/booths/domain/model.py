"""What booth allocation takes as input: applications, an edition's quota rules and priority weights.

Plain frozen dataclasses, validated on construction, so a bad configuration
fails where it is written rather than deep inside the solver.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from types import MappingProxyType

from booths.domain.floorplan import FEATURES

PREFERENCE_TYPES = ("booth", "zone", "kind")
OCOP_STARS = (3, 4, 5)


@dataclass(frozen=True)
class Preference:
    type: str  # "booth" | "zone" | "kind"
    value: str

    def __post_init__(self) -> None:
        if self.type not in PREFERENCE_TYPES:
            raise ValueError(f"preference type {self.type!r} is not one of {PREFERENCE_TYPES}")


@dataclass(frozen=True)
class Application:
    """An approved exhibitor's request for booths in one edition.

    ``applicant_id`` is the participation id.  ``submitted_at`` is ISO-8601 UTC
    text (``2024-07-01T08:00:00Z``), compared as text, which orders correctly
    for that one format.
    """

    applicant_id: str
    organisation_id: str
    organisation_kind: str
    province: str
    booths_wanted: int = 1
    preferences: tuple[Preference, ...] = ()
    needs: frozenset[str] = frozenset()
    ocop_stars: int | None = None
    returning: bool = False
    submitted_at: str = ""

    def __post_init__(self) -> None:
        if self.booths_wanted < 1:
            raise ValueError(f"{self.applicant_id}: booths_wanted must be at least 1")
        if self.ocop_stars is not None and self.ocop_stars not in OCOP_STARS:
            raise ValueError(f"{self.applicant_id}: ocop_stars must be None or one of {OCOP_STARS}")
        unknown = set(self.needs) - set(FEATURES)
        if unknown:
            raise ValueError(f"{self.applicant_id}: unknown needs {sorted(unknown)}")
        object.__setattr__(self, "preferences", tuple(self.preferences))
        object.__setattr__(self, "needs", frozenset(self.needs))


@dataclass(frozen=True)
class QuotaGroup:
    """A number of booths set aside for exhibitors from some provinces.

    ``provinces`` None makes this the catch-all group ("other provinces"): it
    takes every province no other group lists.  ``province_cap`` limits each
    province of the group; ``province_caps`` overrides it for named provinces.
    """

    name: str
    booths: int
    provinces: frozenset[str] | None = None
    province_cap: int | None = None
    province_caps: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.booths < 0 or (self.province_cap is not None and self.province_cap < 0):
            raise ValueError(f"quota group {self.name!r}: negative number of booths")
        if any(cap < 0 for cap in self.province_caps.values()):
            raise ValueError(f"quota group {self.name!r}: negative province cap")
        if self.provinces is not None:
            object.__setattr__(self, "provinces", frozenset(self.provinces))
        object.__setattr__(self, "province_caps", MappingProxyType(dict(self.province_caps)))

    def cap_for(self, province: str) -> int | None:
        return self.province_caps.get(province, self.province_cap)


def _frozen_kinds(mapping: Mapping[str, frozenset[str]]) -> Mapping[str, frozenset[str]]:
    return MappingProxyType({kind: frozenset(orgs) for kind, orgs in mapping.items()})


@dataclass(frozen=True)
class QuotaRules:
    """An edition's limits and booth-kind rules.

    - ``groups``: every applicant falls in the group listing its province, else
      in the catch-all group; an applicant in no group gets nothing.
    - ``organisation_max``: most booths one organisation may hold, over all its
      applications.
    - ``reserved_kinds``: booth kind -> the organisation kinds that may have it
      (agency booths for agencies).
    - ``ocop_kinds``: booth kinds only for applicants with an OCOP rating.
    - ``on_request_kinds``: booth kinds given only to applicants who asked for
      that kind, by a kind preference or by naming such a booth (nobody is sent
      outdoors or to a livestream stage by surprise).
    """

    groups: tuple[QuotaGroup, ...]
    organisation_max: int | None = None
    reserved_kinds: Mapping[str, frozenset[str]] = field(default_factory=lambda: {"agency": frozenset({"agency"})})
    ocop_kinds: frozenset[str] = frozenset({"ocop"})
    on_request_kinds: frozenset[str] = frozenset({"livestream", "outdoor"})

    def __post_init__(self) -> None:
        object.__setattr__(self, "groups", tuple(self.groups))
        names = [g.name for g in self.groups]
        if len(set(names)) != len(names):
            raise ValueError("quota group names must be unique")
        if sum(g.provinces is None for g in self.groups) > 1:
            raise ValueError("at most one catch-all quota group (provinces=None)")
        listed = [p for g in self.groups for p in (g.provinces or ())]
        if len(set(listed)) != len(listed):
            raise ValueError("a province may be listed by one quota group only")
        if self.organisation_max is not None and self.organisation_max < 0:
            raise ValueError("organisation_max must not be negative")
        object.__setattr__(self, "reserved_kinds", _frozen_kinds(self.reserved_kinds))

    @classmethod
    def host_and_others(
        cls,
        host_province: str,
        host_booths: int,
        other_booths: int,
        *,
        province_cap: int | None = None,
        organisation_max: int | None = None,
    ) -> QuotaRules:
        """The usual split, e.g. Thanh Hóa 2024: 36 booths for the host province, 46 for the others.

        ``province_cap`` applies to each province of the "others" group.
        """
        groups = (
            QuotaGroup("host", host_booths, frozenset({host_province})),
            QuotaGroup("others", other_booths, province_cap=province_cap),
        )
        return cls(groups, organisation_max=organisation_max)

    def group_for(self, province: str) -> QuotaGroup | None:
        catch_all = None
        for group in self.groups:
            if group.provinces is None:
                catch_all = group
            elif province in group.provinces:
                return group
        return catch_all


@dataclass(frozen=True)
class PriorityWeights:
    """How applicants and preferences are valued; see ``allocation`` for the objective.

    priority = base + per_ocop_star * stars + cooperative * [cooperative]
               + returning * [returning] + earliness * e,
    with e = 1 - rank / n, rank 0 for the earliest submission (ties by applicant id).
    Keep ``earliness`` small: it is meant as a tie-break.

    ``preference_scores[i]`` values a booth matching preference i (0-based)
    first; ranks past the end use the last score.  ``unranked_score`` values
    any other eligible booth, so that an applicant whose wishes are taken still
    gets a booth.  ``keep_bonus`` is added for each booth an applicant already
    holds (the ``current`` allocation); None picks a bonus that makes keeping
    strictly better than any move (see ``allocation``).
    """

    base: float = 1.0
    per_ocop_star: float = 0.1
    cooperative: float = 0.2
    returning: float = 0.2
    earliness: float = 0.01
    preference_scores: tuple[float, ...] = (10.0, 8.0, 6.0, 4.0, 2.0)
    unranked_score: float = 1.0
    keep_bonus: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "preference_scores", tuple(self.preference_scores))
        terms = (self.per_ocop_star, self.cooperative, self.returning, self.earliness)
        if self.base <= 0 or any(t < 0 for t in terms):
            raise ValueError("priority weights: base must be > 0 and the other terms >= 0")
        scores = (*self.preference_scores, self.unranked_score)
        if self.unranked_score <= 0 or any(a < b for a, b in pairwise(scores)):
            raise ValueError("preference scores must not increase with rank and stay above 0")
        if self.keep_bonus is not None and self.keep_bonus < 0:
            raise ValueError("keep_bonus must not be negative")

    def preference_score(self, rank: int | None) -> float:
        """Score of a booth whose first matching preference has 0-based ``rank`` (None: none matches)."""
        if rank is None or not self.preference_scores:
            return self.unranked_score
        return self.preference_scores[min(rank, len(self.preference_scores) - 1)]
