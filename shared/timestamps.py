"""Timestamps as fixed-format UTC text: ``2024-08-16T01:00:00.000000Z``.

nx-27017 (the embedded store) rewrites a ``datetime`` written by ``$set`` into
a different string, and a ``bool`` into an integer, while MongoDB keeps both.
Fixed-width UTC text means the same thing on both stores, sorts and compares
correctly as a string (range queries, ``$lt`` leases, ordering), and is what
the events show anyway.  BSON dates are kept only where MongoDB
needs one and it is written once, by an insert: TTL index fields.

What the API and the CSV exports show is RFC 3339 with milliseconds at most
(none when the moment is a whole second), in one of two forms:

- :func:`local_iso` for people-facing moments of an edition's data (created,
  submitted, decided, sent, checked in, starts, ends): the edition's offset,
  ``2024-08-16T08:00:00+07:00``; data of no edition (organisations, series)
  uses :data:`HOME_ZONE`;
- :func:`utc_iso` for machine-facing ones (expiries a program compares, retry
  and webhook attempt times): UTC with ``Z``, ``2024-08-16T01:00:00.250Z``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload
from zoneinfo import ZoneInfo

FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
# The zone people-facing times are shown in where no edition says otherwise (an organisation, a series): the
# organisers' own, the default zone of a new edition (registration.schemas.EditionIn).
HOME_ZONE = "Asia/Ho_Chi_Minh"


def to_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("refusing a naive datetime: its time zone is unknown")
    return moment.astimezone(UTC).strftime(FORMAT)


def now_text() -> str:
    return to_text(datetime.now(UTC))


def from_text(text: str) -> datetime:
    return datetime.strptime(text, FORMAT).replace(tzinfo=UTC)


def parse(text: str) -> datetime:
    """A stored timestamp: this module's fixed format, or any RFC 3339 text with an offset."""
    try:
        return from_text(text)
    except ValueError:
        moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"refusing a timestamp without an offset: {text!r}")
    return moment


def _rfc3339(moment: datetime) -> str:
    """Milliseconds at most (truncated, never a moment later), none for a whole second; UTC as ``Z``."""
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    text = moment.isoformat(timespec="milliseconds" if moment.microsecond else "seconds")
    return text[:-6] + "Z" if moment.tzinfo is UTC else text


@overload
def local_iso(text: str, zone: str) -> str: ...
@overload
def local_iso(text: None, zone: str) -> None: ...
def local_iso(text: str | None, zone: str) -> str | None:
    """A people-facing stored timestamp in an edition's time zone, with its offset (``…+07:00``); None stays None."""
    return None if text is None else _rfc3339(parse(text).astimezone(ZoneInfo(zone)))


@overload
def utc_iso(text: str) -> str: ...
@overload
def utc_iso(text: None) -> None: ...
def utc_iso(text: str | None) -> str | None:
    """A machine-facing stored timestamp in UTC (``…Z``); None stays None."""
    return None if text is None else _rfc3339(parse(text).astimezone(UTC))
