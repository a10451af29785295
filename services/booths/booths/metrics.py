"""Booth numbers ops and organisers watch on the day."""

from __future__ import annotations

from collections import Counter as Tally

from prometheus_client import Counter, Gauge, Histogram

BOOTHS = Gauge(
    "ketnoi_booths",
    "Booths by edition, zone, kind, quota group (of the holder) and status.",
    ["edition", "zone", "kind", "quota_group", "status"],
)
RUN_SECONDS = Histogram(
    "ketnoi_booths_allocation_seconds",
    "Allocation solver run time.",
    ["edition"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10),
)
RUN_OBJECTIVE = Gauge("ketnoi_booths_allocation_objective", "Objective of the last allocation run.", ["edition"])
CLAIM_CONFLICTS = Counter("ketnoi_booths_claim_conflicts_total", "Claims that lost the race for a booth.", ["edition"])
OFFERS = Counter(
    "ketnoi_booths_offers_total",
    "Waitlist offers by outcome: made, accepted, declined, expired.",
    ["edition", "outcome"],
)


def refresh_booth_gauges(counts: Tally) -> None:
    """Set the booth gauge from a recount of the store (right after restarts, and the same on every replica)."""
    BOOTHS.clear()
    for labels, n in counts.items():
        BOOTHS.labels(*labels).set(n)
