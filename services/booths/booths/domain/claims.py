"""Alternatives offered to the loser of a race for a booth.

When two exhibitors claim the same booth at once, exactly one wins; the other
should not have to study the plan again.  A good alternative is a free booth
of the same kind (a livestream stage is no substitute for a standard booth),
then, in order: in the same zone, in the same hall, with the same features
(fewest added or missing), nearest on the plan, and by code so the answer is
always the same.
"""

from __future__ import annotations

import math
from collections.abc import Collection

from booths.domain.floorplan import Booth, FloorPlan


def suggest_similar(plan: FloorPlan, taken: Collection[str], booth_code: str, limit: int = 3) -> list[str]:
    """Up to ``limit`` free booths most like ``booth_code``; KeyError if the plan has no such booth."""
    wanted = plan.booth_by_code[booth_code]
    hall = plan.hall_of(wanted)

    def unlikeness(b: Booth) -> tuple[bool, bool, int, float, str]:
        same_hall = plan.hall_of(b) == hall
        distance = math.dist(b.centre, wanted.centre) if same_hall else math.inf
        return (b.zone != wanted.zone, not same_hall, len(b.features ^ wanted.features), distance, b.code)

    free = [b for b in plan.booths if b.kind == wanted.kind and b.code != booth_code and b.code not in taken]
    return [b.code for b in sorted(free, key=unlikeness)[:limit]]
