"""What meeting scheduling takes and gives: sessions, meetings, bookings, timetables, changes.

Plain frozen dataclasses validated on construction, so a bad request fails
where it is written rather than deep inside the scheduler.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

PARTICIPANT_BUSY = "participant_busy"
NO_TABLE = "no_table"
NO_INTERPRETER = "no_interpreter"
UNAVAILABLE = "unavailable"
# The order in which a slot is ruled out for a meeting; the reason given for an
# unplaced meeting is the furthest any slot got, i.e. what really stood in the way.
REASONS = (UNAVAILABLE, PARTICIPANT_BUSY, NO_TABLE, NO_INTERPRETER)


FAIRNESS = ("buyer", "participant", "none")


@dataclass(frozen=True)
class Objectives:
    """What the organiser asks of a timetable beyond "place as many as possible", in lexicographic order.

    ``fairness``: then raise the fewest meetings any buyer (or any participant)
    gets, level by level (as many as possible get one, then two, ...), so the
    places that exist are shared rather than given to whoever came first in
    priority order; ``none`` skips it.  Then buyer priority.  ``compact``: then
    the fewest idle gaps in a participant's day.  ``keep_tables``: then the
    fewest table changes per supplier (a supplier keeps one table).
    """

    fairness: str = "buyer"
    keep_tables: bool = True
    compact: bool = True

    def __post_init__(self) -> None:
        if self.fairness not in FAIRNESS:
            raise ValueError(f"fairness must be one of {FAIRNESS}")


@dataclass(frozen=True)
class Score:
    """One objective of a timetable: its value, the best any timetable could do (``bound``; for a
    minimised objective a lower bound) and whether the value is proven to reach it.

    ``method`` says how it was decided: ``exact`` (an integer program, optimal
    unless its work limit stopped it), ``heuristic`` (too large for one; the
    bound is then a simple counting bound and may be loose) or ``incremental``
    (a run that moved as few meetings as possible instead of optimising; the
    value is what it kept, beside the counting bound).
    """

    name: str
    value: int
    bound: int | None
    optimal: bool
    method: str


@dataclass(frozen=True)
class Session:
    """One B2B session: ordered time slots (e.g. 20 minutes each) and the tables in the hall.

    ``reserved``: (supplier, table) pairs, a table of its own for a supplier
    with samples to set out; its meetings sit there whatever the slot, and no
    one else's do.  The other suppliers share the ``pool``.
    """

    slots: tuple[str, ...]
    tables: tuple[str, ...]
    reserved: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if len(set(self.slots)) != len(self.slots) or len(set(self.tables)) != len(self.tables):
            raise ValueError("slot and table ids must be unique")
        if not self.tables:
            raise ValueError("a session needs at least one table")
        suppliers, tables = [s for s, _ in self.reserved], [t for _, t in self.reserved]
        if len(set(suppliers)) != len(suppliers) or len(set(tables)) != len(tables):
            raise ValueError("a supplier has one reserved table, a table one supplier")
        if set(tables) - set(self.tables):
            raise ValueError(f"reserved tables not in the hall: {sorted(set(tables) - set(self.tables))}")

    @property
    def table_of(self) -> dict[str, str]:
        """supplier -> its reserved table."""
        return dict(self.reserved)

    @property
    def pool(self) -> tuple[str, ...]:
        """The tables suppliers without one of their own share, in hall order."""
        mine = {t for _, t in self.reserved}
        return tuple(t for t in self.tables if t not in mine)


@dataclass(frozen=True)
class Meeting:
    """An accepted request: one supplier meets one buyer.

    ``priority`` is the buyer's priority (higher is placed first when not all
    fit); ``language`` is the interpreter language the meeting needs, if any.
    """

    id: str
    supplier: str
    buyer: str
    language: str | None = None
    priority: int = 0

    def __post_init__(self) -> None:
        if self.supplier == self.buyer:
            raise ValueError(f"meeting {self.id}: a participant cannot meet themselves")


@dataclass(frozen=True)
class Booking:
    """A meeting's place: slot and table.  In a lock, ``table`` may be None (only the time is fixed)."""

    meeting_id: str
    slot: str
    table: str | None = None


@dataclass(frozen=True)
class Unplaced:
    meeting_id: str
    reason: str  # one of REASONS


@dataclass(frozen=True)
class Move:
    """An existing meeting whose time or table changed in a reschedule."""

    meeting_id: str
    before: Booking
    after: Booking


@dataclass(frozen=True)
class Changes:
    """What happened since a timetable was published.

    ``now``: the last slot that has started; bookings up to it are history and
    never move, and nothing new is placed there.  ``no_show``: meetings that
    did not happen and are rebooked after ``now``.
    """

    cancel: tuple[str, ...] = ()
    add: tuple[Meeting, ...] = ()
    no_show: tuple[str, ...] = ()
    now: str | None = None


@dataclass(frozen=True)
class Timetable:
    """A schedule together with the problem it solves, so that it can be rescheduled on its own.

    ``away``: participant -> slots they are not available; ``interpreters``:
    language -> interpreters per slot (in session slot order).  ``moved`` is
    filled by ``reschedule`` only; ``scores`` by ``schedule_meetings`` when asked
    for objectives.
    """

    session: Session
    meetings: tuple[Meeting, ...]
    bookings: tuple[Booking, ...]
    unplaced: tuple[Unplaced, ...]
    away: Mapping[str, frozenset[str]] = field(default_factory=dict)
    interpreters: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    locked: frozenset[str] = frozenset()
    moved: tuple[Move, ...] = ()
    scores: tuple[Score, ...] = ()

    def booking(self, meeting_id: str) -> Booking | None:
        return next((b for b in self.bookings if b.meeting_id == meeting_id), None)

    @property
    def slots_used(self) -> int:
        return len({b.slot for b in self.bookings})

    @property
    def delta(self) -> int:
        """The most meetings any participant has: no schedule can use fewer slots."""
        return max_degree(self.meetings)


def max_degree(meetings: tuple[Meeting, ...] | list[Meeting]) -> int:
    degree: dict[str, int] = {}
    for m in meetings:
        degree[m.supplier] = degree.get(m.supplier, 0) + 1
        degree[m.buyer] = degree.get(m.buyer, 0) + 1
    return max(degree.values(), default=0)
