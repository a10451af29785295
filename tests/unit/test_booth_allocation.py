import random
from collections import Counter
from dataclasses import replace

import pytest

from booths.domain.allocation import (
    Allocation,
    Application,
    Preference,
    PriorityWeights,
    QuotaGroup,
    QuotaRules,
    allocate_booths,
)
from booths.domain.explain import SHORTFALL_CODES
from booths.domain.floorplan import Booth, FloorPlan, Hall, Zone

HOST = "thanh-hoa"


def plan_of(*booths: Booth) -> FloorPlan:
    zones = sorted({b.zone for b in booths})
    return FloorPlan((Hall("H1"),), tuple(Zone(z, "H1") for z in zones), tuple(booths))


def booth(code: str, zone: str = "A", kind: str = "standard", features: str = "", x: float = 0.0) -> Booth:
    return Booth(code, zone, kind=kind, features=frozenset(f for f in features.split(",") if f), x=x)


def app(applicant_id: str, province: str = "ha-noi", *prefs: str, **fields) -> Application:
    """``prefs`` like "booth:A01", "zone:B", "kind:ocop"."""
    preferences = tuple(Preference(*p.split(":", 1)) for p in prefs)
    fields.setdefault("organisation_id", f"org-{applicant_id}")
    fields.setdefault("organisation_kind", "enterprise")
    fields.setdefault("submitted_at", "2024-07-01T00:00:00Z")
    return Application(applicant_id=applicant_id, province=province, preferences=preferences, **fields)


def everyone(booths: int) -> QuotaRules:
    return QuotaRules((QuotaGroup("all", booths),))


def codes(result: Allocation, reason_code: str) -> dict[str, list[dict]]:
    """Applicant -> params of its reasons with ``reason_code``."""
    found: dict[str, list[dict]] = {}
    for applicant, explanation in result.explanations.items():
        for reason in explanation.reasons:
            if reason.code == reason_code:
                found.setdefault(applicant, []).append(reason.params)
    return found


# -- an independent statement of the objective, and brute force over it ----------------------------


class Reference:
    """The objective of ``booths.domain.allocation``'s docstring, written again from scratch."""

    def __init__(self, plan, quotas, apps, weights, current):
        self.plan, self.quotas, self.weights, self.current = plan, quotas, weights, current or {}
        order = sorted(apps, key=lambda a: (a.submitted_at, a.applicant_id))
        self.priority = {
            a.applicant_id: weights.base
            + weights.per_ocop_star * (a.ocop_stars or 0)
            + (weights.cooperative if a.organisation_kind == "cooperative" else 0)
            + (weights.returning if a.returning else 0)
            + weights.earliness * (1 - i / len(order))
            for i, a in enumerate(order)
        }
        top = max(self.priority.values()) * weights.preference_scores[0]
        self.keep = 2 * top + 1 if weights.keep_bonus is None else weights.keep_bonus

    def group(self, a):
        listed = [g for g in self.quotas.groups if g.provinces is not None and a.province in g.provinces]
        rest = [g for g in self.quotas.groups if g.provinces is None]
        return (listed or rest or [None])[0]

    def eligible(self, a, b):
        if self.group(a) is None or not a.needs <= b.features:
            return False
        if b.kind in self.quotas.reserved_kinds and a.organisation_kind not in self.quotas.reserved_kinds[b.kind]:
            return False
        if b.kind in self.quotas.ocop_kinds and a.ocop_stars is None:
            return False
        if b.kind in self.quotas.on_request_kinds:
            named = {
                self.plan.booth_by_code[p.value].kind
                for p in a.preferences
                if p.type == "booth" and p.value in self.plan.booth_by_code
            }
            return b.kind in named or any(p.type == "kind" and p.value == b.kind for p in a.preferences)
        return True

    def weight(self, a, b):
        score = self.weights.unranked_score
        for rank, p in enumerate(a.preferences):
            if (p.type, p.value) in {("booth", b.code), ("zone", b.zone), ("kind", b.kind)}:
                scores = self.weights.preference_scores
                score = scores[min(rank, len(scores) - 1)]
                break
        keep = self.keep if b.code in self.current.get(a.applicant_id, ()) else 0.0
        return self.priority[a.applicant_id] * score + keep

    def limits(self, a):
        """(key, cap) pairs the applicant's booths count against."""
        g = self.group(a)
        limits = [(("a", a.applicant_id), a.booths_wanted), (("g", g.name), g.booths)]
        cap = g.province_caps.get(a.province, g.province_cap)
        if cap is not None:
            limits.append((("p", g.name, a.province), cap))
        if self.quotas.organisation_max is not None:
            limits.append((("o", a.organisation_id), self.quotas.organisation_max))
        return limits

    def feasible(self, assignments, apps):
        by_id = {a.applicant_id: a for a in apps}
        used = Counter()
        holders = Counter(c for cs in assignments.values() for c in cs)
        if any(n > 1 for n in holders.values()):
            return False
        for applicant, cs in assignments.items():
            a = by_id[applicant]
            if any(not self.eligible(a, self.plan.booth_by_code[c]) for c in cs):
                return False
            for key, _ in self.limits(a) if cs else ():
                used[key] += len(cs)
        return all(used[k] <= cap for a in apps for k, cap in (self.limits(a) if self.group(a) else ()))

    def value(self, assignments, apps):
        by_id = {a.applicant_id: a for a in apps}
        return sum(self.weight(by_id[a], self.plan.booth_by_code[c]) for a, cs in assignments.items() for c in cs)

    def brute_force(self, apps):
        booths = list(self.plan.booths)
        options = [[None] + [a for a in apps if self.eligible(a, b)] for b in booths]
        used = Counter()
        best = [0.0]

        def go(i, total):
            if i == len(booths):
                best[0] = max(best[0], total)
                return
            for a in options[i]:
                if a is None:
                    go(i + 1, total)
                    continue
                limits = self.limits(a)
                if all(used[k] < cap for k, cap in limits):
                    for k, _ in limits:
                        used[k] += 1
                    go(i + 1, total + self.weight(a, booths[i]))
                    for k, _ in limits:
                        used[k] -= 1

        go(0, 0.0)
        return best[0]


