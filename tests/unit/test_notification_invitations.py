"""Meeting invitations built from meeting events: one calendar entry per meeting, updated in order."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar

from notifications.invitations import invitation

MEETING = {
    "meeting_id": "mtg_7f3a",
    "sequence": 0,
    "status": "accepted",
    "table": "T07",
    "starts_at": "2025-07-10T14:10:00+07:00",
    "ends_at": "2025-07-10T14:30:00+07:00",
    "timezone": "Asia/Ho_Chi_Minh",
}


def parsed(attachment: dict[str, str]) -> tuple[Calendar, dict]:
    cal = Calendar.from_ical(attachment["content"])
    [event] = cal.walk("VEVENT")
    return cal, event


def test_scheduled_moved_and_cancelled_share_one_uid_with_rising_sequence():
    first = invitation(MEETING, "Kansai Food Import", "Kết nối B2B", "vi")
    moved = invitation(
        {**MEETING, "sequence": 1, "starts_at": "2025-07-10T15:30:00+07:00", "ends_at": "2025-07-10T15:50:00+07:00"},
        "Kansai Food Import",
        "Kết nối B2B",
        "vi",
    )
    dropped = invitation(
        {
            **MEETING,
            "sequence": 2,
            "status": "cancelled",
            "starts_at": "2025-07-10T15:30:00+07:00",
            "ends_at": "2025-07-10T15:50:00+07:00",
        },
        "Kansai Food Import",
        "Kết nối B2B",
        "en",
    )
    methods, uids, sequences = [], set(), []
    for attachment in (first, moved, dropped):
        cal, event = parsed(attachment)
        methods.append(str(cal.get("method")))
        uids.add(str(event.get("uid")))
        sequences.append(int(event.get("sequence")))
        assert attachment["mime"] == f"text/calendar; method={methods[-1]}; charset=utf-8"
    assert methods == ["REQUEST", "REQUEST", "CANCEL"]
    assert uids == {"mtg_7f3a@ketnoi.vn"} and sequences == [0, 1, 2]
    _, event = parsed(dropped)
    assert str(event.get("status")) == "CANCELLED" and str(event.get("summary")) == "B2B meeting: Kansai Food Import"


def test_times_carry_their_zone_and_the_place():
    cal, event = parsed(invitation(MEETING, "Siam Fresh", "Kết nối B2B", "vi"))
    assert [str(tz.get("tzid")) for tz in cal.walk("VTIMEZONE")] == ["Asia/Ho_Chi_Minh"]
    start = event.decoded("dtstart")
    assert (start.hour, start.minute, start.utcoffset()) == (14, 10, timedelta(hours=7))
    assert str(event.get("location")) == "Bàn T07" and str(event.get("summary")) == "Gặp gỡ B2B: Siam Fresh"


def test_a_meeting_that_never_had_a_time_has_no_invitation():
    assert invitation({**MEETING, "starts_at": None, "ends_at": None, "table": None}, "X", "B2B", "vi") is None
