"""An exact second opinion for small sessions that do not fit: the most meetings that can be placed.

When tables, interpreters or availability leave meetings out, the Kempe
heuristic may leave out one more than necessary.  For small sessions (a few
thousand meeting-slot pairs) a HiGHS integer program finds the true maximum:
one binary per (meeting, slot) a meeting may use, at most one slot per
meeting, one meeting per person per slot, tables and interpreters per slot.
Each placed meeting is worth 1 plus a priority bonus that all together stay
below 1, so the count comes first and priority decides among equal counts.
A node limit (not a time limit) bounds the work, so the answer is the same on
every run.
"""

from __future__ import annotations

from collections import defaultdict

import highspy
import numpy as np

from meetings.domain.grid import Grid

MAX_PAIRS = 4_000
MAX_NODES = 20_000


def weights(order: list[str]) -> dict[str, float]:
    """1 per meeting plus a rank bonus (first in priority order gets most); bonuses sum to less than 1."""
    n = len(order)
    return {mid: 1.0 + (n - i) / (n + 1) ** 2 for i, mid in enumerate(order)}


def best_placement(grid: Grid, order: list[str]) -> dict[str, int] | None:
    """Slot per meeting of ``order`` (priority order, pinned meetings stay as they are), or None when too big."""
    free = [mid for mid in order if mid not in grid.pinned]
    fixed_busy = {key for key, mid in grid.busy.items() if mid in grid.pinned}
    fixed_count = [0] * grid.n_slots
    fixed_lang: defaultdict[tuple[str, int], int] = defaultdict(int)
    for mid in grid.pinned:
        s = grid.slot[mid]
        fixed_count[s] += grid.pooled(mid)
        if (language := grid.meetings[mid].language) is not None:
            for g in grid.groups(language):
                fixed_lang[g, s] += 1
    columns: list[tuple[str, int]] = []
    for mid in free:
        m = grid.meetings[mid]
        for s in range(grid.n_slots):
            if (
                grid.available(m, s)
                and (m.supplier, s) not in fixed_busy
                and (m.buyer, s) not in fixed_busy
                and (
                    m.language is None
                    or all(grid.interpreter_cap(g, s) > fixed_lang[g, s] for g in grid.groups(m.language))
                )
            ):
                columns.append((mid, s))
    if len(columns) > MAX_PAIRS:
        return None
    rows: dict[tuple[object, ...], int] = {}
    upper: list[float] = []

    def row(key: tuple[object, ...], cap: float) -> int:
        if key not in rows:
            rows[key] = len(upper)
            upper.append(cap)
        return rows[key]

    starts, index = [0], []
    for mid, s in columns:
        m = grid.meetings[mid]
        entries = [row(("m", mid), 1), row(("p", m.supplier, s), 1), row(("p", m.buyer, s), 1)]
        if grid.pooled(mid):
            entries.append(row(("t", s), grid.tables - fixed_count[s]))
        for g in grid.groups(m.language) if m.language is not None else ():
            entries.append(row(("l", g, s), grid.interpreter_cap(g, s) - fixed_lang[g, s]))
        index.extend(sorted(entries))
        starts.append(len(index))
    worth = weights(free)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(columns), len(upper)
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.col_cost_ = np.asarray([worth[mid] for mid, _ in columns])
    lp.col_lower_, lp.col_upper_ = np.zeros(len(columns)), np.ones(len(columns))
    lp.row_lower_, lp.row_upper_ = np.full(len(upper), -highspy.kHighsInf), np.asarray(upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.asarray(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.asarray(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.ones(len(index))
    lp.integrality_ = [highspy.HighsVarType.kInteger] * len(columns)
    h = highspy.Highs()
    for option, value in (
        ("output_flag", False),
        ("mip_rel_gap", 0.0),
        ("mip_abs_gap", 0.0),
        ("mip_max_nodes", MAX_NODES),
    ):
        h.setOptionValue(option, value)
    h.passModel(lp)
    h.run()
    if h.getInfo().primal_solution_status != 2:  # no feasible solution at all
        return None
    values = h.getSolution().col_value
    return {mid: s for (mid, s), x in zip(columns, values, strict=True) if x > 0.5}


def worth_of(placed: list[str], order: list[str]) -> float:
    w = weights(order)
    return sum(w[mid] for mid in placed)