def random_instance(rng: random.Random):
    kinds = ["standard"] * 5 + ["ocop", "agency", "livestream", "outdoor"]
    booths = [
        booth(
            f"B{i}",
            rng.choice("AB"),
            rng.choice(kinds),
            ",".join(f for f in ("power", "water") if rng.random() < 0.5),
            x=3.0 * i,
        )
        for i in range(rng.randint(4, 6))
    ]
    provinces = [HOST, "ha-noi", "nghe-an", "lao-cai"]
    apps = []
    for i in range(rng.randint(3, 6)):
        org = rng.randrange(4)  # some organisations apply twice, always from the same province
        prefs = []
        for _ in range(rng.randint(0, 3)):
            kind = rng.choice(["booth", "zone", "kind"])
            value = {"booth": rng.choice(booths).code, "zone": rng.choice("AB"), "kind": rng.choice(kinds)}[kind]
            prefs.append(f"{kind}:{value}")
        apps.append(
            app(
                f"p{i}",
                provinces[org],
                *prefs,
                organisation_id=f"org{org}",
                organisation_kind=["enterprise", "cooperative", "agency", "association"][org],
                booths_wanted=rng.choice([1, 1, 2, 3]),
                needs=frozenset(f for f in ("power", "water") if rng.random() < 0.25),
                ocop_stars=rng.choice([None, 3, 4, 5]),
                returning=rng.random() < 0.3,
                submitted_at=f"2024-07-0{rng.randint(1, 3)}T00:00:00Z",
            )
        )
    catch_all = None if rng.random() < 0.2 else frozenset()
    groups = [
        QuotaGroup("host", rng.randint(0, 3), frozenset({HOST})),
        QuotaGroup(
            "others",
            rng.randint(1, 5),
            None if catch_all is not None else frozenset({"ha-noi", "nghe-an"}),
            province_cap=rng.choice([None, 1, 2]),
            province_caps={"nghe-an": 1} if rng.random() < 0.3 else {},
        ),
    ]
    quotas = QuotaRules(tuple(groups), organisation_max=rng.choice([None, 1, 2]))
    weights = rng.choice(
        [
            PriorityWeights(),
            PriorityWeights(preference_scores=(5.0, 5.0, 2.0), unranked_score=0.5, earliness=0.0, cooperative=1.0),
            PriorityWeights(keep_bonus=3.0),
        ]
    )
    current = {}
    if rng.random() < 0.5:
        shuffled = rng.sample([b.code for b in booths], len(booths))
        for a in apps[: rng.randint(1, len(apps))]:
            if shuffled:
                current[a.applicant_id] = [shuffled.pop()]
    return plan_of(*booths), quotas, apps, weights, current


