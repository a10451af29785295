"""Booth allocation: speed and optimality of ``allocate_booths``, against an exact reference and a greedy baseline.

Instances (fixed seeds, so every run measures the same problems):

- Thanh Hóa 2024: 82 booths, 36 for the host province and 46 for the others,
  150 applications.  Target: the exact optimum in < 50 ms.
- A medium one (300 booths / 1,000 applications), large enough to matter and
  small enough for the reference to finish.
- A large one: 2,000 booths / 8,000 applications.  Target: < 2 s.

The reference solves the same allocation with a different formulation: one
binary variable per eligible (applicant, booth) pair, weighted by the same
``Scoring.weight``, as a HiGHS integer program with a zero gap and a time
limit.  Where it finishes, its optimum is the exact one and the gap must be 0.
Above ``REFERENCE_MAX_PAIRS`` the pair model is not even built (it would take
minutes and gigabytes); the run says so.

The greedy baseline takes applicants by priority, each grabbing its best free
eligible booths within the quotas: what one would write by hand.  Its objective
and time are printed as ratios to the solver's, measured in the same run.

Missed targets are printed as MISSED; the exit code stays 0 because this is a
measurement, not a test.  Run: ``PYTHONPATH=.:services/booths python -m bench.booth_allocation``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import Counter
from dataclasses import dataclass

import highspy
import numpy as np

from booths.domain.allocation import (
    Application,
    Preference,
    PriorityWeights,
    QuotaGroup,
    QuotaRules,
    allocate_booths,
)
from booths.domain.floorplan import Booth, FloorPlan, Hall, Zone
from booths.domain.scoring import Scoring

REFERENCE_MAX_PAIRS = 2_000_000
REFERENCE_TIME_LIMIT_S = 120.0
EXACT = 1e-9  # relative gap that counts as the same optimum (float sums of the same weights)

HOST = "thanh-hoa"
NORTHERN = (
    "ha-noi",
    "hai-phong",
    "nghe-an",
    "ha-tinh",
    "ninh-binh",
    "nam-dinh",
    "thai-binh",
    "hoa-binh",
    "son-la",
    "lao-cai",
    "yen-bai",
    "phu-tho",
    "bac-ninh",
    "bac-giang",
    "quang-ninh",
    "hung-yen",
    "hai-duong",
    "ha-nam",
    "vinh-phuc",
    "thai-nguyen",
    "tuyen-quang",
    "lang-son",
    "cao-bang",
    "dien-bien",
)
ORG_KINDS = ("enterprise",) * 6 + ("cooperative",) * 3 + ("association", "household_business", "agency")
BOOTH_KINDS = ("standard",) * 14 + ("ocop",) * 3 + ("agency", "livestream", "outdoor")
FEATURE_ODDS = (("power", 0.6), ("water", 0.2), ("corner", 0.1), ("storage", 0.15))
NEED_ODDS = (("power", 0.3), ("water", 0.05))


@dataclass(frozen=True)
class Instance:
    name: str
    plan: FloorPlan
    quotas: QuotaRules
    applications: list[Application]
    target_ms: float | None  # None: no time target, measured for the optimality check


def make_plan(rng: random.Random, booths: int, zones: int) -> FloorPlan:
    halls = (Hall("H1", "Nhà thi đấu"), Hall("H2", "Sân ngoài"))
    zone_list = tuple(Zone(f"Z{i:02d}", "H1" if i % 4 else "H2") for i in range(zones))
    plan_booths = []
    for i in range(booths):
        zone = zone_list[i % zones]
        features = frozenset(f for f, odds in FEATURE_ODDS if rng.random() < odds)
        row, col = divmod(i // zones, 10)
        plan_booths.append(
            Booth(
                code=f"{zone.code}-{i // zones + 1:03d}",
                zone=zone.code,
                kind=rng.choice(BOOTH_KINDS),
                features=features,
                price_vnd=rng.choice((None, 6_000_000, 12_000_000)),
                x=col * 3.0,
                y=row * 3.0,
            )
        )
    return FloorPlan(halls, zone_list, tuple(plan_booths))


def make_applications(rng: random.Random, plan: FloorPlan, count: int, host_share: float) -> list[Application]:
    codes = [b.code for b in plan.booths]
    zones = [z.code for z in plan.zones]
    organisations = max(1, count * 9 // 10)  # a few organisations apply twice
    apps = []
    for i in range(count):
        org = rng.randrange(organisations)
        org_rng = random.Random(org)  # an organisation has one kind and one province
        province = HOST if org_rng.random() < host_share else org_rng.choice(NORTHERN)
        preferences = []
        for _ in range(rng.choice((1, 2, 3, 3, 4))):
            roll = rng.random()
            if roll < 0.4:
                preferences.append(Preference("booth", rng.choice(codes)))
            elif roll < 0.8:
                preferences.append(Preference("zone", rng.choice(zones)))
            else:
                preferences.append(Preference("kind", rng.choice(("standard", "ocop", "livestream", "outdoor"))))
        apps.append(
            Application(
                applicant_id=f"p{i:05d}",
                organisation_id=f"o{org:05d}",
                organisation_kind=org_rng.choice(ORG_KINDS),
                province=province,
                booths_wanted=rng.choice((1, 1, 1, 2, 2, 3)),
                preferences=tuple(preferences),
                needs=frozenset(f for f, odds in NEED_ODDS if rng.random() < odds),
                ocop_stars=rng.choice((None, None, 3, 4, 5)),
                returning=rng.random() < 0.3,
                submitted_at=f"2024-07-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
            )
        )
    return apps


def thanh_hoa(seed: int) -> Instance:
    rng = random.Random(seed)
    plan = make_plan(rng, 82, 6)
    quotas = QuotaRules.host_and_others(HOST, 36, 46, province_cap=6, organisation_max=2)
    return Instance(
        "Thanh Hóa 2024: 82 booths (36 host / 46 others), 150 applications",
        plan,
        quotas,
        make_applications(rng, plan, 150, 0.45),
        50.0,
    )


def sized(seed: int, booths: int, applications: int, target_ms: float | None) -> Instance:
    rng = random.Random(seed)
    plan = make_plan(rng, booths, max(6, booths // 100))
    host = booths * 2 // 5
    quotas = QuotaRules(
        (QuotaGroup("host", host, frozenset({HOST})), QuotaGroup("others", booths - host, province_cap=booths // 20)),
        organisation_max=3,
    )
    return Instance(
        f"{booths:,} booths, {applications:,} applications",
        plan,
        quotas,
        make_applications(rng, plan, applications, 0.3),
        target_ms,
    )


# -- the exact reference: one binary per eligible pair ----------------------------------------------


def reference_optimum(instance: Instance) -> tuple[float | None, str]:
    """(optimum, note) from the pair formulation, or (None, why not)."""
    apps = sorted(instance.applications, key=lambda a: a.applicant_id)
    scoring = Scoring(instance.plan, instance.quotas, apps, PriorityWeights())
    booths = sorted(instance.plan.booths, key=lambda b: b.code)
    profiles = Counter(
        (a.needs, scoring.kinds[a.applicant_id], scoring.group[a.applicant_id] is not None) for a in apps
    )
    pairs_estimate = sum(
        n * sum(1 for b in booths if group and b.kind in kinds and needs <= b.features)
        for (needs, kinds, group), n in profiles.items()
    )
    if pairs_estimate > REFERENCE_MAX_PAIRS:
        return None, f"not built: {pairs_estimate:,} pairs > {REFERENCE_MAX_PAIRS:,}"
    started = time.perf_counter()
    booth_row = {b.code: i for i, b in enumerate(booths)}
    upper = [1.0] * len(booths)
    caps: dict[tuple[str, ...], int] = {}
    starts, index, values, weights = [0], [], [], []
    for app in apps:
        group = scoring.group[app.applicant_id]
        if group is None:
            continue
        upper.append(float(app.booths_wanted))
        rows = [len(upper) - 1]
        keys = [(("g", group.name), group.booths)]
        if group.cap_for(app.province) is not None:
            keys.append((("p", group.name, app.province), group.cap_for(app.province)))
        if instance.quotas.organisation_max is not None:
            keys.append((("o", app.organisation_id), instance.quotas.organisation_max))
        for key, cap in keys:
            if key not in caps:
                upper.append(float(cap))
                caps[key] = len(upper) - 1
            rows.append(caps[key])
        for b in booths:
            if scoring.eligible(app, b):
                weights.append(scoring.weight(app, b))
                column = sorted([booth_row[b.code], *rows])
                index.extend(column)
                values.extend([1.0] * len(column))
                starts.append(len(index))
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(weights), len(upper)
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = np.asarray(weights)
    lp.col_lower_, lp.col_upper_ = np.zeros(len(weights)), np.ones(len(weights))
    lp.row_lower_, lp.row_upper_ = np.full(len(upper), -highspy.kHighsInf), np.asarray(upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.asarray(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.asarray(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.asarray(values)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * len(weights)
    h = highspy.Highs()
    for option, value in (
        ("output_flag", False),
        ("mip_rel_gap", 0.0),
        ("mip_abs_gap", 0.0),
        ("time_limit", REFERENCE_TIME_LIMIT_S),
    ):
        h.setOptionValue(option, value)
    h.passModel(lp)
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    seconds = time.perf_counter() - started
    if status != "Optimal":
        return None, f"{status} after {seconds:.1f} s ({len(weights):,} pairs)"
    return h.getInfo().objective_function_value, f"pair MILP, {len(weights):,} pairs, {seconds:.1f} s"


# -- the greedy baseline --------------------------------------------------------------------------


def greedy(instance: Instance) -> float:
    """Objective of first-come-by-priority: each applicant takes its best free booths within the quotas."""
    apps = sorted(instance.applications, key=lambda a: a.applicant_id)
    scoring = Scoring(instance.plan, instance.quotas, apps, PriorityWeights())
    booths = sorted(instance.plan.booths, key=lambda b: b.code)
    by_code = instance.plan.booth_by_code
    taken: set[str] = set()
    used: Counter[tuple[str, ...]] = Counter()
    pools: dict[tuple[object, ...], list[Booth]] = {}
    cursor: dict[tuple[object, ...], int] = {}
    objective = 0.0

    def first_free(app: Application, key: tuple[str, ...]) -> Booth | None:
        """First free booth ``app`` may have among those of a zone or kind (``key``), or any (``("any",)``)."""
        full = (*key, app.needs, scoring.kinds[app.applicant_id])
        if full not in pools:
            matches = booths if key == ("any",) else [b for b in booths if getattr(b, key[0]) == key[1]]
            pools[full] = [b for b in matches if scoring.eligible(app, b)]
            cursor[full] = 0
        pool = pools[full]
        while cursor[full] < len(pool) and pool[cursor[full]].code in taken:
            cursor[full] += 1
        return pool[cursor[full]] if cursor[full] < len(pool) else None

    for app in sorted(apps, key=lambda a: (-scoring.priority[a.applicant_id], a.applicant_id)):
        group = scoring.group[app.applicant_id]
        if group is None:
            continue
        keys = [("g", group.name), ("p", group.name, app.province), ("o", app.organisation_id)]
        caps = [group.booths, group.cap_for(app.province), instance.quotas.organisation_max]
        for _ in range(app.booths_wanted):
            if any(cap is not None and used[key] >= cap for key, cap in zip(keys, caps, strict=True)):
                break
            choice = None
            for p in app.preferences:
                if p.type == "booth":
                    b = by_code.get(p.value)
                    choice = b if b and b.code not in taken and scoring.eligible(app, b) else None
                else:
                    choice = first_free(app, (p.type, p.value))
                if choice is not None:
                    break
            choice = choice or first_free(app, ("any",))
            if choice is None:
                break
            taken.add(choice.code)
            used.update(keys)
            objective += scoring.weight(app, choice)
    return objective


# -- the run --------------------------------------------------------------------------------------


def measure(instance: Instance, repeats: int) -> None:
    print(f"\n== {instance.name}")
    durations, result = [], None
    for _ in range(repeats):
        result = allocate_booths(instance.plan, instance.quotas, instance.applications, PriorityWeights())
        durations.append(result.duration_ms)
    assert result is not None
    median_ms = statistics.median(durations)
    statuses = Counter(e.status for e in result.explanations.values())
    info = result.solver
    print(f"solver: {info.name}; {info.columns:,} columns, {info.rows:,} rows, {info.iterations:,} iterations")
    allocated = sum(len(v) for v in result.assignments.values())
    print(
        f"allocate_booths: median {median_ms:.1f} ms of {repeats} (min {min(durations):.1f}, "
        f"max {max(durations):.1f}); objective {result.objective:.4f}; "
        f"booths allocated {allocated}; {dict(sorted(statuses.items()))}"
    )

    started = time.perf_counter()
    greedy_objective = greedy(instance)
    greedy_ms = (time.perf_counter() - started) * 1000
    print(
        f"greedy baseline: {greedy_ms:.1f} ms, objective {greedy_objective:.4f}; "
        f"objective ratio optimal/greedy {result.objective / greedy_objective:.4f}, "
        f"time ratio optimal/greedy {median_ms / greedy_ms:.2f}"
    )

    reference, note = reference_optimum(instance)
    if reference is None:
        print(f"exact reference: {note}")
        print(
            f"target exact optimum: not checked independently at this size; the solver's own proof: "
            f"{result.solver.status}, max dual infeasibility {result.solver.max_dual_infeasibility:.1e}"
        )
    else:
        gap = (reference - result.objective) / reference
        print(f"exact reference: {reference:.4f} ({note}); gap {gap:.2e}")
        print(f"target exact optimum: {'MET' if abs(gap) <= EXACT else 'MISSED'}")
    if instance.target_ms is not None:
        verdict = "MET" if median_ms < instance.target_ms else "MISSED"
        print(f"target < {instance.target_ms:.0f} ms: {verdict} ({median_ms:.1f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    for instance, repeats in (
        (thanh_hoa(args.seed), args.repeats * 4),
        (sized(args.seed, 300, 1000, None), args.repeats),
        (sized(args.seed, 2000, 8000, 2000.0), args.repeats),
    ):
        measure(instance, repeats)


if __name__ == "__main__":
    main()
