"""Compact days: fewer idle slots between a participant's first and last meeting, nothing else given up.

An integer program for gaps is slow to prove even at Quảng Trị size (its
relaxation says 0 whatever the slots), so this is a descent instead: move one
meeting to a slot where it fits, or exchange two slots along a Kempe chain
(:meth:`Grid.chain`), whenever that lowers the total number of gaps.  Either
move stays within the slots already used (the session gets no longer) and keeps every meeting placed and
every rule (people, tables, interpreters,
availability, locks: ``swap_ok``), so the count, fairness and priority reached
before are untouched.  Deterministic: candidates are tried in sorted order.
The bound reported is 0, proven only when reached.

The descent stops after :data:`MAX_TRIES` candidate exchanges (a count, not a
clock, so the answer is the same on every machine): unbounded, it took 12 s
for 300 meetings in 27 slots, and a timetable is computed inside a request,
in a process that answers nothing else meanwhile.
"""

from __future__ import annotations

from meetings.domain.grid import Grid

MAX_ROUNDS = 50
MAX_TRIES = 4_000  # candidate exchanges per timetable (about 0.3 s at Quảng Trị size)


def gaps_of(grid: Grid, person: str) -> int:
    slots = {s for s in range(grid.n_slots) if (person, s) in grid.busy}
    if len(slots) < 2:
        return 0
    away = grid.away.get(person, ())
    return sum(1 for s in range(min(slots), max(slots)) if s not in slots and s not in away)


def total(grid: Grid) -> int:
    return sum(gaps_of(grid, person) for person in sorted({p for p, _ in grid.busy}))


def _people(grid: Grid, mids: list[str]) -> set[str]:
    return {p for mid in mids for p in (grid.meetings[mid].supplier, grid.meetings[mid].buyer)}


def improve(grid: Grid, tries: int = MAX_TRIES) -> int:
    """Lower the gaps in place within ``tries`` candidate exchanges; returns the total left."""
    budget = [tries]
    for _ in range(MAX_ROUNDS):
        if not _one_round(grid, budget) or budget[0] <= 0:
            break
    return total(grid)


def _one_round(grid: Grid, budget: list[int]) -> bool:
    improved = False
    for person in sorted({p for p, _ in grid.busy}):
        if budget[0] <= 0:
            break
        if gaps_of(grid, person) == 0:
            continue
        for mid in sorted({grid.busy[person, s] for s in range(grid.n_slots) if (person, s) in grid.busy}):
            if mid in grid.pinned:
                continue
            if _try_moves(grid, mid, budget):
                improved = True
                break
    return improved


def _component(grid: Grid, mid: str, b: int) -> list[str]:
    """``mid`` and the chains hanging off its two ends in slots (b, its own): what moves with it to ``b``."""
    m, a = grid.meetings[mid], grid.slot[mid]
    grid.remove(mid)
    path = [*grid.chain(m.supplier, b, a), *grid.chain(m.buyer, b, a)]
    grid.place(mid, a)
    return [mid, *dict.fromkeys(path)]


def _try_moves(grid: Grid, mid: str, budget: list[int]) -> bool:
    """The first exchange of slots a and b lowering the gaps: ``mid``'s component alone, or together with
    that of a meeting in ``b`` (which frees a table or interpreter seat there)."""
    a = grid.slot[mid]
    for b in range(grid.n_slots):
        if b == a or not grid.used[b]:  # never open a slot the timetable does not use: the session stays short
            continue
        own = _component(grid, mid, b)
        partners = [None, *sorted(other for other, s in grid.slot.items() if s == b and other not in own)]
        for other in partners:
            if budget[0] <= 0:
                return False
            budget[0] -= 1
            moving = list(dict.fromkeys([*own, *(_component(grid, other, a) if other else [])]))
            people = _people(grid, moving)
            before = sum(gaps_of(grid, p) for p in people)
            if not grid.swap_ok(moving, a, b, None):
                continue
            grid.swap(moving, a, b)
            if sum(gaps_of(grid, p) for p in people) < before:
                return True
            grid.swap(moving, b, a)
    return False
