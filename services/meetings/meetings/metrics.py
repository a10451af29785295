"""Meeting numbers ops and organisers watch: requests by status, placement, slots against Δ, MOUs."""

from __future__ import annotations

from collections import Counter as Tally

from prometheus_client import Counter, Gauge, Histogram

MEETINGS = Gauge(
    "ketnoi_meetings",
    "Meetings (requests) by edition, session, status and whether placed.",
    ["edition", "session", "status", "placed"],
)
SOLVER_SECONDS = Histogram(
    "ketnoi_meetings_solver_seconds",
    "Scheduler run time.",
    ["session"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5),
)
SLOTS_USED = Gauge("ketnoi_meetings_slots_used", "Slots the last timetable uses.", ["session"])
SLOTS_LOWER_BOUND = Gauge(
    "ketnoi_meetings_slots_delta",
    "Δ: most meetings of one participant (no timetable can use fewer slots).",
    ["session"],
)
UNPLACED = Gauge(
    "ketnoi_meetings_unplaced", "Accepted meetings the last run could not place, by reason.", ["session", "reason"]
)
PICK_CONFLICTS = Counter("ketnoi_meetings_pick_conflicts_total", "Slot picks that lost the race.", ["session"])
MOUS = Gauge("ketnoi_meetings_mous", "MOUs registered, by edition and sector.", ["edition", "sector"])


def refresh_gauges(meetings: Tally, mous: Tally) -> None:
    """Set the gauges from a recount of the store, so every replica and a restarted process report the same."""
    MEETINGS.clear()
    for labels, n in meetings.items():
        MEETINGS.labels(*labels).set(n)
    MOUS.clear()
    for labels, n in mous.items():
        MOUS.labels(*labels).set(n)
