"""What ops watches: events logged, deliveries by outcome and how long they took, the backlog."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

EVENTS_LOGGED = Counter(
    "ketnoi_integrations_events_logged_total",
    "Feed entries written (one per province an event is routed to).",
    ["type"],
)
DELIVERIES = Counter(
    "ketnoi_integrations_deliveries_total",
    "Webhook delivery attempts by outcome: delivered, retry (failed, tried again later), dead.",
    ["outcome"],
)
DELIVERY_SECONDS = Histogram(
    "ketnoi_integrations_delivery_seconds",
    "How long one webhook request took, answered or not.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BACKLOG = Gauge(
    "ketnoi_integrations_backlog", "Webhook deliveries not yet done (pending, sending) and dead.", ["status"]
)


def refresh_gauges(counts: dict[str, int]) -> None:
    """Set the backlog gauge from :meth:`IntegrationsStore.backlog`."""
    for status, n in counts.items():
        BACKLOG.labels(status).set(n)
