"""Scheduling B2B meetings into slots and tables, and rescheduling them as the day goes on.

``schedule_meetings`` treats meetings as edges of a bipartite multigraph
(suppliers × buyers) and slots as colours:

1. Locked meetings go where they were locked.
2. The rest, by buyer priority then id, are coloured into
   ``max(Δ, ⌈meetings / tables⌉)`` slots (no schedule can use fewer), those
   the fewest participants are away from, each one
   straight into a free slot or by one Kempe-chain swap (``grid``).  Without
   tables, interpreters or availability in the way this always succeeds, so
   the session takes exactly Δ slots (König).
3. Over-full slots are evened out to the table count (``balance``).
4. Whatever did not fit is tried in every slot of the session.
5. If meetings are still left out and the session is small, an integer
   program (``exact``) checks whether more can be placed.
6. Tables: each supplier keeps one table across the day where it can.

Everything is sorted before use, so the same input in any order gives the
same timetable.  ``reschedule`` keeps every existing booking where it is and
places what is new with the fewest moves (shortest Kempe chain).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from meetings.domain import compact, exact, fair
from meetings.domain import tables as seating
from meetings.domain.balance import balance
from meetings.domain.grid import Grid
from meetings.domain.mip import StageResult
from meetings.domain.model import (
    Booking,
    Changes,
    Meeting,
    Move,
    Objectives,
    Score,
    Session,
    Timetable,
    Unplaced,
    max_degree,
)

Interpreters = Mapping[str, int | Mapping[str, int]]


@dataclass(frozen=True)
class TablesNeeded:
    """Planning aid: tables to rent and the fewest slots any schedule needs (Δ)."""

    tables: int
    min_slots: int
    fits: bool  # Δ <= slots: the session is long enough for the busiest participant


def tables_needed(accepted_meetings: Sequence[Meeting], slots: int | Sequence[str], spare: float = 0.1) -> TablesNeeded:
    """Tables = ⌈meetings / slots⌉ plus ``spare`` (rounded up); slot lower bound = Δ.

    With that many tables and at least Δ slots every meeting fits (equitable
    edge colouring), so the spare is for late requests and no-shows.
    """
    n_slots = slots if isinstance(slots, int) else len(slots)
    if n_slots <= 0:
        raise ValueError("a session needs at least one slot")
    base = math.ceil(len(accepted_meetings) / n_slots)
    delta = max_degree(list(accepted_meetings))
    return TablesNeeded(math.ceil(base * (1 + spare)), delta, delta <= n_slots)


def priority_key(meetings: Mapping[str, Meeting]) -> Callable[[str], tuple[int, str]]:
    """Buyer priority first (higher first), then meeting id: the deterministic order of placement."""
    return lambda mid: (-meetings[mid].priority, mid)


def _index_meetings(meetings: Iterable[Meeting]) -> dict[str, Meeting]:
    by_id: dict[str, Meeting] = {}
    for m in sorted(meetings, key=lambda m: m.id):
        if m.id in by_id:
            raise ValueError(f"meeting {m.id} appears twice")
        by_id[m.id] = m
    suppliers = {m.supplier for m in by_id.values()}
    both = suppliers & {m.buyer for m in by_id.values()}
    if both:
        raise ValueError(f"participants on both sides (must be supplier or buyer): {sorted(both)}")
    return by_id


def _normalise_interpreters(session: Session, interpreters: Interpreters | None) -> dict[str, tuple[int, ...]]:
    out = {}
    for language, caps in sorted((interpreters or {}).items()):
        if isinstance(caps, int):
            out[language] = (caps,) * len(session.slots)
        else:
            unknown = set(caps) - set(session.slots)
            if unknown:
                raise ValueError(f"interpreters for {language}: unknown slots {sorted(unknown)}")
            out[language] = tuple(caps.get(s, 0) for s in session.slots)
    return out


def _grid(timetable: Timetable, meetings: dict[str, Meeting]) -> Grid:
    index = {s: i for i, s in enumerate(timetable.session.slots)}
    away = {p: frozenset(index[s] for s in slots) for p, slots in timetable.away.items()}
    return Grid(
        meetings,
        len(index),
        len(timetable.session.pool),
        away,
        dict(timetable.interpreters),
        frozenset(timetable.session.table_of),
    )


def _assign_tables(session: Session, grid: Grid, wanted: Mapping[str, Booking]) -> tuple[Booking, ...]:
    """Tables slot by slot: a supplier with a reserved table sits there; any other meeting keeps the shared
    table it had (or was locked to) when that slot is unchanged, else takes its old table, else its
    supplier's table, else the first free one."""
    by_slot: dict[int, list[str]] = {}
    own = session.table_of
    bookings = [
        Booking(mid, session.slots[s], own[grid.meetings[mid].supplier])
        for mid, s in grid.slot.items()
        if not grid.pooled(mid)
    ]
    for mid, s in grid.slot.items():
        if grid.pooled(mid):
            by_slot.setdefault(s, []).append(mid)
    order = {t: i for i, t in enumerate(session.tables)}
    home: dict[str, str] = {}
    for s in sorted(by_slot):
        slot = session.slots[s]
        taken: dict[str, str] = {}
        mids = sorted(by_slot[s])
        for mid in mids:
            w = wanted.get(mid)
            if w is not None and w.slot == slot and w.table in session.pool and w.table not in taken:
                taken[w.table] = mid
        kept = set(taken.values())
        rest = [mid for mid in mids if mid not in kept]
        free = [t for t in session.pool if t not in taken]
        for mid in rest:
            supplier = grid.meetings[mid].supplier
            old = wanted[mid].table if mid in wanted else None
            table = next((t for t in (old, home.get(supplier)) if t is not None and t in free), free[0])
            free.remove(table)
            taken[table] = mid
        for table, mid in taken.items():
            home[grid.meetings[mid].supplier] = table
            bookings.append(Booking(mid, slot, table))
    return tuple(sorted(bookings, key=lambda b: (grid.slot[b.meeting_id], order[b.table])))


