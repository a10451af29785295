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
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from shared.calendar import Entry, calendar

LABELS = {"vi": ("Gặp gỡ B2B", "Bàn"), "en": ("B2B meeting", "Table")}


def invitation(meeting: Mapping[str, Any], counterpart: str, session: str, language: str) -> dict[str, str] | None:
    """The attachment for one meeting event (REQUEST, or CANCEL when dropped); None if it never had a time.

    ``meeting``: the event's meeting_id, sequence, status, starts_at, ends_at, table, timezone.
    """
    if not meeting.get("starts_at"):
        return None
    zone = ZoneInfo(meeting["timezone"])
    cancelled = meeting["status"] == "cancelled"
    meeting_label, table_label = LABELS.get(language, LABELS["en"])
    entry = Entry(
        meeting_id=meeting["meeting_id"],
        sequence=int(meeting["sequence"]),
        starts_at=datetime.fromisoformat(meeting["starts_at"]).astimezone(zone),
        ends_at=datetime.fromisoformat(meeting["ends_at"]).astimezone(zone),
        summary=f"{meeting_label}: {counterpart}",
        location=f"{table_label} {meeting['table']}" if meeting.get("table") else session,
        description=session,
        cancelled=cancelled,
    )
    method = "CANCEL" if cancelled else "REQUEST"
    return {
        "filename": "meeting.ics",
        "mime": f"text/calendar; method={method}; charset=utf-8",
        "content": calendar([entry], method).decode("utf-8"),
    }
