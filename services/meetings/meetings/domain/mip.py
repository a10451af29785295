"""A small sparse integer program over HiGHS, solved objective after objective (lexicographically).

Each stage sets its own objective, starts from the previous stage's solution
(so the incumbent never gets worse), and, once solved, its value is written
back as a constraint so later stages cannot trade it away.  A node limit
bounds every stage, so the same model gives the same answer on every run; a
stage that hits the limit reports its incumbent with the proven bound rather
than a claim of optimality.  A time limit per stage is the safety net behind
it: one node of a large model can take seconds, and a timetable is computed
inside a request, in a process that answers nothing else meanwhile (on a slow
machine that stage may then stop earlier than on a fast one, still with its
incumbent and bound).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import highspy
import numpy as np

MAX_NODES = 5_000  # per stage
STAGE_SECONDS = 1.5  # per stage, the safety net
PROGRAM_SECONDS = 4.0  # all stages of one program together; a stage past it still gets MIN_STAGE_SECONDS
MIN_STAGE_SECONDS = 0.1
_INTEGRAL = 1e-6


@dataclass(frozen=True)
class StageResult:
    """The integer value reached, the best any solution could reach (a lower bound when minimising), proof."""

    value: int
    bound: int
    optimal: bool


class Program:
    """Columns and rows collected first, then one HiGHS model solved in stages."""

    def __init__(self) -> None:
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.integer: list[bool] = []
        self.rows: list[tuple[float, float, list[int], list[float]]] = []
        self._h: highspy.Highs | None = None
        self.solution: list[float] | None = None
        self.deadline = time.monotonic() + PROGRAM_SECONDS

    def column(self, lower: float = 0.0, upper: float = 1.0, integer: bool = True) -> int:
        self.lower.append(lower)
        self.upper.append(upper)
        self.integer.append(integer)
        return len(self.lower) - 1

    def row(self, entries: Mapping[int, float], lower: float = -math.inf, upper: float = math.inf) -> None:
        keys = sorted(entries)
        self.rows.append((lower, upper, keys, [float(entries[k]) for k in keys]))

    def _build(self) -> highspy.Highs:
        inf = highspy.kHighsInf
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(self.lower), len(self.rows)
        lp.col_cost_ = np.zeros(len(self.lower))
        lp.col_lower_, lp.col_upper_ = np.asarray(self.lower), np.asarray(self.upper)
        lp.row_lower_ = np.asarray([max(lo, -inf) for lo, _, _, _ in self.rows])
        lp.row_upper_ = np.asarray([min(hi, inf) for _, hi, _, _ in self.rows])
        starts, index, value = [0], [], []
        for _, _, keys, coefs in self.rows:
            index.extend(keys)
            value.extend(coefs)
            starts.append(len(index))
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.asarray(starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.asarray(index, dtype=np.int32)
        lp.a_matrix_.value_ = np.asarray(value, dtype=float)
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous for i in self.integer
        ]
        h = highspy.Highs()
        for option, setting in (
            ("output_flag", False),
            ("mip_rel_gap", 0.0),
            ("mip_abs_gap", 0.0),
            ("mip_max_nodes", MAX_NODES),
            ("time_limit", STAGE_SECONDS),
            ("threads", 1),
            ("random_seed", 0),
        ):
            h.setOptionValue(option, setting)
        h.passModel(lp)
        return h

    def stage(
        self,
        objective: Mapping[int, float],
        maximise: bool,
        start: Sequence[float] | None = None,
        best: float | None = None,
    ) -> StageResult | None:
        """Optimise ``objective`` (integer-valued at integer points), then keep it at the value reached for
        every later stage.  ``best``: a value no solution can beat (e.g. everyone served, no gaps): when the
        starting solution reaches it, nothing is solved.  None: no solution at all."""
        if self._h is None:
            self._h = self._build()
        h = self._h
        begin = start if start is not None else self.solution
        if best is not None and begin is not None:
            reached = sum(c * begin[k] for k, c in objective.items())
            if abs(reached - best) < _INTEGRAL:
                self.solution = list(begin)
                self._fix(objective, round(best), maximise)
                return StageResult(round(best), round(best), True)
        n = len(self.lower)
        costs = np.zeros(n)
        for k, c in objective.items():
            costs[k] = c
        h.changeColsCost(n, np.arange(n, dtype=np.int32), costs)
        h.changeObjectiveSense(highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize)
        h.setOptionValue("time_limit", max(MIN_STAGE_SECONDS, min(STAGE_SECONDS, self.deadline - time.monotonic())))
        if begin is not None:
            sol = highspy.HighsSolution()
            sol.col_value = list(begin)
            h.setSolution(sol)
        h.run()
        info = h.getInfo()
        if info.primal_solution_status != 2:
            return None
        self.solution = list(h.getSolution().col_value)
        reached = sum(c * self.solution[k] for k, c in objective.items())
        optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        dual = info.mip_dual_bound if not optimal else reached
        value = round(reached)
        bound = math.floor(dual + _INTEGRAL) if maximise else math.ceil(dual - _INTEGRAL)
        bound = max(bound, value) if maximise else min(bound, value)
        self._fix(objective, value, maximise)
        return StageResult(value, bound, optimal or value == bound)

    def _fix(self, objective: Mapping[int, float], value: int, maximise: bool) -> None:
        assert self._h is not None
        keys = sorted(objective)
        lower, upper = (value - 0.5, highspy.kHighsInf) if maximise else (-highspy.kHighsInf, value + 0.5)
        self._h.addRow(
            lower, upper, len(keys), np.asarray(keys, dtype=np.int32), np.asarray([float(objective[k]) for k in keys])
        )
