"""Meetings as iCalendar (RFC 5545), so a moved meeting updates the entry a participant already has.

Shared because the calendar identity is a contract between services: the
meetings service publishes agendas (PUBLISH) and notifications e-mails
invitations (REQUEST, CANCEL), and a participant's calendar must see one
entry, whichever of them it came from.

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
from functools import cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vCalAddress

PRODID = "-//ketnoi//B2B meetings//VI"
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


def calendar(
    entries: Iterable[Entry], method: str = "PUBLISH", name: str | None = None, stamp: datetime | None = None
) -> bytes:
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
    entries = list(entries)
    for zone in sorted({key for e in entries if (key := getattr(e.starts_at.tzinfo, "key", None))}):
        cal.add_component(_timezone(zone))  # before the events that refer to it, as clients expect
    for entry in entries:
        cal.add_component(_event(entry, stamp))
    return cal.to_ical()


@cache
def _timezone(zone: str) -> Timezone:
    """The VTIMEZONE of a zone, computed once per process (about 15 ms each time otherwise)."""
    cal = Calendar()
    probe = Event()
    probe.add("dtstart", datetime(2000, 1, 1, tzinfo=ZoneInfo(zone)))
    cal.add_component(probe)
    cal.add_missing_timezones()
    return cal.timezones[0]
