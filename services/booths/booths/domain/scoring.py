"""Who may have which booth, and how much a given (applicant, booth) pair is worth.

This is the whole of the allocation objective at the level of one pair; the
solver only adds the pairs up under the quotas.  Kept apart from the solver so
that tests, the explanations and the benchmark's reference solvers all value a
pair the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from booths.domain.floorplan import Booth, FloorPlan
from booths.domain.model import Application, PriorityWeights, QuotaGroup, QuotaRules

# Why an applicant may not have a booth kind (see ``Scoring.kind_refusal``).
RESERVED = "reserved"
OCOP_ONLY = "ocop_only"
ON_REQUEST = "on_request"

_MATCHED_FIELD = {"booth": "code", "zone": "zone", "kind": "kind"}  # preference type -> Booth field


def priorities(applications: Iterable[Application], weights: PriorityWeights) -> dict[str, float]:
    """Each applicant's priority: the linear function documented on ``PriorityWeights``."""
    order = sorted(applications, key=lambda a: (a.submitted_at, a.applicant_id))
    result = {}
    for rank, a in enumerate(order):
        result[a.applicant_id] = (
            weights.base
            + weights.per_ocop_star * (a.ocop_stars or 0)
            + weights.cooperative * (a.organisation_kind == "cooperative")
            + weights.returning * a.returning
            + weights.earliness * (1 - rank / len(order))
        )
    return result


class Scoring:
    """Eligibility and pair weights for one allocation run."""

    def __init__(
        self,
        plan: FloorPlan,
        quotas: QuotaRules,
        applications: list[Application],
        weights: PriorityWeights,
        current: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        self.plan = plan
        self.quotas = quotas
        self.weights = weights
        self.priority = priorities(applications, weights)
        self.group: dict[str, QuotaGroup | None] = {a.applicant_id: quotas.group_for(a.province) for a in applications}
        self.current = {a: frozenset(codes) for a, codes in (current or {}).items()}
        plan_kinds = sorted({b.kind for b in plan.booths})
        self.kinds = {
            a.applicant_id: frozenset(k for k in plan_kinds if self.kind_refusal(a, k) is None) for a in applications
        }
        top = max(self.priority.values(), default=0.0) * weights.preference_score(0)
        self.keep_bonus = 2 * top + 1 if weights.keep_bonus is None else weights.keep_bonus

    def asked_kinds(self, app: Application) -> set[str]:
        asked = {p.value for p in app.preferences if p.type == "kind"}
        booths = self.plan.booth_by_code
        asked.update(booths[p.value].kind for p in app.preferences if p.type == "booth" and p.value in booths)
        return asked

    def kind_refusal(self, app: Application, kind: str) -> str | None:
        """Why ``app`` may not have a booth of ``kind`` (RESERVED, OCOP_ONLY, ON_REQUEST), or None."""
        allowed = self.quotas.reserved_kinds.get(kind)
        if allowed is not None and app.organisation_kind not in allowed:
            return RESERVED
        if kind in self.quotas.ocop_kinds and app.ocop_stars is None:
            return OCOP_ONLY
        if kind in self.quotas.on_request_kinds and kind not in self.asked_kinds(app):
            return ON_REQUEST
        return None

    def eligible(self, app: Application, booth: Booth) -> bool:
        """In a quota group, an allowed kind, and every need met."""
        return (
            self.group[app.applicant_id] is not None
            and booth.kind in self.kinds[app.applicant_id]
            and app.needs <= booth.features
        )

    @staticmethod
    def rank(app: Application, booth: Booth) -> int | None:
        """0-based rank of the first preference the booth matches, None if it matches none."""
        for rank, p in enumerate(app.preferences):
            if p.value == getattr(booth, _MATCHED_FIELD[p.type]):
                return rank
        return None

    def base_weight(self, app: Application, booth: Booth) -> float:
        """priority × preference score: the pair's worth before any keep bonus."""
        return self.priority[app.applicant_id] * self.weights.preference_score(self.rank(app, booth))

    def keeps(self, app: Application, booth: Booth) -> bool:
        return booth.code in self.current.get(app.applicant_id, ())

    def weight(self, app: Application, booth: Booth) -> float:
        """The pair's term in the objective; only meaningful for eligible pairs."""
        return self.base_weight(app, booth) + self.keep_bonus * self.keeps(app, booth)
