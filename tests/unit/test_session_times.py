"""One person's time across sessions: slots of any two sessions overlap exactly when they share a grid step."""

from __future__ import annotations

from datetime import date

import pytest

from meetings.planning import busy_steps, overlapping_slots, periods_away, programme_away, slot_times

ZONE = "Asia/Ho_Chi_Minh"


def session(starts_at: str, minutes: int, count: int) -> dict:
    return {"slots": slot_times(date(2024, 8, 16), starts_at, minutes, count, ZONE)}


def test_steps_are_utc_and_cover_the_slot_exactly():
    first = session("13:30", 20, 1)["slots"][0]
    assert busy_steps(first) == ["2024-08-16T06:30Z", "2024-08-16T06:35Z", "2024-08-16T06:40Z", "2024-08-16T06:45Z"]


@pytest.mark.parametrize(
    "start, minutes, expected",
    [
        ("13:40", 30, ["S01", "S02"]),  # 13:40-14:10 overlaps 13:30-13:50 and 13:50-14:10
        ("14:10", 30, []),  # begins as the hall's last slot ends: back to back is not overlapping
        ("12:00", 90, []),  # 12:00-13:30 ends as the hall begins
        ("13:50", 5, ["S02"]),
    ],
)
def test_overlap_with_a_hall_of_two_20_minute_slots(start, minutes, expected):
    hall = session("13:30", 20, 2)
    other = session(start, minutes, 1)["slots"]
    assert overlapping_slots(hall, other) == expected


def test_the_same_instant_in_another_zone_is_the_same_step():
    slot = {"starts_at": "2024-08-16T13:30:00+07:00", "ends_at": "2024-08-16T13:35:00+07:00"}
    same = {"starts_at": "2024-08-16T06:30:00+00:00", "ends_at": "2024-08-16T06:35:00+00:00"}
    assert busy_steps(slot) == busy_steps(same)


def test_a_site_visit_makes_its_participants_away_for_the_slots_it_overlaps():
    hall = {**session("13:00", 30, 6), "breaks": ["S06"], "tables": ["T01"]}  # 13:00-16:00, the last a break
    edition = {
        "programme": [
            {
                "key": "visit",
                "kind": "site_visit",
                "starts_at": "2024-08-16T06:30:00.000000Z",  # 13:30-15:10 local
                "ends_at": "2024-08-16T08:10:00.000000Z",
            },
            {
                "key": "main",
                "kind": "main_session",
                "starts_at": "2024-08-16T01:00:00.000000Z",
                "ends_at": "2024-08-16T09:00:00.000000Z",
            },
        ]
    }
    participants = [
        {"_id": "on-visit", "site_visits": ["visit"]},
        {"_id": "stays", "site_visits": []},
        {"_id": "unknown-visit", "site_visits": ["gone"]},
    ]
    assert programme_away(hall, edition, participants) == {"on-visit": ["S02", "S03", "S04", "S05"]}
    assert programme_away(hall, {"programme": []}, participants) == {}
    assert programme_away(hall, None, participants) == {}


def test_periods_away_cover_the_usable_slots_they_overlap_in_any_zone():
    hall = {**session("13:00", 30, 6), "breaks": ["S03"], "tables": ["T01"]}  # 13:00-16:00, 14:00 a break
    said = [
        {
            "participation_id": "on-duty",
            "periods": [  # 13:10-14:10 local, written in UTC
                {
                    "kind": "booth_duty",
                    "starts_at": "2024-08-16T06:10:00+00:00",
                    "ends_at": "2024-08-16T07:10:00+00:00",
                },
                {"kind": "other", "starts_at": "2024-08-16T15:30:00+07:00", "ends_at": "2024-08-16T16:30:00+07:00"},
            ],
        },
        {
            "participation_id": "back-to-back",
            "periods": [  # ends as the first slot begins, begins as the last ends
                {
                    "kind": "booth_duty",
                    "starts_at": "2024-08-16T12:00:00+07:00",
                    "ends_at": "2024-08-16T13:00:00+07:00",
                },
                {
                    "kind": "booth_duty",
                    "starts_at": "2024-08-16T16:00:00+07:00",
                    "ends_at": "2024-08-16T17:00:00+07:00",
                },
            ],
        },
        {
            "participation_id": "other-day",
            "periods": [
                {"kind": "booth_duty", "starts_at": "2024-08-17T13:00:00+07:00", "ends_at": "2024-08-17T16:00:00+07:00"}
            ],
        },
        {"participation_id": "nothing", "periods": []},
    ]
    # S03 (14:00) is a break: never a meeting slot, so never reported away
    assert periods_away(hall, said) == {"on-duty": ["S01", "S02", "S06"]}
