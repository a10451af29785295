"""Delivery numbers ops watches: messages by channel, template, language and outcome; retries; lag; reminders."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter, Gauge

from shared.timestamps import from_text

MESSAGES = Counter(
    "ketnoi_notifications_messages_total",
    "Message attempts by outcome: sent, written (local outbox), retry, dead, duplicate (skipped).",
    ["channel", "template", "language", "outcome"],
)
QUEUE_LAG = Gauge("ketnoi_notifications_queue_lag_seconds", "Age of the oldest message due but not sent.")
PENDING = Gauge(
    "ketnoi_notifications_pending", "Messages waiting to be sent (due now or later), by channel.", ["channel"]
)
DEAD = Gauge("ketnoi_notifications_dead", "Dead-lettered messages waiting for an organiser.", ["channel"])
REMINDERS = Gauge("ketnoi_notifications_reminders_pending", "Reminders scheduled and not yet fired.")


def refresh_gauges(counts: dict[str, Any]) -> None:
    """Set the gauges from :meth:`NotificationsStore.delivery_counts`."""
    oldest = counts["oldest_due"]
    QUEUE_LAG.set((datetime.now(UTC) - from_text(oldest)).total_seconds() if oldest else 0)
    for gauge, kind in ((PENDING, "pending"), (DEAD, "dead")):
        gauge.clear()
        for channel, n in counts[kind].items():
            gauge.labels(channel).set(n)
    REMINDERS.set(counts["reminders"])