@pytest.mark.parametrize("seed", range(100))
def test_optimal_against_brute_force(seed):
    plan, quotas, apps, weights, current = random_instance(random.Random(seed))
    result = allocate_booths(plan, quotas, apps, weights, current)
    ref = Reference(plan, quotas, apps, weights, current)
    assert ref.feasible(result.assignments, apps)
    assert result.objective == pytest.approx(ref.value(result.assignments, apps), rel=1e-12, abs=1e-12)
    assert result.objective == pytest.approx(ref.brute_force(apps), rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("seed", range(100))
def test_explanations_hold_on_random_instances(seed):
    plan, quotas, apps, weights, current = random_instance(random.Random(seed))
    result = allocate_booths(plan, quotas, apps, weights, current)
    shortfall = set(SHORTFALL_CODES)
    for a in apps:
        e = result.explanations[a.applicant_id]
        assert list(e.booths) == result.assignments[a.applicant_id]
        assert [r.params["booth"] for r in e.reasons if r.code == "allocated"] == list(e.booths)
        got = len(e.booths)
        assert e.status == ("allocated" if got == a.booths_wanted else "partial" if got else "unallocated")
        if got < a.booths_wanted:  # optimality leaves a binding reason for every shortfall
            assert shortfall & {r.code for r in e.reasons}, e
        for r in e.reasons:
            for holding in r.params.get("by", []) if isinstance(r.params.get("by"), list) else []:
                assert holding["applicant_id"] != a.applicant_id
                if r.code == "outranked":
                    assert holding["weight"] >= holding["own_weight"] - 1e-6


# -- quotas, caps and kinds -------------------------------------------------------------------------


def thanh_hoa():
    """82 booths, 36 for Thanh Hóa and 46 for the other provinces, with more applicants than booths on both sides."""
    plan = plan_of(*(booth(f"A{i:02d}", "A" if i < 41 else "B") for i in range(82)))
    quotas = QuotaRules.host_and_others(HOST, 36, 46)
    host = [app(f"h{i:02d}", HOST, "zone:A", returning=i % 3 == 0) for i in range(60)]
    others = [app(f"o{i:02d}", ["ha-noi", "nghe-an", "ninh-binh"][i % 3], "zone:B") for i in range(80)]
    return plan, quotas, host + others


def test_thanh_hoa_quota_36_host_46_others_exactly():
    plan, quotas, apps = thanh_hoa()
    result = allocate_booths(plan, quotas, apps)
    per_group = Counter("host" if a.province == HOST else "others" for a in apps if result.assignments[a.applicant_id])
    assert per_group == {"host": 36, "others": 46}
    assert len(codes(result, "quota_full")) == (60 - 36) + (80 - 46)
    # The returning host exhibitors (higher priority) are the ones who got in.
    assert all(result.assignments[f"h{i:02d}"] for i in range(0, 60, 3))


def test_thanh_hoa_takes_under_50_ms():
    plan, quotas, apps = thanh_hoa()
    allocate_booths(plan, quotas, apps)  # warm up imports
    assert min(allocate_booths(plan, quotas, apps).duration_ms for _ in range(3)) < 50


def test_quota_smaller_than_demand_leaves_booths_empty_rather_than_breaking_it():
    plan = plan_of(*(booth(f"A{i}") for i in range(5)))
    quotas = QuotaRules.host_and_others(HOST, 1, 1)
    result = allocate_booths(plan, quotas, [app(f"h{i}", HOST) for i in range(3)] + [app("o1", "ha-noi")])
    assert sum(map(len, result.assignments.values())) == 2


def test_province_cap_inside_a_group():
    plan = plan_of(*(booth(f"A{i}") for i in range(10)))
    quotas = QuotaRules((QuotaGroup("others", 10, province_cap=2, province_caps={"nghe-an": 3}),))
    apps = [app(f"hn{i}", "ha-noi") for i in range(5)] + [app(f"na{i}", "nghe-an") for i in range(5)]
    result = allocate_booths(plan, quotas, apps)
    got = Counter(a.province for a in apps if result.assignments[a.applicant_id])
    assert got == {"ha-noi": 2, "nghe-an": 3}
    capped = codes(result, "province_cap")
    assert sorted(capped) == sorted(a.applicant_id for a in apps if not result.assignments[a.applicant_id])
    assert {(p["province"], p["cap"]) for ps in capped.values() for p in ps} == {("ha-noi", 2), ("nghe-an", 3)}


def test_organisation_max_over_several_applications():
    plan = plan_of(*(booth(f"A{i}") for i in range(10)))
    quotas = QuotaRules((QuotaGroup("all", 10),), organisation_max=2)
    apps = [app("a1", booths_wanted=3, organisation_id="org"), app("a2", booths_wanted=3, organisation_id="org")]
    result = allocate_booths(plan, quotas, apps)
    assert sum(len(result.assignments[a]) for a in ("a1", "a2")) == 2
    assert {p["cap"] for ps in codes(result, "organisation_cap").values() for p in ps} == {2}


def test_an_organisation_in_two_provinces_is_refused_when_its_cap_cannot_nest():
    plan = plan_of(booth("A1"))
    quotas = QuotaRules((QuotaGroup("all", 1, province_cap=1),), organisation_max=1)
    apps = [app("a1", "ha-noi", organisation_id="org"), app("a2", "nghe-an", organisation_id="org")]
    with pytest.raises(ValueError, match="nest"):
        allocate_booths(plan, quotas, apps)


def test_agency_booths_only_for_agencies():
    plan = plan_of(booth("AG1", kind="agency"), booth("S1"))
    apps = [
        app("firm", "ha-noi", "booth:AG1", ocop_stars=5, returning=True),
        app("agency", "ha-noi", organisation_kind="agency"),
    ]
    result = allocate_booths(plan, everyone(2), apps)
    assert result.assignments == {"agency": ["AG1"], "firm": ["S1"]}
    (why,) = codes(result, "preference_not_eligible")["firm"]
    assert why["cause"] == "reserved"


def test_livestream_and_outdoor_only_for_those_who_ask():
    plan = plan_of(booth("LS1", kind="livestream"), booth("OUT1", kind="outdoor"), booth("S1"))
    apps = [
        app("plain1", "ha-noi", ocop_stars=5),
        app("plain2", "ha-noi", ocop_stars=5),
        app("streamer", "ha-noi", "kind:livestream"),
        app("outdoors", "ha-noi", "booth:OUT1"),
    ]
    result = allocate_booths(plan, everyone(3), apps)
    assert result.assignments["streamer"] == ["LS1"]
    assert result.assignments["outdoors"] == ["OUT1"]
    assert sorted(result.assignments["plain1"] + result.assignments["plain2"]) == ["S1"]


def test_ocop_booths_only_for_ocop_products():
    plan = plan_of(booth("O1", kind="ocop"))
    result = allocate_booths(
        plan, everyone(1), [app("plain", "ha-noi", "kind:ocop"), app("ocop", "ha-noi", ocop_stars=3)]
    )
    assert result.assignments == {"ocop": ["O1"], "plain": []}
    assert codes(result, "preference_not_eligible")["plain"][0]["cause"] == "ocop_only"


def test_needs_power_and_water():
    plan = plan_of(booth("P", features="power"), booth("PW", features="power,water"), booth("N"))
    apps = [
        app("both", "ha-noi", needs=frozenset({"power", "water"})),
        app("power", "ha-noi", needs=frozenset({"power"}), ocop_stars=4),
        app("none", "ha-noi", ocop_stars=5, returning=True),
    ]
    result = allocate_booths(plan, everyone(3), apps)
    assert result.assignments == {"both": ["PW"], "power": ["P"], "none": ["N"]}
    result = allocate_booths(plan_of(booth("P", features="power")), everyone(1), apps[:1])
    assert codes(result, "need_not_met") == {"both": [{"needs": ["power", "water"], "kinds": ["standard"]}]}


def test_preferences_weigh_more_than_filling_booths():
    """Weighted preference satisfaction: two first choices beat three unranked booths."""
    plan = plan_of(booth("P", features="power"), booth("PW", features="power,water"), booth("N"))
    apps = [
        app("both", "ha-noi", needs=frozenset({"power", "water"})),
        app("power", "ha-noi", "booth:PW", needs=frozenset({"power"})),
        app("none", "ha-noi", "booth:P"),
    ]
    result = allocate_booths(plan, everyone(3), apps)
    assert result.assignments == {"both": [], "power": ["PW"], "none": ["P"]}


def test_unranked_booth_is_better_than_nothing():
    plan = plan_of(booth("A1", "A"), booth("B1", "B"))
    result = allocate_booths(plan, everyone(2), [app("x", "ha-noi", "zone:A"), app("y", "ha-noi", "zone:A")])
    assert sorted(result.assignments["x"] + result.assignments["y"]) == ["A1", "B1"]


def test_partial_allocation_is_allowed():
    plan = plan_of(booth("A1"), booth("A2"))
    result = allocate_booths(plan, everyone(2), [app("big", booths_wanted=3)])
    assert result.assignments == {"big": ["A1", "A2"]}
    assert result.explanations["big"].status == "partial"
    assert codes(result, "not_enough_booths") == {"big": [{"eligible": 2}]}


def test_multi_booth_applicant_gets_neighbouring_booths_from_a_pool():
    xs = [0, 30, 3, 33, 6, 36]  # codes in one order, positions in another
    plan = plan_of(*(booth(f"A{i}", x=x) for i, x in enumerate(xs)))
    result = allocate_booths(plan, everyone(6), [app("pair", booths_wanted=2)])
    first, second = (plan.booth_by_code[c].x for c in result.assignments["pair"])
    assert abs(first - second) == 3


# -- priorities ----------------------------------------------------------------------------------


def test_priority_terms_decide_who_gets_the_last_booth():
    plan = plan_of(booth("A1"))
    contenders = [
        app("stars", "ha-noi", ocop_stars=5),
        app("coop", "ha-noi", organisation_kind="cooperative"),
        app("returning", "ha-noi", returning=True),
    ]
    weights = PriorityWeights(per_ocop_star=0.1, cooperative=0.6, returning=0.4)
    assert allocate_booths(plan, everyone(1), contenders, weights).assignments["coop"] == ["A1"]
    weights = PriorityWeights(per_ocop_star=0.2, cooperative=0.6, returning=0.4)
    assert allocate_booths(plan, everyone(1), contenders, weights).assignments["stars"] == ["A1"]


def test_earlier_submission_breaks_ties():
    plan = plan_of(booth("A1"))
    apps = [app("late", submitted_at="2024-07-02T08:00:00Z"), app("early", submitted_at="2024-07-01T08:00:00Z")]
    result = allocate_booths(plan, everyone(5), apps)
    assert result.assignments["early"] == ["A1"]
    (outranked,) = codes(result, "outranked")["late"]
    (holder,) = outranked["by"]
    assert holder["applicant_id"] == "early" and holder["priority"] > outranked["priority"]


def test_preference_rank_matters():
    plan = plan_of(booth("A1", "A"), booth("B1", "B"))
    apps = [app("x", "ha-noi", "zone:A", "zone:B"), app("y", "ha-noi", "zone:B", "zone:A", returning=True)]
    assert allocate_booths(plan, everyone(2), apps).assignments == {"x": ["A1"], "y": ["B1"]}


# -- determinism ---------------------------------------------------------------------------------


def comparable(result: Allocation):
    return result.assignments, result.explanations, result.objective, result.moved


@pytest.mark.parametrize("seed", range(10))
def test_same_input_same_output_whatever_the_order(seed):
    rng = random.Random(seed)
    plan, quotas, apps = thanh_hoa()
    apps = [replace(a, preferences=(Preference("booth", f"A{rng.randrange(82):02d}"),)) for a in apps]
    first = allocate_booths(plan, quotas, apps)
    assert comparable(allocate_booths(plan, quotas, apps)) == comparable(first)
    shuffled_plan = replace(plan, booths=tuple(rng.sample(plan.booths, len(plan.booths))))
    shuffled = allocate_booths(shuffled_plan, quotas, rng.sample(apps, len(apps)))
    assert comparable(shuffled) == comparable(first)


# -- stability -----------------------------------------------------------------------------------


def test_rerun_with_a_newcomer_moves_nobody():
    plan = plan_of(*(booth(f"A{i}", "A") for i in range(3)), *(booth(f"B{i}", "B") for i in range(3)))
    apps = [app(f"p{i}", "ha-noi", "zone:A") for i in range(3)] + [app("q", "ha-noi", "zone:B")]
    first = allocate_booths(plan, everyone(6), apps)
    newcomer = app("vip", "ha-noi", f"booth:{first.assignments['p0'][0]}", ocop_stars=5, returning=True)

    stable = allocate_booths(plan, everyone(6), [*apps, newcomer], current=first.assignments)
    assert stable.moved == []
    assert all(stable.assignments[a] == first.assignments[a] for a in first.assignments)
    assert stable.assignments["vip"]  # a free booth, not p0's
    assert codes(stable, "preference_taken")["vip"][0]["by"][0]["applicant_id"] == "p0"

    fresh = allocate_booths(plan, everyone(6), [*apps, newcomer])  # without the bonus the VIP takes p0's booth
    assert fresh.assignments["vip"] == first.assignments["p0"]


def test_a_small_keep_bonus_lets_a_better_pair_through():
    plan = plan_of(booth("A1"), booth("A2", "B"))
    first = {"p": ["A1"]}
    apps = [app("p", "ha-noi"), app("vip", "ha-noi", "booth:A1", ocop_stars=5)]
    result = allocate_booths(plan, everyone(2), apps, PriorityWeights(keep_bonus=0.1), current=first)
    assert result.assignments == {"p": ["A2"], "vip": ["A1"]}
    assert result.moved == ["p"]
    assert codes(result, "moved")["p"] == [{"lost": ["A1"], "removed": [], "ineligible": []}]


def test_removed_booth_moves_its_holder_and_says_why():
    plan = plan_of(booth("A1"), booth("A2"))
    result = allocate_booths(plan, everyone(2), [app("p", "ha-noi")], current={"p": ["GONE"]})
    assert result.moved == ["p"]
    assert codes(result, "moved")["p"] == [{"lost": ["GONE"], "removed": ["GONE"], "ineligible": []}]


def test_kept_current_explains_a_free_better_wish():
    plan = plan_of(booth("A1", "A"), booth("B1", "B"))
    apps = [app("p", "ha-noi", "zone:B")]
    result = allocate_booths(plan, everyone(2), apps, current={"p": ["A1"]})
    assert result.assignments == {"p": ["A1"]}
    (kept,) = codes(result, "kept_current")["p"]
    assert kept["rank"] == 1
    (allocated,) = codes(result, "allocated")["p"]
    assert allocated == {"booth": "A1", "rank": None, "preference": None, "kept": True}


# -- explanations of each kind -------------------------------------------------------------------


def test_explanations_for_every_blocking_reason():
    plan = plan_of(booth("A1", features="power"), booth("A2"), booth("A3"), booth("A4"), booth("AG", kind="agency"))
    north = QuotaGroup("north", 3, frozenset({"ha-noi", "lao-cai"}), province_cap=2, province_caps={"ha-noi": 1})
    quotas = QuotaRules((QuotaGroup("host", 1, frozenset({HOST})), north), organisation_max=1)
    apps = [
        app("h1", HOST, "booth:A1", ocop_stars=5),
        app("h2", HOST, "booth:A1"),  # quota_full (host has 1)
        app("hn1", "ha-noi", "booth:A2", ocop_stars=5, organisation_id="big"),
        app("hn2", "ha-noi"),  # province_cap (ha-noi has 1)
        app("lc1", "lao-cai", booths_wanted=2, organisation_id="lc"),  # organisation_cap (max 1)
        app("hue", "hue"),  # no_quota_group
        app("water", "lao-cai", needs=frozenset({"water"})),  # need_not_met
        app("typo", HOST, "booth:Z9", "zone:Q", "kind:agency"),  # preferences that cannot be met
    ]
    result = allocate_booths(plan, quotas, apps)
    reasons = {a: {r.code for r in e.reasons} for a, e in result.explanations.items()}
    assert "quota_full" in reasons["h2"]
    assert codes(result, "quota_full")["h2"][0] == {"group": "host", "booths": 1, "lowest_priority_admitted": 1.51}
    assert reasons["hn2"] == {"province_cap"}
    assert reasons["lc1"] == {"allocated", "organisation_cap"} and result.explanations["lc1"].status == "partial"
    assert reasons["hue"] == {"no_quota_group"}
    assert reasons["water"] == {"need_not_met"}
    typo = {p["preference"]["value"]: p["cause"] for p in codes(result, "preference_not_eligible")["typo"]}
    assert typo == {"Z9": "unknown", "Q": "unknown", "agency": "reserved"}
    (taken,) = codes(result, "preference_taken")["h2"]
    assert taken["by"][0]["applicant_id"] == "h1"


def test_no_booth_of_a_kind_it_may_have():
    plan = plan_of(booth("AG", kind="agency"))
    result = allocate_booths(plan, everyone(1), [app("firm")])
    assert codes(result, "no_booth_of_kind") == {"firm": [{"kinds": []}]}


def test_allocated_reason_names_the_matched_preference():
    plan = plan_of(booth("A1", "A"), booth("B1", "B"))
    result = allocate_booths(plan, everyone(2), [app("p", "ha-noi", "booth:Z9", "zone:B")])
    (allocated,) = codes(result, "allocated")["p"]
    assert allocated == {"booth": "B1", "rank": 2, "preference": {"type": "zone", "value": "B"}, "kept": False}
    assert result.explanations["p"].status == "allocated"


def test_result_fields():
    plan, quotas, apps = thanh_hoa()
    result = allocate_booths(plan, quotas, apps)
    assert set(result.assignments) == {a.applicant_id for a in apps}
    assert result.solver.status == "Optimal" and result.solver.max_dual_infeasibility <= 1e-7
    assert result.objective == pytest.approx(result.solver.solver_objective)
    assert result.duration_ms > 0


# -- configuration errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: PriorityWeights(preference_scores=(1.0, 2.0)),
        lambda: PriorityWeights(unranked_score=0),
        lambda: PriorityWeights(base=0),
        lambda: PriorityWeights(keep_bonus=-1),
        lambda: QuotaRules((QuotaGroup("a", 1), QuotaGroup("b", 1))),
        lambda: QuotaRules((QuotaGroup("a", 1, frozenset({"x"})), QuotaGroup("b", 1, frozenset({"x"})))),
        lambda: QuotaRules((QuotaGroup("a", 1, frozenset({"x"})), QuotaGroup("a", 1, frozenset({"y"})))),
        lambda: QuotaGroup("a", -1),
        lambda: app("x", booths_wanted=0),
        lambda: app("x", ocop_stars=2),
        lambda: app("x", needs=frozenset({"gas"})),
        lambda: Preference("price", "cheap"),
    ],
)
def test_bad_configuration_is_refused(make):
    with pytest.raises(ValueError):
        make()


def test_duplicate_applicants_are_refused():
    with pytest.raises(ValueError, match="unique"):
        allocate_booths(plan_of(booth("A1")), everyone(1), [app("x"), app("x")])


def test_nothing_to_allocate():
    result = allocate_booths(FloorPlan(), everyone(3), [])
    assert (result.assignments, result.objective, result.solver.status) == ({}, 0, "Empty")
    result = allocate_booths(plan_of(booth("A1")), everyone(0), [app("x")])
    assert result.assignments == {"x": []}
    assert codes(result, "quota_full")["x"][0]["lowest_priority_admitted"] is None
