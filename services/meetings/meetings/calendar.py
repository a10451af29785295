"""Meetings as iCalendar (RFC 5545), so a moved meeting updates the entry a participant already has.

Each meeting keeps one UID for its whole life; every change of time or table
raises its SEQUENCE, and a dropped meeting is sent with STATUS:CANCELLED (and
METHOD:CANCEL for a single-meeting invitation).  Calendar applications then
replace the old entry instead of showing both times.  Times carry their
TZID with the matching VTIMEZONE.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from icalendar import Calendar, Event, vCalAddress

PRODID = "-//ketnoi//B2B agenda//VI"
ORGANISER = "mailto:b2b@ketnoi.vn"
DOMAIN = "ketnoi.vn"


@dataclass(frozen=True)
class Entry:
    """One meeting as a calendar entry; ``cancelled`` entries tell calendars to drop it."""

    meeting_id: str
    sequence: int
    starts_at: datetime
    ends_at: datetime
    summary: str
    location: str
    description: str = ""
    cancelled: bool = False


def uid(meeting_id: str) -> str:
    return f"{meeting_id}@{DOMAIN}"


def _event(entry: Entry, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", uid(entry.meeting_id))
    event.add("sequence", entry.sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", entry.starts_at)
    event.add("dtend", entry.ends_at)
    event.add("summary", entry.summary)
    event.add("location", entry.location)
    if entry.description:
        event.add("description", entry.description)
    event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
    event.add("organizer", vCalAddress(ORGANISER))
    return event


def calendar(entries: Iterable[Entry], method: str = "PUBLISH", name: str | None = None,
             stamp: datetime | None = None) -> bytes:
    """A calendar of ``entries``; ``method`` REQUEST or CANCEL for one emailed meeting, PUBLISH for a feed."""
    if method not in ("PUBLISH", "REQUEST", "CANCEL"):
        raise ValueError(f"unsupported iTIP method {method}")
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
    stamp = stamp or datetime.now(UTC)
    for entry in entries:
        cal.add_component(_event(entry, stamp))
    cal.add_missing_timezones()
    return cal.to_ical()
