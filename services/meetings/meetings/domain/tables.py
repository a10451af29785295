"""Tables for meetings whose slots are decided: each supplier keeps one table where it can.

Buyers walk from table to table; a supplier with samples and banners should
not.  A supplier's table changes are the distinct tables it sits at, minus one.

First a home table per supplier (busiest suppliers first): its locked table
if it has one, else a table free in all of its slots, else the one free in
most of them; meetings whose home is taken in their slot go to a table the
supplier already uses, else the first free one.  When the hall has a table for
every supplier with meetings this keeps every supplier at one table (unless
locks put it at two).  Otherwise, for small sessions, an integer program
(:mod:`meetings.domain.mip`) minimises the distinct tables per supplier,
starting from the greedy answer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from meetings.domain.mip import Program, StageResult
from meetings.domain.model import Booking, Meeting, Session

MAX_COLUMNS = 20_000


def changes(bookings: tuple[Booking, ...] | list[Booking], meetings: Mapping[str, Meeting]) -> int:
    """Sum over suppliers of (distinct tables - 1)."""
    used: defaultdict[str, set[str]] = defaultdict(set)
    for b in bookings:
        if b.table is not None:
            used[meetings[b.meeting_id].supplier].add(b.table)
    return sum(len(t) - 1 for t in used.values())


def _forced(meetings: Mapping[str, Meeting], locks: Mapping[str, Booking], placed: Mapping[str, int]) -> int:
    """Changes no assignment can avoid: a supplier locked at several tables."""
    locked: defaultdict[str, set[str]] = defaultdict(set)
    for mid, lock in locks.items():
        if lock.table is not None and mid in placed:
            locked[meetings[mid].supplier].add(lock.table)
    return sum(len(t) - 1 for t in locked.values())


def assign(
    session: Session,
    meetings: Mapping[str, Meeting],
    placed: Mapping[str, int],
    locks: Mapping[str, Booking],
    exact: bool = True,
) -> tuple[tuple[Booking, ...], StageResult]:
    """A table for every placed meeting (``placed``: meeting -> slot index), locked tables kept.

    A supplier with a reserved table sits at it (no change possible); the
    others are seated among the shared tables as if the hall had only those.
    """
    own = session.table_of
    mine = [
        Booking(mid, session.slots[s], own[meetings[mid].supplier])
        for mid, s in placed.items()
        if meetings[mid].supplier in own
    ]
    if mine:
        shared = {mid: s for mid, s in placed.items() if meetings[mid].supplier not in own}
        rest, result = assign(
            Session(session.slots, session.pool or session.tables),
            meetings,
            shared,
            {mid: lock for mid, lock in locks.items() if mid in shared},
            exact,
        )
        order = {t: i for i, t in enumerate(session.tables)}
        both = sorted([*rest, *mine], key=lambda b: (placed[b.meeting_id], order[b.table]))
        return tuple(both), result
    tables = session.tables
    fixed = {mid: lock.table for mid, lock in locks.items() if lock.table is not None and mid in placed}
    greedy = _greedy(session, meetings, placed, fixed)
    value = changes(list(greedy.values()), meetings)
    bound = _forced(meetings, locks, placed)
    result = StageResult(value, bound, value == bound)
    free = [mid for mid in sorted(placed) if mid not in fixed]
    if exact and value > bound and len(free) * len(tables) <= MAX_COLUMNS:
        better = _exact(session, meetings, placed, fixed, greedy)
        if better is not None:
            bookings, stage = better
            if stage.value <= value:
                greedy, result = (
                    bookings,
                    StageResult(stage.value, max(stage.bound, bound), stage.optimal or stage.value == bound),
                )
    order = {t: i for i, t in enumerate(tables)}
    return tuple(sorted(greedy.values(), key=lambda b: (placed[b.meeting_id], order[b.table]))), result


def _greedy(
    session: Session, meetings: Mapping[str, Meeting], placed: Mapping[str, int], fixed: Mapping[str, str]
) -> dict[str, Booking]:
    taken: dict[tuple[int, str], str] = {(placed[mid], t): mid for mid, t in sorted(fixed.items())}
    slots_of: defaultdict[str, list[str]] = defaultdict(list)
    for mid in sorted(placed):
        slots_of[meetings[mid].supplier].append(mid)
    locked_home: defaultdict[str, list[str]] = defaultdict(list)
    for mid, t in sorted(fixed.items()):
        locked_home[meetings[mid].supplier].append(t)
    home: dict[str, str] = {}
    holder: dict[tuple[int, str], str] = {key: meetings[mid].supplier for key, mid in taken.items()}
    for supplier in sorted(slots_of, key=lambda sup: (-len(slots_of[sup]), sup)):
        mids = slots_of[supplier]
        if locked_home[supplier]:
            choice = min(
                set(locked_home[supplier]), key=lambda t: (-locked_home[supplier].count(t), session.tables.index(t))
            )
        else:
            choice = min(
                session.tables, key=lambda t: (sum((placed[mid], t) in holder for mid in mids), session.tables.index(t))
            )
        home[supplier] = choice
        for mid in mids:
            holder.setdefault((placed[mid], choice), supplier)
    bookings: dict[str, Booking] = {}
    for mid, t in fixed.items():
        bookings[mid] = Booking(mid, session.slots[placed[mid]], t)
    used: defaultdict[str, list[str]] = defaultdict(list)
    deferred = []
    for mid in sorted(placed, key=lambda mid: (placed[mid], mid)):
        if mid in fixed:
            continue
        supplier, s = meetings[mid].supplier, placed[mid]
        if (s, home[supplier]) not in taken and holder.get((s, home[supplier])) == supplier:
            taken[s, home[supplier]] = mid
            bookings[mid] = Booking(mid, session.slots[s], home[supplier])
            used[supplier].append(home[supplier])
        else:
            deferred.append(mid)
    for mid in deferred:
        supplier, s = meetings[mid].supplier, placed[mid]
        options = [t for t in (home[supplier], *used[supplier]) if (s, t) not in taken]
        others = [t for t in session.tables if (s, t) not in taken and (s, t) not in holder]
        table = (options or others or [t for t in session.tables if (s, t) not in taken])[0]
        taken[s, table] = mid
        used[supplier].append(table)
        bookings[mid] = Booking(mid, session.slots[s], table)
    return bookings


def _exact(
    session: Session,
    meetings: Mapping[str, Meeting],
    placed: Mapping[str, int],
    fixed: Mapping[str, str],
    start: Mapping[str, Booking],
) -> tuple[dict[str, Booking], StageResult] | None:
    """Fewest distinct tables per supplier: ``z[m, t]`` a meeting's table, ``u[supplier, t]`` a table used."""
    p = Program()
    locked_at = {(placed[mid], t) for mid, t in fixed.items()}
    suppliers = sorted({meetings[mid].supplier for mid in placed})
    u = {(sup, t): p.column() for sup in suppliers for t in session.tables}
    for mid, t in fixed.items():
        p.lower[u[meetings[mid].supplier, t]] = 1.0
    z: dict[tuple[str, str], int] = {}
    cells: defaultdict[tuple[int, str], dict[int, float]] = defaultdict(dict)
    for mid in sorted(placed):
        if mid in fixed:
            continue
        s = placed[mid]
        row = {}
        for t in session.tables:
            if (s, t) in locked_at:
                continue
            z[mid, t] = col = p.column()
            row[col] = 1.0
            cells[s, t][col] = 1.0
            p.row({col: 1, u[meetings[mid].supplier, t]: -1}, upper=0)
        p.row(row, lower=1, upper=1)
    for entries in cells.values():
        p.row(entries, upper=1)
    begin = [0.0] * len(p.lower)
    for mid, b in start.items():
        if mid not in fixed:
            begin[z[mid, b.table]] = 1.0
        begin[u[meetings[mid].supplier, b.table]] = 1.0
    stage = p.stage(dict.fromkeys(u.values(), 1.0), maximise=False, start=begin)
    if stage is None or p.solution is None:
        return None
    bookings = {mid: Booking(mid, session.slots[placed[mid]], t) for mid, t in fixed.items()}
    for (mid, t), col in z.items():
        if p.solution[col] > 0.5:
            bookings[mid] = Booking(mid, session.slots[placed[mid]], t)
    bookings = {mid: bookings[mid] for mid in sorted(bookings)}
    result = changes(list(bookings.values()), meetings)
    offset = len(suppliers)
    return bookings, StageResult(result, max(stage.bound - offset, 0), stage.optimal)
