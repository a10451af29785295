"""Who took part in an edition, as open data: approved registrations counted, never named.

Published once the edition is over (its last day has passed in its own time
zone, or organisers marked it finished); organisers, ops and provinces may
look before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from shared.open_data import Counts, tally


def published(edition: Mapping[str, Any], today: date) -> bool:
    """``today``: the date in the edition's time zone."""
    return edition["status"] == "finished" or (
        edition["status"] != "draft" and date.fromisoformat(edition["ends_on"]) < today
    )


def participants(participations: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Approved registrations by role, kind, 2025 province (Vietnamese organisations), country (foreign
    ones), sector (each sector an organisation gives) and the most OCOP stars among its products."""
    rows = [p for p in participations if p["status"] == "approved"]
    counts: Counts = tally(
        rows,
        {
            "by_role": lambda p: p["role"],
            "by_kind": lambda p: p["org"].get("kind"),
            "by_province": lambda p: p["org"].get("province_2025") if p["org"].get("country", "VN") == "VN" else None,
            "by_country": lambda p: p["org"].get("country", "VN"),
            "by_sector": lambda p: p["org"].get("sectors") or [],
            "by_ocop_stars": lambda p: p["org"].get("ocop_max_stars") or "none",
        },
    )
    return {"total": len(rows), **counts}