def schedule_meetings(
    session: Session,
    meetings: Iterable[Meeting],
    availability: Mapping[str, Iterable[str]] | None = None,
    interpreters: Interpreters | None = None,
    locked: Iterable[Booking] = (),
    objectives: Objectives | None = None,
) -> Timetable:
    """Place every meeting that can be placed; list the rest with the reason.

    ``availability``: participant -> slots they are away (site visit, booth
    duty); anyone not listed is available all session.  ``interpreters``:
    language -> interpreters per slot (one number for all slots, or per slot
    id).  ``locked``: bookings picked by participants or fixed by organisers;
    they never move and must be consistent with each other.  ``objectives``:
    what to optimise after the count, exactly where the session is small
    enough (:mod:`meetings.domain.fair`, :mod:`meetings.domain.tables`), with
    each objective's value and bound in ``scores``; None keeps the heuristic
    alone (the fast path, no scores).
    """
    by_id = _index_meetings(meetings)
    index = {s: i for i, s in enumerate(session.slots)}
    away = {}
    for participant, slots in sorted((availability or {}).items()):
        unknown = set(slots) - set(index)
        if unknown:
            raise ValueError(f"{participant} away in unknown slots {sorted(unknown)}")
        away[participant] = frozenset(slots)
    locks = {b.meeting_id: _honour_reserved(session, by_id, b) for b in sorted(locked, key=lambda b: b.meeting_id)}
    timetable = Timetable(
        session,
        tuple(by_id.values()),
        (),
        (),
        away,
        _normalise_interpreters(session, interpreters),
        frozenset(locks),
    )
    grid = _grid(timetable, by_id)
    lock_tables: set[tuple[str, str | None]] = set()
    for mid, lock in locks.items():
        if mid not in by_id or lock.slot not in index:
            raise ValueError(f"lock {lock}: unknown meeting or slot")
        if lock.table is not None and (lock.table not in session.tables or (lock.slot, lock.table) in lock_tables):
            raise ValueError(f"lock {lock}: unknown or doubly locked table")
        lock_tables.add((lock.slot, lock.table))
        if (why := grid.blocker(by_id[mid], index[lock.slot])) is not None:
            raise ValueError(f"lock {lock} cannot be honoured: {why}")
        grid.place(mid, index[lock.slot])
        grid.pinned.add(mid)

    key = priority_key(by_id)
    order = sorted((mid for mid in by_id if mid not in locks), key=key)
    shared = sum(grid.pooled(mid) for mid in by_id)
    lower = min(len(index), max(max_degree(list(by_id.values())), math.ceil(shared / max(grid.tables, 1)), 1))
    # the palette: the slots fewest participants are away from (the earliest first among equals), so
    # that a site visit in the first slot does not cost the session an extra slot
    away_count = {i: sum(slot in slots for slots in away.values()) for slot, i in index.items()}
    first = sorted(sorted(range(len(index)), key=lambda i: (away_count[i], i))[:lower])
    grid.enforce_tables = False
    failed = [mid for mid in order if grid.insert(mid, first) is None]
    grid.enforce_tables = True
    failed += balance(grid, first, key)
    everywhere = list(range(len(index)))
    unplaced = [mid for mid in sorted(failed, key=key) if grid.insert(mid, everywhere) is None]

    outcome = fair.solve(grid, objectives) if objectives is not None else None
    if outcome is not None and len(outcome.slots) >= len(grid.slot) - len(grid.pinned):
        for mid in order:
            if mid in grid.slot:
                grid.remove(mid)
        for mid, s in sorted(outcome.slots.items()):
            grid.place(mid, s)
        unplaced = [mid for mid in order if mid not in grid.slot]
    elif unplaced:
        better = exact.best_placement(grid, order)
        if (
            better is not None
            and exact.worth_of(list(better), order)
            > exact.worth_of([mid for mid in order if mid in grid.slot], order) + 1e-9
        ):
            for mid in order:
                if mid in grid.slot:
                    grid.remove(mid)
            for mid, s in sorted(better.items()):
                grid.place(mid, s)
            unplaced = [mid for mid in order if mid not in grid.slot]

    if objectives is not None and objectives.compact:
        compact.improve(grid)
    scores: tuple[Score, ...] = ()
    if objectives is None:
        bookings = _assign_tables(session, grid, locks)
    else:
        bookings, table_stage = seating.assign(session, by_id, grid.slot, locks, exact=objectives.keep_tables)
        scores = _scores(grid, objectives, outcome, table_stage)
    return Timetable(
        session,
        timetable.meetings,
        bookings,
        tuple(Unplaced(mid, grid.reason(by_id[mid], everywhere)) for mid in unplaced),
        timetable.away,
        timetable.interpreters,
        timetable.locked,
        scores=scores,
    )


