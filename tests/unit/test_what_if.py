"""The planning aid's what-ifs: one more interpreter, table or slot, and exactly what each would place."""

from __future__ import annotations

from datetime import date

from meetings import planning, what_if
from meetings.domain.model import Objectives
from meetings.domain.timetable import schedule_meetings


def session(slots: int, tables: int, interpreters: dict[str, int] | None = None) -> dict:
    return {
        "_id": "ses_1",
        "slots": planning.slot_times(date(2024, 8, 16), "13:30", 20, slots, "Asia/Ho_Chi_Minh"),
        "breaks": [],
        "tables": planning.table_ids(tables),
        "interpreters": interpreters or {},
    }


def meeting(mid: str, supplier: str, buyer: str, language: str | None = None) -> dict:
    return {
        "_id": mid,
        "status": "accepted",
        "language": language,
        "priority": 0,
        "supplier": {"participation_id": supplier},
        "buyer": {"participation_id": buyer},
    }


def solve_with(accepted: list[dict]):
    def solve(variant: dict):
        return schedule_meetings(
            planning.domain_session(variant),
            [planning.domain_meeting(m) for m in accepted],
            interpreters=planning.interpreter_capacity(variant),
            objectives=Objectives(),
        )

    return solve


def left_out(ses: dict, accepted: list[dict]) -> dict[str, str]:
    return {u.meeting_id: u.reason for u in solve_with(accepted)(ses).unplaced}


def test_a_meeting_without_a_table_is_told_one_more_table_places_it_and_where():
    ses, accepted = session(2, 1), [meeting(f"m{i}", f"s{i}", f"b{i}") for i in range(3)]
    unplaced = left_out(ses, accepted)
    assert list(unplaced.values()) == ["no_table"]
    [hint] = what_if.hints(ses, accepted, unplaced, solve_with(accepted))
    assert hint["meeting_id"] in unplaced
    assert (hint["hint"]["change"], hint["hint"]["places"], len(hint["hint"]["slots"])) == ("table", 1, 1)
    assert hint["hint"]["text"] == f"one more table in slots {hint['hint']['slots'][0]} would place 1 more"


def test_a_buyer_with_no_free_slot_is_told_one_more_slot_at_the_end_places_it():
    ses, accepted = session(2, 3), [meeting(f"m{i}", f"s{i}", "b") for i in range(3)]
    unplaced = left_out(ses, accepted)
    assert list(unplaced.values()) == ["participant_busy"]
    [hint] = what_if.hints(ses, accepted, unplaced, solve_with(accepted))
    assert hint["hint"] == {
        "change": "slot",
        "add": 1,
        "slots": ["S03"],
        "places": 1,
        "text": "one more slot at the end (S03) would place 1 more",
        "text_vi": "thêm một khung giờ ở cuối phiên (S03) sẽ xếp thêm được 1 cuộc gặp",
    }


def test_one_more_interpreter_of_the_language_and_nothing_for_what_no_change_helps():
    ses = session(2, 3, {"ja": 1})
    accepted = [meeting(f"m{i}", f"s{i}", f"b{i}", "ja") for i in range(3)] + [meeting("mx", "sx", "bx")]
    unplaced = left_out(ses, accepted)
    assert list(unplaced.values()) == ["no_interpreter"]
    hints = what_if.hints(ses, accepted, {**unplaced, "mx": "conflict"}, solve_with(accepted))
    assert [h["meeting_id"] for h in hints] == list(unplaced)  # a conflict is solved by running again
    assert {k: hints[0]["hint"][k] for k in ("change", "language", "places")} == {
        "change": "interpreter",
        "language": "ja",
        "places": 1,
    }
    assert what_if.hints(ses, accepted, {}, solve_with(accepted)) == []


def test_a_change_that_places_nothing_says_so():
    ses = session(1, 1, {"ja": 0})  # the buyer is away: nothing helps but its own time
    accepted = [meeting("m0", "s0", "b0", "ja")]
    [hint] = what_if.hints(
        ses,
        accepted,
        {"m0": "no_interpreter"},
        lambda v: schedule_meetings(
            planning.domain_session(v),
            [planning.domain_meeting(accepted[0])],
            {"b0": planning.domain_session(v).slots},
            objectives=Objectives(),
        ),
    )
    assert hint["hint"]["places"] == 0
    assert hint["hint"]["text"] == "one more ja interpreter would not place more meetings"


def test_slot_runs_are_written_as_spans_split_by_gaps():
    assert what_if.spans(["S05", "S01", "S02", "S03"]) == "S01–S03, S05"
    assert what_if.spans(["S07"]) == "S07"
