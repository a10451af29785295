"""Booth allocation for one edition: optimal, deterministic and explained.

The objective
-------------
Choose a set A of (applicant a, booth b) pairs maximising

    sum over (a, b) in A of  w(a, b),
    w(a, b) = priority(a) * score(a, b) + K * [b is in current[a]]

subject to:

- each booth goes to at most one applicant;
- applicant a gets at most ``booths_wanted`` booths, and only eligible ones:
  a is in a quota group, the booth's kind is allowed to a (reserved kinds
  such as agency booths go to the organisation kinds they are reserved for,
  OCOP booths to OCOP-rated applicants, livestream and outdoor booths only to
  applicants who asked for that kind) and the booth has every feature a needs;
- each quota group g gets at most ``g.booths`` booths; each province at most
  its cap within its group; each organisation at most ``organisation_max``.

``priority(a)`` is the linear function of ``PriorityWeights`` (OCOP stars,
cooperative, returning exhibitor, and a small earliness term that breaks ties
in favour of earlier submissions).  ``score(a, b)`` is
``preference_scores[r]`` where r is the rank of the first preference of a that
b matches (by booth code, zone or kind), or ``unranked_score`` (> 0) if none
does: any eligible booth is better than none.  So the optimum fills every
booth it can, then prefers higher priorities and better-ranked wishes.

Partial allocations are allowed: each booth wanted is a separate unit, and an
applicant asking for three may get two (its explanation says ``partial`` and
why).  All-or-nothing would make the problem NP-hard in general for little
gain: organisers cut requests down all the time.

Stability: ``current`` maps applicants to the booths they hold from an earlier
run, and K (``PriorityWeights.keep_bonus``) is added for each booth kept.  By
default K = 2 * max_a priority(a) * preference_scores[0] + 1.  With that K, if
the current allocation is still feasible (booths still in the plan and
eligible, quotas not lowered below it), the optimum moves nobody: undoing a
move gains K and costs at most two other units of at most K/2 each (the booth's
new holder, and one unit to restore the quota the kept booth counts against).
Whoever is moved anyway is listed in ``moved``.  A smaller K trades stability
for preference.

The solver and the proof of optimality are in ``solver``; explanations in
``explain``.  Inputs are put in canonical order (applicants by id, booths by
code) first, so the answer does not depend on the order they were given in.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from booths.domain.explain import Explanation, Reason, explain_all
from booths.domain.floorplan import FloorPlan
from booths.domain.model import Application, Preference, PriorityWeights, QuotaGroup, QuotaRules
from booths.domain.scoring import Scoring
from booths.domain.solver import SolverInfo, solve

__all__ = [
    "Allocation",
    "Application",
    "Explanation",
    "Preference",
    "PriorityWeights",
    "QuotaGroup",
    "QuotaRules",
    "Reason",
    "SolverInfo",
    "allocate_booths",
]


@dataclass(frozen=True)
class Allocation:
    """``assignments`` has every applicant, with [] for those who got nothing; booth codes sorted."""

    assignments: dict[str, list[str]]
    explanations: dict[str, Explanation]
    objective: float
    moved: list[str]
    solver: SolverInfo
    duration_ms: float


def allocate_booths(
    plan: FloorPlan,
    quotas: QuotaRules,
    applications: Sequence[Application],
    priorities: PriorityWeights | None = None,
    current: Mapping[str, Sequence[str]] | None = None,
) -> Allocation:
    """The optimal allocation defined in this module's docstring."""
    started = time.perf_counter()
    apps = sorted(applications, key=lambda a: a.applicant_id)
    if len({a.applicant_id for a in apps}) != len(apps):
        raise ValueError("applicant ids must be unique")
    booths = sorted(plan.booths, key=lambda b: b.code)
    scoring = Scoring(plan, quotas, apps, priorities or PriorityWeights(), current)

    solved, info = solve(scoring, apps, booths)
    assignments = {a.applicant_id: sorted(solved.get(a.applicant_id, [])) for a in apps}
    by_code = plan.booth_by_code
    objective = sum(scoring.weight(a, by_code[c]) for a in apps for c in assignments[a.applicant_id])
    moved = sorted(a for a, held in scoring.current.items() if a in assignments and held - set(assignments[a]))
    return Allocation(
        assignments=assignments,
        explanations=explain_all(scoring, apps, assignments),
        objective=objective,
        moved=moved,
        solver=info,
        duration_ms=(time.perf_counter() - started) * 1000,
    )
