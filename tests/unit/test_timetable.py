import itertools
import math
import random
from collections import Counter

import pytest

from meetings.domain.model import (
    NO_INTERPRETER,
    NO_TABLE,
    PARTICIPANT_BUSY,
    UNAVAILABLE,
    Booking,
    Changes,
    Meeting,
    Session,
    Timetable,
    max_degree,
)
from meetings.domain.timetable import reschedule, schedule_meetings, tables_needed


def session(slots: int, tables: int) -> Session:
    return Session(tuple(f"t{i:02d}" for i in range(slots)), tuple(f"T{i:02d}" for i in range(tables)))


def random_meetings(rng: random.Random, count: int, suppliers: int, buyers: int, languages: str = "") -> list[Meeting]:
    return [
        Meeting(
            f"m{i:03d}",
            f"s{rng.randrange(suppliers)}",
            f"b{rng.randrange(buyers)}",
            language=rng.choice([None, None, *languages]) if languages else None,
            priority=rng.randrange(3),
        )
        for i in range(count)
    ]


def assert_valid(tt: Timetable) -> None:
    """Every rule of a timetable, checked from scratch."""
    meetings = {m.id: m for m in tt.meetings}
    index = {s: i for i, s in enumerate(tt.session.slots)}
    people, tables, langs = Counter(), Counter(), Counter()
    for b in tt.bookings:
        m = meetings[b.meeting_id]
        assert b.slot in index and b.table in tt.session.tables
        own = tt.session.table_of.get(m.supplier)
        assert b.table == own if own is not None else b.table in tt.session.pool, f"{b} at a reserved table"
        for person in (m.supplier, m.buyer):
            people[person, b.slot] += 1
            assert b.slot not in tt.away.get(person, ()), f"{person} is away in {b.slot}"
        tables[b.slot, b.table] += 1
        if m.language is not None:
            langs[m.language, b.slot] += 1
    assert max(people.values(), default=0) <= 1
    assert max(tables.values(), default=0) <= 1
    for (language, slot), n in langs.items():
        assert n <= tt.interpreters.get(language, (0,) * len(index))[index[slot]]
    placed = {b.meeting_id for b in tt.bookings}
    unplaced = {u.meeting_id for u in tt.unplaced}
    assert len(placed) == len(tt.bookings) and not placed & unplaced and placed | unplaced == set(meetings)


# -- König: Δ slots whenever only people constrain -----------------------------------------------------


@pytest.mark.parametrize("seed", range(200))
def test_delta_slots_on_random_bipartite_multigraphs(seed):
    rng = random.Random(seed)
    meetings = random_meetings(rng, rng.randint(1, 120), rng.randint(1, 25), rng.randint(1, 10))
    delta = max_degree(meetings)
    tt = schedule_meetings(session(delta + 3, len(meetings)), meetings)
    assert_valid(tt)
    assert not tt.unplaced
    assert tt.slots_used == delta == tt.delta
    assert {b.slot for b in tt.bookings} == set(tt.session.slots[:delta])


@pytest.mark.parametrize("seed", range(60))
def test_just_enough_tables_and_delta_slots_fit_everything(seed):
    """Equitable colouring: ⌈m / Δ⌉ tables and exactly Δ slots hold every meeting."""
    rng = random.Random(1000 + seed)
    meetings = random_meetings(rng, rng.randint(1, 100), rng.randint(2, 20), rng.randint(2, 8))
    delta = max_degree(meetings)
    tt = schedule_meetings(session(delta, math.ceil(len(meetings) / delta)), meetings)
    assert_valid(tt)
    assert not tt.unplaced


def test_a_late_arrival_does_not_cost_a_slot():
    """A buyer away in the first slot: the palette is the slots everyone can make, still Δ of them."""
    meetings = [Meeting(f"m{i}", f"s{i}", "b1") for i in range(3)] + [Meeting("m9", "s0", "b2")]
    tt = schedule_meetings(session(5, 3), meetings, availability={"b1": ["t00"]})
    assert_valid(tt)
    assert (tt.slots_used, tt.delta, tt.unplaced) == (3, 3, ())
    assert all(b.slot != "t00" for b in tt.bookings if b.meeting_id in {"m0", "m1", "m2"})


def test_a_dense_regular_case_needs_exactly_delta():
    meetings = [Meeting(f"m{s}{b}{k}", f"s{s}", f"b{b}") for s in range(5) for b in range(5) for k in range(2)]
    tt = schedule_meetings(session(12, 25), meetings)
    assert_valid(tt)
    assert tt.slots_used == 10 and not tt.unplaced


