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
from datetime import datetime
from typing import Any

import eventlet
from nameko.extensions import DependencyProvider
from pymongo import UpdateOne
from pymongo.collection import Collection

from shared import metrics
from shared.config import settings
from shared.events.publisher import ConfirmedPublisher

log = logging.getLogger(__name__)

OUTBOX = "outbox"
PENDING = "outbox_n"

BATCH = 500  # documents published and cleared together
# (collection name, document id, the events staged in it)
Staged = tuple[str, Any, list[dict[str, Any]]]


def portable(update: dict[str, Any]) -> dict[str, Any]:
    """Refuse ``$set`` values nx-27017 would silently change (see :mod:`shared.timestamps`)."""
    for path, value in update.get("$set", {}).items():
        if isinstance(value, (bool, datetime)):
            raise TypeError(f"$set {path}: store {type(value).__name__} values as text or inside a sub-document")
    return update


def stage(update: dict[str, Any], *events: dict[str, Any]) -> dict[str, Any]:
    """Return ``update`` extended so that it also stages ``events``."""
    staged = copy.deepcopy(portable(update))
    sets = staged.setdefault("$set", {})
    for event in events:
        sets[f"{OUTBOX}.{event['id']}"] = event
    incs = staged.setdefault("$inc", {})
    incs[PENDING] = incs.get(PENDING, 0) + len(events)
    return staged


def new_document(document: dict[str, Any], *events: dict[str, Any]) -> dict[str, Any]:
    """A document to insert, carrying the events that announce its creation."""
    return {**document, OUTBOX: {e["id"]: e for e in events}, PENDING: len(events)}


def index_outbox(collection: Collection) -> None:
    """The relay finds pending events by this index, not by scanning."""
    collection.create_index(PENDING)


class Relay:
    """Publishes staged events of a set of collections and clears them.

    One relay per service process.  After a successful write the store hands
    the relay what it staged (:meth:`staged`), which is published within
    milliseconds without reading it back; a sweep every ``interval`` seconds
    publishes whatever a crashed process (or a failed publish) left behind.

    Work is done in batches of up to :data:`BATCH` documents: everything
    handed over since the last pass is published with one wait for the
    broker's confirms (:mod:`shared.events.publisher`), then cleared with one
    ``bulk_write`` per collection.  One confirm and one clear per document let
    a registration rush outrun the relay (measured: 24 of 150 registrations a
    second announced, the rest minutes late).  A sweep skips documents already handed over; a sweep racing a
    hand-over that arrives during it, or two replicas sweeping at once, may
    still publish an event twice: consumers deduplicate by id.
    """

    def __init__(self, collections: Iterable[Collection], interval: float = 1.0) -> None:
        cfg = settings()
        self.collections = {c.name: c for c in collections}
        self.interval = interval
        self.publisher = ConfirmedPublisher(cfg.amqp_uri, cfg.events_exchange)
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
        for name, collection in self.collections.items():
            found = [(name, doc["_id"], list((doc.get(OUTBOX) or {}).values()))
                     for doc in collection.find({PENDING: {"$gt": 0}}, {OUTBOX: 1})]
            metrics.OUTBOX_BACKLOG.labels(name).set(sum(len(events) for *_, events in found))
            # after the find: what writers handed over while it ran is published by the hand-over
            handed = {(c, doc_id) for c, doc_id, _ in self._handed}
            published += self._deliver([item for item in found if item[:2] not in handed])
        return published

    def _deliver(self, staged: list[Staged]) -> int:
        """Publish each document's events in time order, then clear them, one round trip per collection.

        A document's clear only matches while all its published events are
        still staged; when a sweep got some of them first, they are cleared
        one by one so that ``outbox_n`` stays exact (the sweep's index).
        """
        published = 0
        for start in range(0, len(staged), BATCH):
            clears: dict[str, list[tuple[Any, list[str]]]] = {}
            ordered: list[dict[str, Any]] = []
            for collection, doc_id, events in staged[start:start + BATCH]:
                ordered.extend(sorted(events, key=lambda e: (e["time"], e["id"])))
                clears.setdefault(collection, []).append((doc_id, [f"{OUTBOX}.{e['id']}" for e in events]))
            self.publisher.publish_all(ordered)
            for event in ordered:
                metrics.EVENTS_PUBLISHED.labels(event["type"]).inc()
            for collection, documents in clears.items():
                self._clear(self.collections[collection], documents)
            published += len(ordered)
        return published

    @staticmethod
    def _clear(collection: Collection, documents: list[tuple[Any, list[str]]]) -> None:
        documents = [(doc_id, paths) for doc_id, paths in documents if paths]
        if not documents:
            return
        result = collection.bulk_write([
            UpdateOne({"_id": doc_id, **{path: {"$exists": True} for path in paths}},
                      {"$unset": dict.fromkeys(paths, ""), "$inc": {PENDING: -len(paths)}})
            for doc_id, paths in documents
        ], ordered=False)
        if result.matched_count == len(documents):
            return
        for doc_id, paths in documents:  # some were cleared by a sweep: finish path by path
            for path in paths:
                collection.update_one({"_id": doc_id, path: {"$exists": True}},
                                      {"$unset": {path: ""}, "$inc": {PENDING: -1}})

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
                    self.sweep()
                    next_sweep = time.monotonic() + self.interval
            except Exception:
                log.exception("outbox relay failed; the sweep will retry")
                metrics.OUTBOX_FAILURES.inc()
                self._handed.clear()  # still staged in the store: the next sweep has them
            with eventlet.Timeout(self.interval, False):
                self._wake.wait()

    def stop(self) -> None:
        self._running = False
        if not self._wake.ready():
            self._wake.send(True)
        self.publisher.close()


class OutboxRelay(DependencyProvider):
    """Runs a :class:`Relay` beside the service; workers hand it what they staged."""

    def __init__(self, service: str, collections: Iterable[str], interval: float = 1.0) -> None:
        self.service = service
        self.collection_names = list(collections)
        self.interval = interval
        self.relay: Relay | None = None

    def setup(self) -> None:
        from shared.store import database

        db = database(self.service)
        self.relay = Relay([db[name] for name in self.collection_names], self.interval)

    def start(self) -> None:
        self.container.spawn_managed_thread(self.relay.run, identifier="outbox-relay")

    def stop(self) -> None:
        self.relay.stop()

    def kill(self) -> None:
        self.relay.stop()

    def get_dependency(self, worker_ctx) -> Relay:
        return self.relay
