"""Transactional outbox kept inside the changed document itself.

Multi-document transactions are not something the embedded store and every
MongoDB deployment give us equally, but single-document atomicity they both
do.  So an event is staged in the ``outbox`` map of the document whose change
it announces, in the same update: ``{"$set": {"outbox.<event id>": event},
"$inc": {"outbox_n": 1}}``.  The relay publishes staged events with publisher
confirms and only then removes them, so a crash anywhere leaves the event
either staged (it will be published) or published (consumers deduplicate a
second copy).  Maps keyed by id, not arrays: nx-27017 corrupts ``$push`` of
sub-documents.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import eventlet
from nameko.extensions import DependencyProvider

from shared import metrics
from shared.config import settings
from shared.events.publisher import ConfirmedPublisher
from shared.store.staged import OUTBOX, PENDING, StagedEvents

log = logging.getLogger(__name__)

BATCH = 500  # documents published and cleared together
# (collection name, document id, the events staged in it)
Staged = tuple[str, Any, list[dict[str, Any]]]
# The sweep looks every MIN_SWEEP seconds while it finds work or a pass failed, and backs off
# (doubling) to MAX_SWEEP while it finds nothing: an idle system costs nothing, and a hand-over
# from a writer wakes the relay at once whatever the interval.
MIN_SWEEP = 1.0
MAX_SWEEP = 30.0


def stage(update: dict[str, Any], *events: dict[str, Any]) -> dict[str, Any]:
    """Return ``update`` extended so that it also stages ``events``."""
    staged = copy.deepcopy(update)
    sets = staged.setdefault("$set", {})
    for event in events:
        sets[f"{OUTBOX}.{event['id']}"] = event
    incs = staged.setdefault("$inc", {})
    incs[PENDING] = incs.get(PENDING, 0) + len(events)
    return staged


def new_document(document: dict[str, Any], *events: dict[str, Any]) -> dict[str, Any]:
    """A document to insert, carrying the events that announce its creation."""
    return {**document, OUTBOX: {e["id"]: e for e in events}, PENDING: len(events)}


def _age_of_oldest(found: list[Staged]) -> float:
    """Seconds since the oldest of ``found`` was staged: a backlog that is small but stuck is what ops must see
    (the count alone looks the same whether the broker was away for a second or for an hour)."""
    times = [datetime.fromisoformat(event["time"]) for *_, events in found for event in events]
    return max((datetime.now(UTC) - min(times)).total_seconds(), 0.0) if times else 0.0


class Relay:
    """Publishes staged events of a set of collections and clears them.

    One relay per service process.  After a successful write the store hands
    the relay what it staged (:meth:`staged`), which is published within
    milliseconds without reading it back; a sweep publishes whatever a crashed
    process (or a failed publish) left behind, every second while there is
    such work and less often (up to every :data:`MAX_SWEEP` seconds) while
    there is none.

    Work is done in batches of up to :data:`BATCH` documents: everything
    handed over since the last pass is published with one wait for the
    broker's confirms (:mod:`shared.events.publisher`), then cleared with one
    round trip per collection.  One confirm and one clear per document let
    a registration rush outrun the relay (measured: 24 of 150 registrations a
    second announced, the rest minutes late).  A sweep skips documents already handed over; a sweep racing a
    hand-over that arrives during it, or two replicas sweeping at once, may
    still publish an event twice: consumers deduplicate by id.
    """

    def __init__(self, outbox: StagedEvents, publisher: ConfirmedPublisher) -> None:
        self.outbox = outbox
        self.publisher = publisher
        self.sweep_interval = MIN_SWEEP
        self._handed: list[Staged] = []
        self._wake = eventlet.event.Event()
        self._running = False

    def staged(self, collection: str, doc_id: Any, events: Iterable[dict[str, Any]]) -> None:
        """A write that staged ``events`` in ``collection``/``doc_id`` has succeeded."""
        self._handed.append((collection, doc_id, list(events)))
        if not self._wake.ready():
            self._wake.send(True)

    def publish_handed(self) -> int:
        """Publish and clear everything handed over so far, as one batch."""
        published = 0
        while self._handed:
            batch, self._handed = self._handed, []
            published += self._deliver(batch)
        return published

    def sweep(self) -> int:
        """Publish every staged event in the store; return how many were published."""
        published = 0
        for name in self.outbox.collections:
            found = [(name, doc_id, events) for doc_id, events in self.outbox.pending(name)]
            metrics.OUTBOX_BACKLOG.labels(name).set(sum(len(events) for *_, events in found))
            metrics.OUTBOX_OLDEST.labels(name).set(_age_of_oldest(found))
            # after the find: what writers handed over while it ran is published by the hand-over
            handed = {(c, doc_id) for c, doc_id, _ in self._handed}
            published += self._deliver([item for item in found if item[:2] not in handed])
        return published

    def _deliver(self, staged: list[Staged]) -> int:
        """Publish each document's events in time order (staging order for equal times), then clear them,
        one round trip per collection."""
        published = 0
        for start in range(0, len(staged), BATCH):
            clears: dict[str, list[tuple[Any, list[str]]]] = {}
            ordered: list[dict[str, Any]] = []
            for collection, doc_id, events in staged[start : start + BATCH]:
                ordered.extend(sorted(events, key=lambda e: e["time"]))
                clears.setdefault(collection, []).append((doc_id, [f"{OUTBOX}.{e['id']}" for e in events]))
            self.publisher.publish_all(ordered)
            for event in ordered:
                metrics.EVENTS_PUBLISHED.labels(event["type"]).inc()
            for collection, documents in clears.items():
                self.outbox.clear(collection, documents)
            published += len(ordered)
        return published

    def run(self) -> None:
        """Loop until :meth:`stop`; broker or store outages are logged and retried by the sweep."""
        self._running = True
        next_sweep = 0.0
        while self._running:
            # A fresh event before publishing: a hand-over that arrives while
            # we publish is kept and triggers another pass at once.
            self._wake = eventlet.event.Event()
            try:
                self.publish_handed()
                if time.monotonic() >= next_sweep:
                    found = self.sweep()
                    self.sweep_interval = MIN_SWEEP if found else min(self.sweep_interval * 2, MAX_SWEEP)
                    next_sweep = time.monotonic() + self.sweep_interval
            except Exception:
                log.exception("outbox relay failed; the sweep will retry")
                metrics.OUTBOX_FAILURES.inc()
                self._handed.clear()  # still staged in the store: the next sweep has them
                self.sweep_interval = MIN_SWEEP
                next_sweep = time.monotonic() + MIN_SWEEP
            with eventlet.Timeout(max(next_sweep - time.monotonic(), 0.01), False):
                self._wake.wait()

    def stop(self) -> None:
        self._running = False
        if not self._wake.ready():
            self._wake.send(True)
        self.publisher.close()


class OutboxRelay(DependencyProvider):
    """Runs a :class:`Relay` beside the service; the service's store hands it what workers staged."""

    def __init__(self, service: str, collections: Iterable[str]) -> None:
        self.service = service
        self.collection_names = list(collections)
        self.relay: Relay | None = None

    def setup(self) -> None:
        cfg = settings()
        self.relay = Relay(
            StagedEvents.of(self.service, self.collection_names),
            ConfirmedPublisher(cfg.amqp_uri, cfg.events_exchange, cfg.public_exchange),
        )

    def start(self) -> None:
        self.relay.outbox.ensure_indexes()
        self.container.spawn_managed_thread(self.relay.run, identifier="outbox-relay")

    def hand_over(self, collection: str, doc_id: Any, events: list[dict[str, Any]]) -> None:
        self.relay.staged(collection, doc_id, events)

    def stop(self) -> None:
        self.relay.stop()

    def kill(self) -> None:
        self.relay.stop()

    def get_dependency(self, worker_ctx) -> Relay:
        return self.relay