# -- infeasible sessions: as many as possible, checked by brute force ------------------------------------


def brute_force_max(meetings, n_slots, n_tables, away, interpreters) -> int:
    best = 0
    for choice in itertools.product(range(-1, n_slots), repeat=len(meetings)):
        placed = sum(1 for c in choice if c >= 0)
        if placed <= best:
            continue
        people, tables, langs = set(), Counter(), Counter()
        ok = True
        for m, s in zip(meetings, choice, strict=True):
            if s < 0:
                continue
            slot = f"t{s:02d}"
            if slot in away.get(m.supplier, ()) or slot in away.get(m.buyer, ()):
                ok = False
                break
            if (m.supplier, s) in people or (m.buyer, s) in people:
                ok = False
                break
            people |= {(m.supplier, s), (m.buyer, s)}
            tables[s] += 1
            if m.language:
                langs[m.language, s] += 1
            if tables[s] > n_tables or (m.language and langs[m.language, s] > interpreters.get(m.language, 0)):
                ok = False
                break
        if ok:
            best = placed
    return best


@pytest.mark.parametrize("seed", range(60))
def test_infeasible_tiny_sessions_place_the_maximum(seed):
    rng = random.Random(5000 + seed)
    n_slots, n_tables = rng.randint(1, 3), rng.randint(1, 2)
    meetings = random_meetings(rng, rng.randint(2, 7), 3, 3, languages="ej")
    away = {p: {f"t{rng.randrange(n_slots):02d}"} for p in ("s0", "b1") if rng.random() < 0.5}
    interpreters = {"e": rng.randint(0, 1), "j": 1}
    tt = schedule_meetings(session(n_slots, n_tables), meetings, away, interpreters)
    assert_valid(tt)
    assert len(tt.bookings) == brute_force_max(meetings, n_slots, n_tables, away, interpreters)


def test_priority_decides_who_is_left_out():
    meetings = [Meeting("a", "s1", "b1", priority=0), Meeting("b", "s2", "b2", priority=5)]
    tt = schedule_meetings(session(1, 1), meetings)
    assert [b.meeting_id for b in tt.bookings] == ["b"]
    assert [(u.meeting_id, u.reason) for u in tt.unplaced] == [("a", NO_TABLE)]


# -- reasons, interpreters, availability, locks ------------------------------------------------------------


def test_reasons():
    tt = schedule_meetings(
        session(1, 5),
        [
            Meeting("busy1", "s1", "b1"),
            Meeting("busy2", "s1", "b2"),
            Meeting("away", "s3", "b3"),
            Meeting("lang", "s4", "b4", language="ja"),
        ],
        availability={"b3": ["t00"]},
        interpreters={"ja": 0},
    )
    assert_valid(tt)
    assert {u.meeting_id: u.reason for u in tt.unplaced} == {
        "busy2": PARTICIPANT_BUSY,
        "away": UNAVAILABLE,
        "lang": NO_INTERPRETER,
    }


def test_interpreters_limit_per_language_per_slot():
    meetings = [Meeting(f"m{i}", f"s{i}", f"b{i}", language="ko") for i in range(6)]
    tt = schedule_meetings(session(3, 10), meetings, interpreters={"ko": {"t00": 2, "t01": 1, "t02": 2}})
    assert_valid(tt)
    assert Counter(b.slot for b in tt.bookings) == {"t00": 2, "t01": 1, "t02": 2}
    assert [u.reason for u in tt.unplaced] == [NO_INTERPRETER]


def test_availability_is_respected_and_delta_still_reached_when_possible():
    meetings = [Meeting("m1", "s1", "b1"), Meeting("m2", "s1", "b2"), Meeting("m3", "s2", "b1")]
    tt = schedule_meetings(session(3, 5), meetings, availability={"b1": ["t00"], "s2": ["t02"]})
    assert_valid(tt)
    assert not tt.unplaced
    assert tt.booking("m3").slot == "t01" and tt.booking("m1").slot == "t02"


def test_locked_meetings_stay_and_others_work_around_them():
    rng = random.Random(7)
    meetings = random_meetings(rng, 60, 12, 6)
    lock = [Booking("m000", "t05", "T03"), Booking("m001", "t00")]
    tt = schedule_meetings(session(20, 8), meetings, locked=lock)
    assert_valid(tt)
    assert tt.booking("m000") == lock[0]
    assert tt.booking("m001").slot == "t00"
    assert not tt.unplaced


