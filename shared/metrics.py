"""Prometheus metrics every service exposes the same way, on its own port.

Metric objects live at module level (one registry per process, one process
per service), labelled with the service name so dashboards can aggregate
across services.  :class:`ServiceMetrics` starts the HTTP exporter and times
every entrypoint; business gauges are declared by each service next to the
code that knows what they mean.
"""

from __future__ import annotations

import logging
import os
import time

from nameko.extensions import DependencyProvider, Entrypoint
from nameko.messaging import Consumer
from nameko.rpc import Rpc
from nameko.timer import Timer
from nameko.web.handlers import HttpRequestHandler
from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics, start_http_server

from shared.errors import KetnoiError

log = logging.getLogger(__name__)
# a `_created` series per counter and histogram doubles what Prometheus stores and no query here uses it
disable_created_metrics()

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

ENTRYPOINT_CALLS = Counter(
    "ketnoi_entrypoint_calls_total",
    "Entrypoint invocations by kind (rpc, http, event, timer) and outcome: ok, rejected (expected error), error (bug).",
    ["service", "entrypoint", "kind", "outcome"],
)
ENTRYPOINT_LATENCY = Histogram(
    "ketnoi_entrypoint_duration_seconds",
    "Time spent in an entrypoint's worker, by kind (rpc, http, event, timer).",
    ["service", "entrypoint", "kind"],
    buckets=LATENCY_BUCKETS,
)
EVENTS_PUBLISHED = Counter("ketnoi_events_published_total", "Events published to the broker (confirmed).", ["type"])
EVENTS_CONSUMED = Counter(
    "ketnoi_events_consumed_total",
    "Events handled, by handler and outcome: ok, duplicate, retried, deferred (store or peer away), dead_lettered.",
    ["handler", "type", "outcome"],
)
EVENTS_REDELIVERED = Counter(
    "ketnoi_events_redelivered_total",
    "Events the broker delivered again because a consumer died or dropped its connection before acking.",
    ["handler", "type"],
)
DEAD_LETTERS = Gauge(
    "ketnoi_events_dead_letters",
    "Messages parked in a handler's dead-letter queue now (replay: python -m shared.events.deadletters replay Q).",
    ["handler"],
)
OUTBOX_BACKLOG = Gauge(
    "ketnoi_outbox_backlog", "Events staged but not yet published, at the last relay pass.", ["collection"]
)
OUTBOX_OLDEST = Gauge(
    "ketnoi_outbox_oldest_seconds",
    "Age of the oldest event staged but not yet published, at the last relay pass (0: none).",
    ["collection"],
)
OUTBOX_FAILURES = Counter("ketnoi_outbox_relay_failures_total", "Relay passes that failed (broker or store down).")

BUILD_INFO = Gauge(
    "ketnoi_build_info",
    "1, labelled with the running release (KETNOI_VERSION, KETNOI_REVISION).",
    ["version", "revision"],
)
BUILD_INFO.labels(os.environ.get("KETNOI_VERSION", "dev"), os.environ.get("KETNOI_REVISION", "unknown")).set(1)

_exporter_port: int | None = None
_KINDS = ((HttpRequestHandler, "http"), (Rpc, "rpc"), (Consumer, "event"), (Timer, "timer"))


def entrypoint_kind(entrypoint: Entrypoint) -> str:
    """``rpc``, ``http``, ``event`` or ``timer``: a caller waits on the first two only, so latency alerts look
    at those, while a timer that sends a rate-limited batch of e-mails may take long and be fine."""
    return next((kind for cls, kind in _KINDS if isinstance(entrypoint, cls)), type(entrypoint).__name__.lower())


def start_exporter(port: int) -> None:
    """Start the ``/metrics`` HTTP endpoint once per process.

    Loopback by default; containers set ``KETNOI_METRICS_ADDR=0.0.0.0`` so
    Prometheus can scrape them.
    """
    global _exporter_port
    if _exporter_port is None:
        start_http_server(port, addr=os.environ.get("KETNOI_METRICS_ADDR", "127.0.0.1"))
        _exporter_port = port
        log.info("metrics on :%s/metrics", port)


class ServiceMetrics(DependencyProvider):
    """Exports metrics on ``METRICS_PORT`` and times every entrypoint."""

    def setup(self) -> None:
        self.service = self.container.service_name
        self._started: dict[int, float] = {}
        port = int(self.container.config.get("METRICS_PORT", 0))
        if port:
            start_exporter(port)

    def worker_setup(self, worker_ctx) -> None:
        self._started[id(worker_ctx)] = time.perf_counter()

    def worker_result(self, worker_ctx, result=None, exc_info=None) -> None:
        started = self._started.pop(id(worker_ctx), None)
        name, kind = worker_ctx.entrypoint.method_name, entrypoint_kind(worker_ctx.entrypoint)
        if exc_info is None:
            outcome = "ok"
        elif isinstance(exc_info[1], KetnoiError) and exc_info[1].status < 500:
            outcome = "rejected"
        else:
            outcome = "error"
        ENTRYPOINT_CALLS.labels(self.service, name, kind, outcome).inc()
        if started is not None:
            ENTRYPOINT_LATENCY.labels(self.service, name, kind).observe(time.perf_counter() - started)
