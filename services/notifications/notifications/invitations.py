"""A meeting as an iCalendar invitation, built from the event that announces it.

The calendar identity is part of the meetings events' contract: the UID is
``<meeting_id>@ketnoi.vn`` for the meeting's whole life and ``sequence`` rises
with every move and with the cancellation.  Building the invitation from the
event itself (not from the meeting as it is by the time the message is
written) means each e-mail carries the place it announces, with its own
SEQUENCE, so a calendar applies them in order: REQUEST, REQUEST, …, CANCEL.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vCalAddress

PRODID = "-//ketnoi//B2B meetings//VI"
ORGANISER = "mailto:b2b@ketnoi.vn"
LABELS = {"vi": ("Gặp gỡ B2B", "Bàn"), "en": ("B2B meeting", "Table")}


def uid(meeting_id: str) -> str:
    return f"{meeting_id}@ketnoi.vn"


@cache
def _timezone(zone: str) -> Timezone:
    """The VTIMEZONE of a zone, computed once per process (it costs about 15 ms)."""
    cal = Calendar()
    probe = Event()
    probe.add("dtstart", datetime(2000, 1, 1, tzinfo=ZoneInfo(zone)))
    cal.add_component(probe)
    cal.add_missing_timezones()
    return cal.walk("VTIMEZONE")[0]


def invitation(meeting: Mapping[str, Any], counterpart: str, session: str, language: str) -> dict[str, str] | None:
    """The attachment for one meeting event (REQUEST, or CANCEL when dropped); None if it never had a time.

    ``meeting``: the event's meeting_id, sequence, status, starts_at, ends_at, table, timezone.
    """
    if not meeting.get("starts_at"):
        return None
    zone = ZoneInfo(meeting["timezone"])
    cancelled = meeting["status"] == "cancelled"
    meeting_label, table_label = LABELS.get(language, LABELS["en"])
    event = Event()
    event.add("uid", uid(meeting["meeting_id"]))
    event.add("sequence", int(meeting["sequence"]))
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", datetime.fromisoformat(meeting["starts_at"]).astimezone(zone))
    event.add("dtend", datetime.fromisoformat(meeting["ends_at"]).astimezone(zone))
    event.add("summary", f"{meeting_label}: {counterpart}")
    event.add("location", f"{table_label} {meeting['table']}" if meeting.get("table") else session)
    event.add("description", session)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("organizer", vCalAddress(ORGANISER))
    cal = Calendar()
    method = "CANCEL" if cancelled else "REQUEST"
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", method)
    cal.add_component(_timezone(meeting["timezone"]))
    cal.add_component(event)
    return {"filename": "meeting.ics", "mime": f"text/calendar; method={method}; charset=utf-8",
            "content": cal.to_ical().decode("utf-8")}
