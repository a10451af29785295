"""Delivery numbers ops watches: messages by channel, template, language and outcome; retries; lag; reminders."""

from __future__ import annotations

from prometheus_client import Counter, Gauge
from pymongo.database import Database

from shared.timestamps import from_text, now_text

MESSAGES = Counter("ketnoi_notifications_messages_total",
                   "Message attempts by outcome: sent, written (local outbox), retry, dead, duplicate (skipped).",
                   ["channel", "template", "language", "outcome"])
QUEUE_LAG = Gauge("ketnoi_notifications_queue_lag_seconds", "Age of the oldest message due but not sent.")
PENDING = Gauge("ketnoi_notifications_pending", "Messages waiting to be sent (due now or later), by channel.",
                ["channel"])
DEAD = Gauge("ketnoi_notifications_dead", "Dead-lettered messages waiting for an organiser.", ["channel"])
REMINDERS = Gauge("ketnoi_notifications_reminders_pending", "Reminders scheduled and not yet fired.")


def refresh_gauges(db: Database) -> None:
    now = now_text()
    oldest = db.messages.find_one({"status": {"$in": ["pending", "sending"]}, "next_at": {"$lte": now}},
                                  {"next_at": 1}, sort=[("next_at", 1)])
    QUEUE_LAG.set((from_text(now) - from_text(oldest["next_at"])).total_seconds() if oldest else 0)
    for gauge, status in ((PENDING, ["pending", "sending"]), (DEAD, ["dead"])):
        counts: dict[str, int] = {}
        for m in db.messages.find({"status": {"$in": status}}, {"channel": 1}):
            counts[m["channel"]] = counts.get(m["channel"], 0) + 1
        gauge.clear()
        for channel, n in counts.items():
            gauge.labels(channel).set(n)
    REMINDERS.set(db.reminders.count_documents({"status": "scheduled"}))