def _honour_reserved(session: Session, meetings: Mapping[str, Meeting], lock: Booking) -> Booking:
    """A lock keeps its time; its table gives way to a reservation made after it (its supplier's own table,
    or a table now reserved for another supplier), and the run seats it again."""
    if lock.table is None or lock.meeting_id not in meetings:
        return lock
    own = session.table_of.get(meetings[lock.meeting_id].supplier)
    if (own is not None and lock.table != own) or (own is None and lock.table not in session.pool):
        return Booking(lock.meeting_id, lock.slot, None)
    return lock


def _scores(
    grid: Grid, objectives: Objectives, outcome: fair.Outcome | None, table_stage: StageResult
) -> tuple[Score, ...]:
    """Each objective's value and bound: the solver's (``exact``), a counting bound when the session was too
    large for it (``heuristic``), or none for an objective the organiser did not ask for (``not_asked``)."""
    who = "participant" if objectives.fairness == "participant" else "buyer"
    demand = fair.group_of(grid, who)
    count = dict.fromkeys(demand, 0)
    for mid in grid.slot:
        m = grid.meetings[mid]
        for person in (m.supplier, m.buyer):
            if person in count:
                count[person] += 1
    reach = {person: min(d, grid.n_slots - len(grid.away.get(person, ()))) for person, d in demand.items()}
    least = min(count.values(), default=0)
    gaps = compact.total(grid)

    def score(name: str, value: int, asked: bool, stage: StageResult | None, counting: int | None) -> Score:
        if not asked:
            return Score(name, value, None, False, "not_asked")
        if outcome is not None and stage is not None:
            return Score(name, value, stage.bound, value == stage.bound, "exact")
        return Score(name, value, counting, value == counting, "heuristic")

    levels = outcome.levels if outcome is not None else ()
    min_bound = min(reach.values(), default=0)
    if levels:  # everyone can have k meetings exactly when levels 1..k can all be full
        min_bound = min(
            min_bound, next((k for k, level in enumerate(levels) if level.bound < len(demand)), len(levels))
        )
    buyers = fair.group_of(grid, "buyer")
    placed_bound = min(
        len(grid.meetings),
        (grid.tables + len(grid.reserved)) * grid.n_slots,
        sum(min(d, grid.n_slots - len(grid.away.get(b, ()))) for b, d in buyers.items()),
    )
    priority = sum(grid.meetings[mid].priority for mid in grid.slot)
    fairness = objectives.fairness != "none"
    any_priority = any(m.priority for m in grid.meetings.values())
    return (
        score("placed", len(grid.slot), True, outcome.placed if outcome else None, placed_bound),
        score(
            f"{who}s_served",
            sum(1 for c in count.values() if c),
            fairness,
            levels[0] if levels else None,
            sum(1 for r in reach.values() if r),
        ),
        score(
            f"min_per_{who}",
            least,
            fairness,
            StageResult(least, min_bound, least == min_bound) if levels else None,
            min_bound,
        ),
        score(
            "priority",
            priority,
            True,
            outcome.priority if outcome and any_priority else StageResult(0, 0, True) if not any_priority else None,
            sum(m.priority for m in grid.meetings.values()),
        ),
        Score("idle_gaps", gaps, 0, gaps == 0, "heuristic")
        if objectives.compact
        else Score("idle_gaps", gaps, None, False, "not_asked"),
        Score("table_changes", table_stage.value, table_stage.bound, table_stage.optimal, "exact")
        if objectives.keep_tables
        else Score("table_changes", table_stage.value, None, False, "not_asked"),
    )


