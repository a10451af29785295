"""Named interpreters: language-group capacities (Hall's condition) and the per-slot assignment."""

import itertools
import random
from collections import Counter

from meetings.domain.interpreters import Interpreter, assign, capacities, groups
from meetings.domain.model import NO_INTERPRETER, Meeting, Objectives, Session
from meetings.domain.timetable import schedule_meetings

LAN = Interpreter("ip1", frozenset({"ja", "en"}), frozenset({"S1"}))
MINH = Interpreter("ip2", frozenset({"en"}))


def session(slots: int = 2, tables: int = 10) -> Session:
    return Session(tuple(f"S{i}" for i in range(slots)), tuple(f"T{i}" for i in range(tables)))


def meetings(languages: str) -> list[Meeting]:
    """One meeting per letter (j: ja, e: en), each between two people of its own."""
    code = {"j": "ja", "e": "en"}
    return [Meeting(f"m{i}", f"s{i}", f"b{i}", code[c]) for i, c in enumerate(languages)]


def test_groups_are_the_connected_language_sets():
    zh = Interpreter("ip3", frozenset({"zh"}))
    assert groups([LAN, MINH, zh]) == [("en",), ("ja",), ("en", "ja"), ("zh",)]
    caps = capacities([LAN, MINH, zh], ["S0", "S1"])
    assert caps == {
        "en": {"S0": 2, "S1": 1},
        "ja": {"S0": 1, "S1": 0},
        "en+ja": {"S0": 2, "S1": 1},
        "zh": {"S0": 1, "S1": 1},
    }


def test_a_bilingual_interpreter_is_not_counted_twice():
    """In S0 Lan and Minh give 2 English or 1 Japanese + 1 English, never 2 English + 1 Japanese."""
    caps = capacities([LAN, MINH], ["S0", "S1"])
    timetable = schedule_meetings(session(), meetings("eej"), interpreters=caps)
    assert len(timetable.bookings) == 3
    per_slot = Counter(b.slot for b in timetable.bookings)
    assert per_slot["S0"] <= 2 and per_slot["S1"] <= 1  # Lan is away in S1: only Minh there
    at_s1 = [b.meeting_id for b in timetable.bookings if b.slot == "S1"]
    assert all(timetable_language(mid) == "en" for mid in at_s1)
    # four meetings, three seats over the session: one is left out, for want of an interpreter
    four = schedule_meetings(session(), meetings("eeje"), interpreters=caps)
    assert len(four.bookings) == 3 and [u.reason for u in four.unplaced] == [NO_INTERPRETER]


def timetable_language(mid: str) -> str:
    return {"m0": "en", "m1": "en", "m2": "ja"}[mid]


def test_counts_only_sessions_keep_singleton_capacities():
    timetable = schedule_meetings(session(), meetings("jjj"), interpreters={"ja": 1})
    assert len(timetable.bookings) == 2 and timetable.unplaced[0].reason == NO_INTERPRETER


def test_assign_is_a_matching_that_keeps_current_interpreters():
    needs = {"a": ("S0", "en"), "b": ("S0", "ja"), "c": ("S1", "en")}
    # a greedy pick would give Lan to "a" (first id) and leave "b" without; the matching moves "a" to Minh
    out = assign([LAN, MINH], needs)
    assert out == {"a": "ip2", "b": "ip1", "c": "ip2"}
    kept = assign([LAN, MINH], {"a": ("S0", "en")}, current={"a": "ip1"})
    assert kept == {"a": "ip1"}
    assert assign([LAN, MINH], {"x": ("S1", "ja")}) == {"x": None}  # Lan is away, Minh has no Japanese


def test_every_solved_timetable_can_be_staffed():
    """Random people and meetings: the solver's timetable always has a matching (Hall), with and without
    the exact objectives."""
    rng = random.Random(7)
    langs = ["ja", "en", "ko"]
    for trial in range(30):
        slots = [f"S{i}" for i in range(4)]
        people = [
            Interpreter(
                f"ip{i}",
                frozenset(rng.sample(langs, rng.randint(1, 2))),
                frozenset(rng.sample(slots, rng.randint(0, 2))),
            )
            for i in range(rng.randint(1, 4))
        ]
        ms = [
            Meeting(f"m{i:02d}", f"s{rng.randrange(5)}", f"b{rng.randrange(6)}", rng.choice([*langs, None]))
            for i in range(rng.randint(4, 16))
        ]
        ms = list({(m.supplier, m.buyer): m for m in ms}.values())
        caps = capacities(people, slots)
        for aims in (None, Objectives()):
            timetable = schedule_meetings(
                Session(tuple(slots), ("T0", "T1", "T2")), ms, interpreters=caps, objectives=aims
            )
            language = {m.id: m.language for m in ms}
            needs = {
                b.meeting_id: (b.slot, language[b.meeting_id]) for b in timetable.bookings if language[b.meeting_id]
            }
            seated = assign(people, needs)
            assert None not in seated.values(), (trial, needs, people)
            pairs = [(needs[mid][0], pid) for mid, pid in seated.items()]
            assert len(pairs) == len(set(pairs))
            by_id = {p.id: p for p in people}
            for mid, pid in seated.items():
                slot, lang = needs[mid]
                assert lang in by_id[pid].languages and slot not in by_id[pid].away
            # and nothing was refused that a matching could have staffed (a brute-force check on small cases)
            for u in timetable.unplaced:
                if u.reason != NO_INTERPRETER:
                    continue
                m = next(m for m in ms if m.id == u.meeting_id)
                assert not any(staffable(people, needs, m, slot, timetable) for slot in slots)


def staffable(people, needs, m, slot, timetable) -> bool:
    """Whether ``m`` could join ``slot`` as things stand (people free, a table free, interpreters matched)."""
    at = [b for b in timetable.bookings if b.slot == slot]
    meeting_of = {x.id: x for x in timetable.meetings}
    if len(at) >= len(timetable.session.tables):
        return False
    if any({meeting_of[b.meeting_id].supplier, meeting_of[b.meeting_id].buyer} & {m.supplier, m.buyer} for b in at):
        return False
    trial = {mid: need for mid, need in needs.items() if need[0] == slot}
    trial[m.id] = (slot, m.language)
    return None not in assign(people, trial).values()


def test_capacities_are_small_for_a_handful_of_languages():
    people = [Interpreter(f"ip{i}", frozenset(pair)) for i, pair in enumerate(itertools.combinations("abcd", 2))]
    assert len(capacities(people, ["S0"])) == 15  # every non-empty subset of four linked languages
