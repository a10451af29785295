"""What the meetings service is told about an edition before a test can book in it."""

from __future__ import annotations

from typing import Any

from meetings import events as ev
from shared.events.envelope import make_event


def edition_created(edition_id: str, **changes: Any) -> dict[str, Any]:
    """The registration service's announcement of a one-day edition in Đồng Hới on 2025-07-10."""
    data = {
        "edition_id": edition_id,
        "series_id": "s1",
        "title": {"vi": "Kết nối"},
        "venue": "Đồng Hới",
        "host_province": "quang-tri",
        "partner_provinces": [],
        "starts_on": "2025-07-10",
        "ends_on": "2025-07-10",
        "timezone": "Asia/Ho_Chi_Minh",
        "status": "open",
        "capacity": {"exhibitor": 10, "buyer": 10},
        "version": 1,
        **changes,
    }
    return make_event(ev.EDITION_CREATED, "registration", "x", data)