def test_conflicting_locks_are_refused():
    with pytest.raises(ValueError, match="participant_busy"):
        schedule_meetings(
            session(2, 2),
            [Meeting("a", "s1", "b1"), Meeting("b", "s1", "b2")],
            locked=[Booking("a", "t00"), Booking("b", "t00")],
        )


def test_a_participant_on_both_sides_is_refused():
    with pytest.raises(ValueError, match="both sides"):
        schedule_meetings(session(2, 2), [Meeting("a", "x", "y"), Meeting("b", "y", "z")])


def test_deterministic_whatever_the_input_order():
    rng = random.Random(11)
    meetings = random_meetings(rng, 150, 30, 8, languages="ej")
    away = {"s1": ["t01", "t02"], "b2": ["t05"]}
    interpreters = {"e": 3, "j": 2}
    first = schedule_meetings(session(24, 6), meetings, away, interpreters)
    for _ in range(3):
        rng.shuffle(meetings)
        shuffled_away = dict(reversed(list(away.items())))
        assert schedule_meetings(session(24, 6), meetings, shuffled_away, interpreters) == first


def test_a_supplier_keeps_one_table_when_it_can():
    meetings = [Meeting(f"m{i}", "s1", f"b{i}") for i in range(4)] + [Meeting("x", "s2", "b9")]
    tt = schedule_meetings(session(4, 3), meetings)
    assert len({b.table for b in tt.bookings if b.meeting_id.startswith("m")}) == 1


# -- incremental -------------------------------------------------------------------------------------------


def base_timetable() -> Timetable:
    rng = random.Random(3)
    meetings = random_meetings(rng, 80, 15, 6)
    return schedule_meetings(session(max_degree(meetings) + 2, 10), meetings, locked=[Booking("m005", "t03")])


def test_cancelling_moves_nothing():
    before = base_timetable()
    after = reschedule(before, Changes(cancel=("m010",)))
    assert_valid(after)
    assert after.moved == ()
    assert after.booking("m010") is None
    assert set(after.bookings) == set(before.bookings) - {before.booking("m010")}


def test_a_late_request_with_room_moves_nothing():
    before = base_timetable()
    after = reschedule(before, Changes(add=(Meeting("late", "s-new", "b-new"),)))
    assert_valid(after)
    assert after.moved == () and after.booking("late") is not None


def test_a_late_request_that_needs_a_swap_moves_the_shortest_chain():
    a, e = Meeting("a", "s1", "b1"), Meeting("e", "s3", "b2")
    before = Timetable(
        session(2, 5), (a, e), (Booking("a", "t00", "T00"), Booking("e", "t01", "T01")), (), locked=frozenset({"a"})
    )
    after = reschedule(before, Changes(add=(Meeting("c", "s1", "b2"),)))
    assert_valid(after)
    assert after.booking("a") == before.booking("a")  # locked
    assert [(m.meeting_id, m.after.slot, m.after.table) for m in after.moved] == [("e", "t00", "T01")]
    assert after.booking("c").slot == "t01" and not after.unplaced


def test_locked_meetings_never_move_in_a_reschedule():
    before = base_timetable()
    rng = random.Random(4)
    late = tuple(random_meetings(rng, 30, 15, 6))
    late = tuple(Meeting(f"late{m.id}", m.supplier, m.buyer) for m in late)
    after = reschedule(before, Changes(add=late))
    assert_valid(after)
    assert after.booking("m005") == before.booking("m005")
    assert "m005" not in {m.meeting_id for m in after.moved}
    moved = {m.meeting_id for m in after.moved}
    assert all(after.booking(b.meeting_id) == b for b in before.bookings if b.meeting_id not in moved)


def test_a_no_show_is_rebooked_later_and_history_stays():
    before = base_timetable()
    target = next(b for b in before.bookings if b.slot == "t02" and b.meeting_id != "m005")
    after = reschedule(before, Changes(no_show=(target.meeting_id,), now="t02"))
    assert_valid(after)
    rebooked = after.booking(target.meeting_id)
    assert rebooked is None or rebooked.slot > "t02"
    for b in before.bookings:
        if b.slot <= "t02" and b.meeting_id != target.meeting_id:
            assert after.booking(b.meeting_id) == b


def test_tables_needed():
    meetings = [Meeting(f"m{i}", f"s{i % 60}", f"b{i % 15}") for i in range(300)]
    need = tables_needed(meetings, 24)
    assert need.tables == math.ceil(math.ceil(300 / 24) * 1.1) == 15
    assert need.min_slots == 20 and need.fits
    assert not tables_needed(meetings, 12).fits
