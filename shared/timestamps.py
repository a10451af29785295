"""Timestamps as fixed-format UTC text: ``2024-08-16T01:00:00.000000Z``.

nx-27017 (the embedded store) rewrites a ``datetime`` written by ``$set`` into
a different string, and a ``bool`` into an integer, while MongoDB keeps both.
Fixed-width UTC text means the same thing on both stores, sorts and compares
correctly as a string (range queries, ``$lt`` leases, ordering), and is what
the API and the events show anyway.  BSON dates are kept only where MongoDB
needs one and it is written once, by an insert: TTL index fields.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def to_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("refusing a naive datetime: its time zone is unknown")
    return moment.astimezone(UTC).strftime(FORMAT)


def now_text() -> str:
    return to_text(datetime.now(UTC))


def from_text(text: str) -> datetime:
    return datetime.strptime(text, FORMAT).replace(tzinfo=UTC)


def local_iso(text: str, zone: str) -> str:
    """A stored timestamp shown in an edition's time zone, with its offset (``…+07:00``)."""
    return from_text(text).astimezone(ZoneInfo(zone)).isoformat()