def evaluate(timetable: Timetable, objectives: Objectives) -> tuple[Score, ...]:
    """The objectives' values of a timetable a reschedule kept (it moves as few meetings as possible rather
    than optimising), each beside the counting bound: what the organiser gives up by not running in full.
    Method ``incremental``; nothing is proven but what reaches its bound."""
    by_id = {m.id: m for m in timetable.meetings}
    grid = _grid(timetable, by_id)
    index = {s: i for i, s in enumerate(timetable.session.slots)}
    for b in timetable.bookings:
        grid.place(b.meeting_id, index[b.slot])
    value = seating.changes(timetable.bookings, by_id)
    scores = _scores(grid, objectives, None, StageResult(value, 0, value == 0))
    return tuple(s if s.method == "not_asked" else replace(s, method="incremental") for s in scores)


def reschedule(previous: Timetable, changes: Changes) -> Timetable:
    """Apply cancellations, no-shows and late requests, moving as few existing meetings as possible.

    Every existing booking stays in its slot (and at its table) unless a new
    or rebooked meeting can only get in by a Kempe swap, and then the shortest
    swap is taken.  Locked meetings and bookings up to ``changes.now`` never
    move; no-shows and new meetings go after ``now``.  ``moved`` lists the
    existing meetings whose slot or table changed (including rebooked no-shows).
    """
    known = {m.id for m in previous.meetings}
    for mid in (*changes.cancel, *changes.no_show):
        if mid not in known:
            raise ValueError(f"unknown meeting {mid}")
    cancelled = set(changes.cancel)
    by_id = _index_meetings([*(m for m in previous.meetings if m.id not in cancelled), *changes.add])
    slots = previous.session.slots
    index = {s: i for i, s in enumerate(slots)}
    if changes.now is not None and changes.now not in index:
        raise ValueError(f"unknown slot {changes.now}")
    now = index[changes.now] if changes.now is not None else -1
    no_show = set(changes.no_show) - cancelled
    locked = frozenset(previous.locked - cancelled - no_show)
    grid = _grid(previous, by_id)
    before = {b.meeting_id: b for b in previous.bookings if b.meeting_id in by_id}
    for mid, b in before.items():
        if mid in no_show:
            continue
        grid.place(mid, index[b.slot])
        if mid in locked or index[b.slot] <= now:
            grid.pinned.add(mid)
    key = priority_key(by_id)
    later = list(range(now + 1, len(slots)))
    pending = sorted((mid for mid in by_id if mid not in grid.slot), key=key)
    unplaced = [mid for mid in pending if grid.insert(mid, later, minimal=True) is None]
    wanted = {mid: b for mid, b in before.items() if mid not in no_show}
    wanted.update({mid: Booking(mid, "", b.table) for mid, b in before.items() if mid in no_show})
    bookings = _assign_tables(previous.session, grid, wanted)
    after = {b.meeting_id: b for b in bookings}
    moved = tuple(Move(mid, b, after[mid]) for mid, b in sorted(before.items()) if mid in after and after[mid] != b)
    return Timetable(
        previous.session,
        tuple(by_id.values()),
        bookings,
        tuple(Unplaced(mid, grid.reason(by_id[mid], later)) for mid in unplaced),
        previous.away,
        previous.interpreters,
        locked,
        moved,
    )
