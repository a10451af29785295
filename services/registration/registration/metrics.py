"""Registration's business metrics: what organisers and ops ask on the day."""

from __future__ import annotations

from collections import Counter as Tally
from typing import TYPE_CHECKING

from prometheus_client import Counter, Gauge

if TYPE_CHECKING:
    from registration.store import RegistrationStore

PARTICIPATIONS = Gauge(
    "ketnoi_registration_participations",
    "Registrations by edition, province (2025 units), role and status.",
    ["edition", "province", "role", "status"],
)
CHECKINS = Counter("ketnoi_registration_checkins_total", "First scans of delegates' badges.", ["edition"])


def refresh_participation_gauges(store: RegistrationStore) -> None:
    """Recount from the store, so the gauge is right after restarts and on every replica."""
    counts = Tally(
        (p["edition_id"], p["org"].get("province_2025") or "foreign", p["role"], p["status"])
        # whole "org": nx-27017 flattens dotted projections into "org.x" keys
        for p in store.iterate(
            "participations", {}, projection={"edition_id": 1, "org": 1, "role": 1, "status": 1}, pause=0.05
        )
    )
    PARTICIPATIONS.clear()
    for labels, n in counts.items():
        PARTICIPATIONS.labels(*labels).set(n)
