"""Spreading meetings so no slot needs more tables than the hall has.

The first pass colours meetings into the fewest slots that could possibly do
(Δ, or meetings / tables if the hall is the tighter limit) without looking at
tables.  Then each over-full slot ``a`` gives meetings to an under-full slot
``b``: the meetings in ``a`` or ``b`` form alternating paths and even cycles,
and while ``a`` holds more than ``b`` some path has one more meeting in ``a``
than in ``b``; exchanging the two slots on that path moves one meeting's worth
of load without putting anyone in two places (the equitable edge colouring
argument of de Werra and McDiarmid).  Only if every such exchange would break
availability or interpreter limits is the lowest-priority meeting taken out,
to be tried again later in any slot.
"""

from __future__ import annotations

from collections.abc import Callable

from meetings.domain.grid import Grid


def component(grid: Grid, start: str, a: int, b: int) -> list[str]:
    """Every meeting in slots a or b connected to ``start`` through shared participants."""
    seen = {start}
    todo = [start]
    while todo:
        mid = todo.pop()
        m = grid.meetings[mid]
        for person in (m.supplier, m.buyer):
            for s in (a, b):
                other = grid.busy.get((person, s))
                if other is not None and other not in seen:
                    seen.add(other)
                    todo.append(other)
    return sorted(seen)


def shift_one(grid: Grid, a: int, palette: list[int]) -> bool:
    """Move one meeting's worth of load out of slot ``a`` into a less-filled slot, if some exchange allows it."""
    members = sorted({mid for (_, s), mid in grid.busy.items() if s == a})
    for b in sorted((s for s in palette if s != a and grid.count[s] < grid.tables), key=lambda s: (grid.count[s], s)):
        seen: set[str] = set()
        for mid in members:
            if mid in seen:
                continue
            comp = component(grid, mid, a, b)
            seen.update(comp)
            shared = [c for c in comp if grid.pooled(c)]  # a supplier's own table is no load on the hall's
            in_a = sum(1 for c in shared if grid.slot[c] == a)
            if in_a == len(shared) - in_a + 1 and grid.swap_ok(comp, a, b, None):
                grid.swap(comp, a, b)
                return True
    return False


def balance(grid: Grid, palette: list[int], key: Callable[[str], tuple[int, str]]) -> list[str]:
    """Bring every slot within the table count; returns the meetings that had to be taken out."""
    evicted: list[str] = []
    for a in palette:
        while grid.count[a] > grid.tables:
            if shift_one(grid, a, palette):
                continue
            victim = max(
                (mid for mid, s in grid.slot.items() if s == a and mid not in grid.pinned and grid.pooled(mid)), key=key
            )
            grid.remove(victim)
            evicted.append(victim)
    return evicted
