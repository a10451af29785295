"""Why each applicant got what it got, read off an optimal allocation.

Optimality is what makes these explanations true.  Every pair is worth more
than nothing, so an applicant short of booths is blocked by a full quota or
cap, or by every booth it may have being taken; and a taken booth is then
worth at least as much to its holder as it would be to this applicant (else
handing it over would improve the optimum).  That is what ``outranked`` and
``preference_taken`` report, with the holder's priority and pair weight.

Reason codes (``params`` in brackets):

- ``allocated`` (booth, rank: 1-based or None, preference, kept): one booth and
  the preference it matched.
- ``moved`` (lost, removed, ineligible): booths held before this run that the
  applicant no longer has; ``removed`` left the plan, ``ineligible`` no longer
  fit its kind or needs.
- ``no_quota_group`` (province): no quota group takes this province.
- ``quota_full`` (group, booths, lowest_priority_admitted).
- ``province_cap`` (group, province, cap).
- ``organisation_cap`` (organisation_id, cap).
- ``no_booth_of_kind`` (kinds): the plan has no booth of a kind it may have.
- ``need_not_met`` (needs): booths of its kinds exist, none with every need.
- ``not_enough_booths`` (eligible): it holds every booth it may have.
- ``outranked`` (priority, by: [{booth, applicant_id, priority, weight, own_weight}]):
  no quota or cap binds, but every booth it may have is taken, each by a pair
  worth at least as much (weight >= own_weight).
- ``preference_not_eligible`` (rank, preference, cause: unknown | reserved |
  ocop_only | need_not_met): a wish that could not be met for this applicant.
- ``preference_taken`` (rank, preference, by): every booth matching a wish
  better than what it got is held by others.
- ``kept_current`` (rank, preference): a booth matching a better wish is free,
  but the applicant keeps the booth it holds (stability bonus).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from booths.domain.floorplan import Booth
from booths.domain.model import Application, Preference
from booths.domain.scoring import Scoring

MAX_HOLDERS = 3
# Why an applicant has fewer booths than it wanted (optimality leaves one of these for every shortfall).
SHORTFALL_CODES = (
    "no_quota_group",
    "quota_full",
    "province_cap",
    "organisation_cap",
    "no_booth_of_kind",
    "need_not_met",
    "not_enough_booths",
    "outranked",
)
# Every code an explanation may carry, in the order of the list above.  The gateway's answer schema
# declares the same tuple (the services share no code); tests/contract/test_service_seam.py holds them equal.
REASON_CODES = (
    "allocated",
    "moved",
    *SHORTFALL_CODES,
    "preference_not_eligible",
    "preference_taken",
    "kept_current",
)


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """A new code is a change to the published answer: it must be listed (and so documented) first."""
        if self.code not in REASON_CODES:
            raise ValueError(f"unknown allocation reason {self.code!r}: add it to REASON_CODES and the list above")


@dataclass(frozen=True, slots=True)
class Explanation:
    status: str  # "allocated" | "partial" | "unallocated"
    booths: tuple[str, ...]
    booths_wanted: int
    priority: float
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class _Pool:
    """The booths an applicant profile may have among some set (a zone, a kind, all), and how many are free."""

    booths: list[Booth]
    free: int


def _wish(p: Preference) -> dict[str, str]:
    return {"type": p.type, "value": p.value}


def _round(value: float) -> float:
    return round(value, 6)


class _Explainer:
    """Counts, holders and pools of one allocation, shared by all its explanations."""

    def __init__(self, scoring: Scoring, applications: list[Application], assignments: dict[str, list[str]]) -> None:
        self.scoring = scoring
        self.apps = {a.applicant_id: a for a in applications}
        self.assignments = assignments
        self.booths = sorted(scoring.plan.booths, key=lambda b: b.code)
        self.holder = {code: a for a, codes in assignments.items() for code in codes}
        self.used: Counter[tuple[str, ...]] = Counter()
        self.lowest: dict[str, float] = {}
        for app_id, codes in assignments.items():
            app = self.apps[app_id]
            group = scoring.group[app_id]
            if group is None or not codes:
                continue
            self.used[("group", group.name)] += len(codes)
            self.used[("province", group.name, app.province)] += len(codes)
            self.used[("organisation", app.organisation_id)] += len(codes)
            self.lowest[group.name] = min(self.lowest.get(group.name, float("inf")), scoring.priority[app_id])
        self._pools: dict[tuple[object, ...], _Pool] = {}
        self._holder_weight: dict[str, float] = {}
        self.priority = {a: _round(p) for a, p in scoring.priority.items()}
        self.by_zone: dict[str, list[Booth]] = defaultdict(list)
        self.by_kind: dict[str, list[Booth]] = defaultdict(list)
        for b in self.booths:
            self.by_zone[b.zone].append(b)
            self.by_kind[b.kind].append(b)

    # -- pools of eligible booths, shared by applicants of one profile -----------------------------

    def _pool(self, app: Application, key: tuple[object, ...], booths: list[Booth]) -> _Pool:
        profile = (app.needs, self.scoring.kinds[app.applicant_id], self.scoring.group[app.applicant_id] is not None)
        full_key = (*key, profile)
        if full_key not in self._pools:
            eligible = [b for b in booths if self.scoring.eligible(app, b)]
            self._pools[full_key] = _Pool(eligible, sum(b.code not in self.holder for b in eligible))
        return self._pools[full_key]

    def eligible(self, app: Application) -> _Pool:
        return self._pool(app, ("all",), self.booths)

    def matching(self, app: Application, p: Preference) -> _Pool:
        if p.type == "booth":
            booth = self.scoring.plan.booth_by_code.get(p.value)
            return self._pool(app, ("booth", p.value), [] if booth is None else [booth])
        source = self.by_zone if p.type == "zone" else self.by_kind
        return self._pool(app, (p.type, p.value), source.get(p.value, []))

    def held_by_others(
        self, app: Application, pool: _Pool, limit: int, skip: frozenset[str] | set[str] = frozenset()
    ) -> list[dict[str, Any]]:
        """Up to ``limit`` booths of ``pool`` held by other applicants (not in ``skip``), described."""
        found = []
        for b in pool.booths:
            other = self.holder.get(b.code)
            if other is not None and other != app.applicant_id and b.code not in skip:
                found.append(self._holding(app, b, self.apps[other]))
                if len(found) == limit:
                    break
        return found

    def _holding(self, app: Application, booth: Booth, other: Application) -> dict[str, Any]:
        if booth.code not in self._holder_weight:
            self._holder_weight[booth.code] = _round(self.scoring.weight(other, booth))
        return {
            "booth": booth.code,
            "applicant_id": other.applicant_id,
            "priority": self.priority[other.applicant_id],
            "weight": self._holder_weight[booth.code],
            "own_weight": _round(self.scoring.weight(app, booth)),
        }

    # -- the explanation --------------------------------------------------------------------------

    def explain(self, app: Application) -> Explanation:
        codes = self.assignments.get(app.applicant_id, [])
        wishes = _Wishes(self, app)
        reasons = [self._allocated(app, code) for code in codes]
        reasons += self._moved(app, codes)
        if len(codes) < app.booths_wanted:
            reasons += self._shortfall(app, wishes)
        ranks = [self.scoring.rank(app, self.scoring.plan.booth_by_code[c]) for c in codes]
        best = min((r for r in ranks if r is not None), default=len(app.preferences))
        if self.scoring.group[app.applicant_id] is not None:
            reasons += [r for rank in range(best) if (r := self._preference(app, rank, codes, wishes)) is not None]
        status = "allocated" if len(codes) >= app.booths_wanted else "partial" if codes else "unallocated"
        return Explanation(status, tuple(codes), app.booths_wanted, self.priority[app.applicant_id], tuple(reasons))

    def _allocated(self, app: Application, code: str) -> Reason:
        booth = self.scoring.plan.booth_by_code[code]
        rank = self.scoring.rank(app, booth)
        kept = self.scoring.keeps(app, booth)
        if rank is None:
            how = "no preference matched; an eligible booth was better than none"
        else:
            p = app.preferences[rank]
            how = f"matches preference {rank + 1} ({p.type} {p.value})"
        return Reason(
            "allocated",
            f"booth {code}: {how}" + ("; kept from the current allocation" if kept else ""),
            {
                "booth": code,
                "rank": None if rank is None else rank + 1,
                "preference": None if rank is None else _wish(app.preferences[rank]),
                "kept": kept,
            },
        )

    def _moved(self, app: Application, codes: list[str]) -> list[Reason]:
        lost = sorted(self.scoring.current.get(app.applicant_id, frozenset()) - set(codes))
        if not lost:
            return []
        plan = self.scoring.plan.booth_by_code
        removed = [c for c in lost if c not in plan]
        ineligible = [c for c in lost if c in plan and not self.scoring.eligible(app, plan[c])]
        return [
            Reason(
                "moved",
                f"no longer holds {', '.join(lost)}",
                {"lost": lost, "removed": removed, "ineligible": ineligible},
            )
        ]

    def _shortfall(self, app: Application, wishes: _Wishes) -> list[Reason]:
        """Why the applicant has fewer booths than it wanted: every constraint that binds."""
        scoring = self.scoring
        group = scoring.group[app.applicant_id]
        if group is None:
            message = f"no quota group takes province {app.province}"
            return [Reason("no_quota_group", message, {"province": app.province})]
        eligible = self.eligible(app)
        if not eligible.booths:
            return [self._no_eligible_booth(app)]
        reasons = []
        if self.used[("group", group.name)] >= group.booths:
            lowest = self.lowest.get(group.name)
            reasons.append(
                Reason(
                    "quota_full",
                    f"the {group.booths} booths of quota group {group.name!r} are all allocated",
                    {
                        "group": group.name,
                        "booths": group.booths,
                        "lowest_priority_admitted": None if lowest is None else _round(lowest),
                    },
                )
            )
        cap = group.cap_for(app.province)
        if cap is not None and self.used[("province", group.name, app.province)] >= cap:
            reasons.append(
                Reason(
                    "province_cap",
                    f"province {app.province} already has its {cap} booths in group {group.name!r}",
                    {"group": group.name, "province": app.province, "cap": cap},
                )
            )
        org_cap = scoring.quotas.organisation_max
        if org_cap is not None and self.used[("organisation", app.organisation_id)] >= org_cap:
            reasons.append(
                Reason(
                    "organisation_cap",
                    f"organisation {app.organisation_id} already has the maximum of {org_cap} booths",
                    {"organisation_id": app.organisation_id, "cap": org_cap},
                )
            )
        held = len(self.assignments.get(app.applicant_id, []))
        if held >= len(eligible.booths):
            reasons.append(
                Reason(
                    "not_enough_booths",
                    f"it already holds all {len(eligible.booths)} booths it may have",
                    {"eligible": len(eligible.booths)},
                )
            )
        elif eligible.free == 0 and not reasons:  # with a cap binding, the cap is the reason, not the holders
            reasons.append(self._outranked(app, len(eligible.booths) - held, wishes))
        return reasons

    def _no_eligible_booth(self, app: Application) -> Reason:
        kinds = sorted(self.scoring.kinds[app.applicant_id])
        if not kinds:
            return Reason("no_booth_of_kind", "the plan has no booth of a kind this applicant may have", {"kinds": []})
        needs = sorted(app.needs)
        return Reason(
            "need_not_met",
            f"no booth of kind {', '.join(kinds)} has all of: {', '.join(needs)}",
            {"needs": needs, "kinds": kinds},
        )

    def _outranked(self, app: Application, taken: int, wishes: _Wishes) -> Reason:
        """Holders of the booths it wanted most: one per preference, then any it may have."""
        by: dict[str, dict[str, Any]] = {}
        for rank in range(len(app.preferences)):
            fresh = [e for e in wishes.holders(rank) if e["booth"] not in by]
            if fresh and len(by) < MAX_HOLDERS:
                by[fresh[0]["booth"]] = fresh[0]
        if len(by) < MAX_HOLDERS:
            for entry in self.held_by_others(app, self.eligible(app), MAX_HOLDERS, skip=set(by)):
                by[entry["booth"]] = entry
                if len(by) == MAX_HOLDERS:
                    break
        return Reason(
            "outranked",
            f"all {taken} other booths it may have went to applicants whose pair is worth as much or more",
            {"priority": self.priority[app.applicant_id], "by": list(by.values())},
        )

    def _preference(self, app: Application, rank: int, codes: list[str], wishes: _Wishes) -> Reason | None:
        """Why preference ``rank`` (better than anything it got) was not met, if it tells anything."""
        p = app.preferences[rank]
        params: dict[str, Any] = {"rank": rank + 1, "preference": _wish(p)}
        label = f"preference {rank + 1} ({p.type} {p.value})"
        pool = wishes.pools[rank]
        if not pool.booths:
            params["cause"] = self._ineligible_cause(app, p)
            return Reason("preference_not_eligible", f"{label}: {params['cause']}", params)
        if not pool.free:
            params["by"] = wishes.holders(rank)
            return Reason("preference_taken", f"{label}: every matching booth is taken", params)
        if any(self.scoring.keeps(app, self.scoring.plan.booth_by_code[c]) for c in codes):
            return Reason("kept_current", f"{label}: a matching booth is free, but the current booth is kept", params)
        return None  # free but blocked by a quota or cap: the shortfall reasons already say so

    def _ineligible_cause(self, app: Application, p: Preference) -> str:
        plan = self.scoring.plan
        if p.type == "booth":
            booths = [plan.booth_by_code[p.value]] if p.value in plan.booth_by_code else []
        else:
            booths = self.by_zone.get(p.value, []) if p.type == "zone" else self.by_kind.get(p.value, [])
        if not booths:
            return "unknown"
        refusals = {self.scoring.kind_refusal(app, b.kind) for b in booths}
        if None in refusals:
            return "need_not_met"
        return sorted(r for r in refusals if r is not None)[0]


class _Wishes:
    """One applicant's preference pools and who holds them, each looked up once."""

    def __init__(self, explainer: _Explainer, app: Application) -> None:
        self.explainer = explainer
        self.app = app
        self.pools = [explainer.matching(app, p) for p in app.preferences]
        self._holders: dict[int, list[dict[str, Any]]] = {}

    def holders(self, rank: int) -> list[dict[str, Any]]:
        if rank not in self._holders:
            self._holders[rank] = self.explainer.held_by_others(self.app, self.pools[rank], MAX_HOLDERS)
        return self._holders[rank]


def explain_all(
    scoring: Scoring, applications: list[Application], assignments: dict[str, list[str]]
) -> dict[str, Explanation]:
    explainer = _Explainer(scoring, applications, assignments)
    return {a.applicant_id: explainer.explain(a) for a in applications}
