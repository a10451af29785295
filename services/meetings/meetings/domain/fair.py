"""Slot times by the organiser's objectives, exactly: most meetings, then fairness, then priority.

One binary per (meeting, slot) the meeting may use, with the rules of
:mod:`meetings.domain.exact` (one slot per meeting, one meeting per person per
slot, tables and interpreters per slot; locked meetings stay).  Then, stage by
stage (:class:`meetings.domain.mip.Program`):

1. ``placed``: the most meetings.
2. Fairness (``buyer`` or ``participant``): level by level, as many of them
   as possible get at least 1 meeting, then at least 2, and so on (each level
   fixed before the next), so the places are shared before anyone gets many.
   ``y[p, k]`` says p has at least k meetings: ``y[p, k] <= y[p, k - 1]`` and
   ``sum_k y[p, k] <= meetings of p``.
3. ``priority``: the most buyer priority among the meetings placed.

The heuristic's timetable is the starting point, so no stage can end below
it.  Sessions with more than :data:`MAX_PAIRS` meeting-slot pairs are left to
the heuristic (the caller says so in the scores).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from meetings.domain.grid import Grid
from meetings.domain.mip import Program, StageResult
from meetings.domain.model import Objectives

MAX_PAIRS = 6_000


@dataclass(frozen=True)
class Outcome:
    """The free meetings' slots and each stage's result (``levels``: fairness level k at index k - 1)."""

    slots: dict[str, int]
    placed: StageResult
    levels: tuple[StageResult, ...]
    priority: StageResult | None


def group_of(grid: Grid, fairness: str) -> dict[str, int]:
    """The participants fairness is about, with how many meetings each asked for."""
    demand: defaultdict[str, int] = defaultdict(int)
    for m in grid.meetings.values():
        demand[m.buyer] += 1
        if fairness == "participant":
            demand[m.supplier] += 1
    return dict(sorted(demand.items()))


def solve(grid: Grid, objectives: Objectives) -> Outcome | None:
    """The lexicographic optimum (or the best within the work limit) from the grid's current placement."""
    free = sorted(mid for mid in grid.meetings if mid not in grid.pinned)
    if all(mid in grid.slot for mid in free):
        return _everything_placed(grid, objectives)
    fixed_busy = {key for key, mid in grid.busy.items() if mid in grid.pinned}
    fixed_count = [0] * grid.n_slots
    fixed_lang: defaultdict[tuple[str, int], int] = defaultdict(int)
    pinned_of: defaultdict[str, int] = defaultdict(int)
    for mid in grid.pinned:
        m, s = grid.meetings[mid], grid.slot[mid]
        fixed_count[s] += grid.pooled(mid)
        pinned_of[m.supplier] += 1
        pinned_of[m.buyer] += 1
        if m.language is not None:
            for g in grid.groups(m.language):
                fixed_lang[g, s] += 1
    pairs = [
        (mid, s)
        for mid in free
        for s in range(grid.n_slots)
        if grid.available(m := grid.meetings[mid], s)
        and (m.supplier, s) not in fixed_busy
        and (m.buyer, s) not in fixed_busy
        and (m.language is None or all(grid.interpreter_cap(g, s) > fixed_lang[g, s] for g in grid.groups(m.language)))
    ]
    if len(pairs) > MAX_PAIRS:
        return None
    p = Program()
    x = {pair: p.column() for pair in pairs}
    by_meeting: defaultdict[str, dict[int, float]] = defaultdict(dict)
    by_person_slot: defaultdict[tuple[str, int], dict[int, float]] = defaultdict(dict)
    by_slot: defaultdict[int, dict[int, float]] = defaultdict(dict)
    by_lang: defaultdict[tuple[str, int], dict[int, float]] = defaultdict(dict)
    by_person: defaultdict[str, dict[int, float]] = defaultdict(dict)
    slots_of: defaultdict[str, set[int]] = defaultdict(set)
    for (mid, s), col in x.items():
        m = grid.meetings[mid]
        by_meeting[mid][col] = 1
        if grid.pooled(mid):
            by_slot[s][col] = 1
        for person in (m.supplier, m.buyer):
            by_person_slot[person, s][col] = 1
            by_person[person][col] = 1
            slots_of[person].add(s)
        for g in grid.groups(m.language) if m.language is not None else ():
            by_lang[g, s][col] = 1
    for entries in by_meeting.values():
        p.row(entries, upper=1)
    for entries in by_person_slot.values():
        p.row(entries, upper=1)
    for s, entries in by_slot.items():
        p.row(entries, upper=grid.tables - fixed_count[s])
    for (language, s), entries in by_lang.items():
        p.row(entries, upper=grid.interpreter_cap(language, s) - fixed_lang[language, s])

    start = [0.0] * len(x)
    for mid, s in grid.slot.items():
        if (mid, s) in x:
            start[x[mid, s]] = 1.0

    # fairness levels: reach = the most meetings p could have at all
    levels: list[dict[int, float]] = []
    if objectives.fairness != "none":
        reach = {
            person: min(demand, pinned_of[person] + len(slots_of[person]))
            for person, demand in group_of(grid, objectives.fairness).items()
        }
        top = max(reach.values(), default=0)
        y: dict[tuple[str, int], int] = {}
        for person, r in reach.items():
            for k in range(1, r + 1):
                y[person, k] = p.column()
                if k > 1:
                    p.row({y[person, k]: 1, y[person, k - 1]: -1}, upper=0)
            if r:
                p.row(
                    {**{y[person, k]: 1 for k in range(1, r + 1)}, **{c: -1 for c in by_person[person]}},
                    upper=pinned_of[person],
                )
        levels = [{y[person, k]: 1 for person, r in reach.items() if r >= k} for k in range(1, top + 1)]
        start += [0.0] * len(y)

    placed = p.stage(dict.fromkeys(x.values(), 1.0), maximise=True, start=start, best=len(by_meeting))
    if placed is None:
        return None
    results = []
    left = placed.value  # meetings placed and not yet counted at a level: no level can get more
    for level in levels:
        result = p.stage(level, maximise=True, best=min(len(level), left))
        if result is None:
            return None
        results.append(result)
        left -= result.value
    priority = None
    weights = {col: grid.meetings[mid].priority for (mid, _), col in x.items() if grid.meetings[mid].priority}
    if weights:
        priority = p.stage(weights, maximise=True)
    assert p.solution is not None
    slots = {mid: s for (mid, s), col in x.items() if p.solution[col] > 0.5}
    shift = len(grid.pinned)
    return Outcome(
        slots,
        StageResult(placed.value + shift, placed.bound + shift, placed.optimal),
        tuple(results),
        _shifted(priority, sum(grid.meetings[mid].priority for mid in grid.pinned)),
    )


def _everything_placed(grid: Grid, objectives: Objectives) -> Outcome:
    """The heuristic placed every meeting: every objective of the slots is at its bound already (each person
    has all it asked for), so the heuristic's timetable stays, with its Δ slots."""
    demand = group_of(grid, objectives.fairness) if objectives.fairness != "none" else {}
    levels = tuple(
        StageResult(n, n, True)
        for n in (sum(1 for d in demand.values() if d >= k) for k in range(1, max(demand.values(), default=0) + 1))
    )
    everything = len(grid.meetings)
    priority = sum(m.priority for m in grid.meetings.values())
    free = {mid: s for mid, s in grid.slot.items() if mid not in grid.pinned}
    return Outcome(
        free,
        StageResult(everything, everything, True),
        levels,
        StageResult(priority, priority, True) if priority else None,
    )


def _shifted(result: StageResult | None, constant: int) -> StageResult | None:
    if result is None:
        return None
    return StageResult(result.value + constant, result.bound + constant, result.optimal)
