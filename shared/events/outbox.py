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
from nameko.amqp.publish import Publisher
from nameko.extensions import DependencyProvider
from pymongo.collection import Collection

from shared import metrics
from shared.config import settings
from shared.events.serialization import CLOUDEVENTS_SERIALIZER

log = logging.getLogger(__name__)

OUTBOX = "outbox"
PENDING = "outbox_n"


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
    A sweep racing a hand-over, or two replicas sweeping at once, may publish
    an event twice: consumers deduplicate by id.
    """

    def __init__(self, collections: Iterable[Collection], interval: float = 1.0) -> None:
        cfg = settings()
        self.collections = {c.name: c for c in collections}
        self.interval = interval
        self.exchange = cfg.events_exchange
        self.publisher = Publisher(
            cfg.amqp_uri, use_confirms=True, serializer=CLOUDEVENTS_SERIALIZER,
            delivery_mode=2, mandatory=False,
        )
        self._handed: list[tuple[str, Any, list[dict[str, Any]]]] = []
        self._wake = eventlet.event.Event()
        self._running = False

    def staged(self, collection: str, doc_id: Any, events: Iterable[dict[str, Any]]) -> None:
        """A write that staged ``events`` in ``collection``/``doc_id`` has succeeded."""
        self._handed.append((collection, doc_id, list(events)))
        if not self._wake.ready():
            self._wake.send(True)

    def publish_handed(self) -> int:
        published = 0
        while self._handed:
            collection, doc_id, events = self._handed.pop(0)
            published += self._deliver(self.collections[collection], doc_id, events)
        return published

    def sweep(self) -> int:
        """Publish every staged event in the store; return how many were published."""
        published = 0
        for collection in self.collections.values():
            backlog = 0
            for doc in collection.find({PENDING: {"$gt": 0}}, {OUTBOX: 1}):
                events = list((doc.get(OUTBOX) or {}).values())
                backlog += len(events)
                published += self._deliver(collection, doc["_id"], events)
            metrics.OUTBOX_BACKLOG.labels(collection.name).set(backlog)
        return published

    def _deliver(self, collection: Collection, doc_id: Any, events: list[dict[str, Any]]) -> int:
        """Publish in time order, then clear them: all at once when all are still staged."""
        events = sorted(events, key=lambda e: (e["time"], e["id"]))
        for event in events:
            self._publish(event)
        paths = [f"{OUTBOX}.{event['id']}" for event in events]
        cleared = collection.update_one(
            {"_id": doc_id, **{path: {"$exists": True} for path in paths}},
            {"$unset": dict.fromkeys(paths, ""), "$inc": {PENDING: -len(paths)}},
        )
        if not cleared.modified_count and len(paths) > 1:  # a sweep got some of them first
            for path in paths:
                collection.update_one({"_id": doc_id, path: {"$exists": True}},
                                      {"$unset": {path: ""}, "$inc": {PENDING: -1}})
        return len(events)

    def _publish(self, event: dict[str, Any]) -> None:
        self.publisher.publish(
            event,
            exchange=self.exchange,
            routing_key=event["type"],
            message_id=event["id"],
            correlation_id=event.get("correlationid"),
            headers={"ce-type": event["type"], "ce-id": event["id"]},
        )
        metrics.EVENTS_PUBLISHED.labels(event["type"]).inc()

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
