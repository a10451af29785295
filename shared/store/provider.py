"""The nameko dependency that gives a service its store, and the base every store builds on.

No maintained nameko provider for PyMongo 4 exists, so this is the small one
we need: one ``MongoClient`` per process and URI (PyMongo pools connections
and reconnects by itself), a database named after the owning service, reached
only through a :class:`~shared.store.door.Door`, and indexes created at
container start so that unique keys exist before the first write.  Workers
get the service's store object itself, as nameko-examples' providers return
their wrappers: no service class ever holds a raw database.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from nameko.extensions import DependencyProvider
from pymongo import MongoClient
from pymongo.database import Database

from shared import pages
from shared.config import settings
from shared.store.door import Door
from shared.store.recount import Recount
from shared.store.shapes import recorder_from_environment

# (collection, document id, events staged in it): what a store hands the outbox relay after a write
Staged = Callable[[str, Any, list[dict[str, Any]]], None]


_clients: dict[str, MongoClient] = {}
_clients_lock = threading.Lock()


def client_for(uri: str) -> MongoClient:
    """One client per URI and process.

    Under a lock: nameko sets up a container's extensions concurrently (79
    HTTP entrypoints in the gateway, one consumer per event handler), and a
    plain cache let each of them build its own client, each with three
    monitor threads waking twice a second (measured: 79 clients in the
    gateway, a third of the idle system's CPU).  Every operation gives up after
    ``KETNOI_STORE_TIMEOUT`` seconds (10): without it, a store that stopped
    answering (paused, partitioned) held workers, inbox claims and readiness
    checks for as long as it was away.  ``tz_aware`` so datetimes
    come back with their UTC offset and never get compared naively with local
    times.
    """
    client = _clients.get(uri)
    if client is None:
        with _clients_lock:
            client = _clients.get(uri)
            if client is None:
                timeout_ms = int(1000 * float(os.environ.get("KETNOI_STORE_TIMEOUT", "10")))
                client = _clients[uri] = MongoClient(
                    uri, tz_aware=True, serverSelectionTimeoutMS=5000, connectTimeoutMS=3000, socketTimeoutMS=timeout_ms
                )
    return client


def forget_clients() -> None:
    """Tests that point the process at another store start afresh."""
    with _clients_lock:
        _clients.clear()


def database(service: str) -> Database:
    """The raw database owned by ``service`` (``ketnoi_registration``, …): for tests and tools, not services."""
    cfg = settings()
    return client_for(cfg.mongo_uri)[cfg.database_name(service)]


def door_for(service: str, maps: tuple[str, ...] = ()) -> Door:
    """``service``'s database behind the door."""
    return Door(database(service), maps, recorder_from_environment())


class ServiceStore:
    """What every service's store has: its door, the relay's hand-over, its indexes and a ping.

    ``MAPS`` names the fields whose keys are ids (``holders.<participation>``),
    so that recorded query shapes abstract them.
    """

    MAPS: tuple[str, ...] = ()

    def __init__(self, db: Door, staged: Staged | None = None) -> None:
        self.db = db
        self.staged = staged or (lambda *_: None)
        db.maps = tuple(dict.fromkeys((*db.maps, *self.MAPS)))

    def ensure_indexes(self) -> None:
        """Unique keys and the indexes every polling query uses; run once at container start."""

    def ping(self) -> bool:
        return self.db.ping()

    def page(
        self, collection: str, query: dict[str, Any], wanted: pages.Wanted, projection: Any = None, counted: bool = True
    ) -> pages.Fetched:
        """One page of ``query`` in ``wanted.order`` after its cursor (see :mod:`shared.pages`), with the
        count of ``query`` unless ``counted`` is False.

        The bound on a leading timestamp is inclusive (nx-27017 compares those to the millisecond), so rows
        tied with the cursor may fill the first places: they are dropped here, and the read is repeated
        with a larger limit while they leave the page short.
        """
        order = wanted.order
        bounded = order.bound(query, wanted.after)
        want = fetch = wanted.limit + 1
        while True:
            rows = list(self.db[collection].find(bounded, projection or {"outbox": 0}, sort=order.sort(), limit=fetch))
            after = [r for r in rows if wanted.after is None or order.beyond(r, wanted.after)]
            if len(after) >= want or len(rows) < fetch:
                break
            fetch *= 2
        total = self.db[collection].count_documents(query) if counted else None
        return pages.Fetched(wanted, after[:want], total)

    def when_changed(self, recount: Recount, look: Callable[[], None]) -> bool:
        """Run a periodic look at the whole database only when something may have changed (see
        :mod:`shared.store.recount`); True when it ran."""
        return recount.run(self.db, look)


class Store(DependencyProvider):
    """Injects ``store_class(door, hand_over)`` into workers.

    The hand-over tells the service's outbox relay (any dependency with a
    ``hand_over`` method) what a successful write staged, so it is published at
    once rather than at the next sweep.
    """

    def __init__(self, service: str, store_class: type[ServiceStore]) -> None:
        self.service = service
        self.store_class = store_class
        self.door: Door | None = None

    def setup(self) -> None:
        self.door = door_for(self.service, maps=self.store_class.MAPS)
        self._relays = [d for d in self.container.dependencies if hasattr(d, "hand_over")]

    def start(self) -> None:
        self.store_class(self.door).ensure_indexes()

    def _hand_over(self, collection: str, doc_id: Any, events: list[dict[str, Any]]) -> None:
        for relay in self._relays:
            relay.hand_over(collection, doc_id, events)

    def get_dependency(self, worker_ctx) -> ServiceStore:
        return self.store_class(self.door, self._hand_over)
