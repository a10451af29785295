"""Waiting on the services' own counters instead of sleeping.

"Nothing else happened" is only true once the consumer (or timer) that could have done it has
run, and its counter says when: a test notes a counter before it acts (:class:`Counted`), waits
until the counter has grown by what the scenario implies (the redelivered copy of an event
counted by ``ketnoi_events_consumed_total`` with outcome ``duplicate``, say), and only then
asserts that nothing changed.  A fixed sleep instead is too short on a loaded machine and too
long everywhere else.  In-process services (integration tests) count in this process's
registry; the end-to-end stack's services on their /metrics pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import requests
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from tests.support.waiting import wait_for

CONSUMED = "ketnoi_events_consumed_total"  # handler ("<service>.<method>"), type, outcome (ok, duplicate, …)
PUBLISHED = "ketnoi_events_published_total"  # type: what an outbox relay published
CALLS = "ketnoi_entrypoint_calls_total"  # service, entrypoint, kind (http, rpc, event, timer), outcome

Read = Callable[[], Iterable[Sample]]


def in_process() -> list[Sample]:
    return [sample for family in REGISTRY.collect() for sample in family.samples]


def scraped(url: str) -> Read:
    """The samples of a service's /metrics page, read anew at each call."""

    def read() -> list[Sample]:
        text = requests.get(url, timeout=5).text
        return [sample for family in text_string_to_metric_families(text) for sample in family.samples]

    return read


def metrics_page(stack: Any, service: str) -> Read:
    """One of the end-to-end stack's services, scraped."""
    return scraped(f"http://127.0.0.1:{stack.config.env()[f'KETNOI_{service.upper()}_METRICS_PORT']}/metrics")


class Counted:
    """The samples of ``metric`` with the given labels, summed, counted from when this was made.

    A label given a tuple matches any of its values (``type=(a, b)``: events of either type).
    """

    def __init__(self, metric: str, read: Read = in_process, **labels: str | tuple[str, ...]) -> None:
        self.metric, self.read = metric, read
        self.labels = {k: v if isinstance(v, tuple) else (v,) for k, v in labels.items()}
        self.start = self.total()

    def total(self) -> float:
        return sum(
            s.value
            for s in self.read()
            if s.name == self.metric and all(s.labels.get(k) in values for k, values in self.labels.items())
        )

    def since(self) -> float:
        return self.total() - self.start

    def wait(self, at_least: float, timeout: float = 15.0) -> float:
        """Until the counter has grown by ``at_least`` (fails the test after ``timeout`` s); how much it grew."""
        wait_for(lambda: self.since() >= at_least, timeout)
        return self.since()
