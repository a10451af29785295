"""Access to a service's own MongoDB database.

No maintained nameko provider for PyMongo 4 exists, so this is the small one
we need: one ``MongoClient`` per process and URI (PyMongo pools connections
itself), a database named after the owning service, and an index hook run at
container start so that unique indexes exist before the first write.

Works against MongoDB 7 and the embedded nx-27017 store alike; see
``tests/contract/test_store_contract.py`` for every query shape we rely on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from nameko.extensions import DependencyProvider
from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from shared.config import settings

IndexHook = Callable[[Database], None]


@cache
def client_for(uri: str) -> MongoClient:
    """One client per URI and process: PyMongo pools and reconnects by itself.

    ``tz_aware`` so datetimes come back with their UTC offset and never get
    compared naively with local times.
    """
    return MongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=5000, connectTimeoutMS=3000)


def database(service: str) -> Database:
    """The database owned by ``service`` (``ketnoi_registration``, …)."""
    cfg = settings()
    return client_for(cfg.mongo_uri)[cfg.database_name(service)]


class Store(DependencyProvider):
    """Injects the service's own :class:`Database` into workers."""

    def __init__(self, service: str, ensure_indexes: IndexHook | None = None) -> None:
        self.service = service
        self.ensure_indexes = ensure_indexes
        self.db: Database | None = None

    def setup(self) -> None:
        self.db = database(self.service)

    def start(self) -> None:
        if self.ensure_indexes is not None:
            self.ensure_indexes(self.db)

    def get_dependency(self, worker_ctx) -> Database:
        return self.db


def ping(db: Database) -> bool:
    """Readiness: can we reach the store right now?"""
    try:
        db.client.admin.command("ping")
    except Exception:
        return False
    return True


def keep_newest(collection: Collection, doc_id: Any, fields: Mapping[str, Any], version_field: str = "version",
                on_insert: Mapping[str, Any] | None = None) -> bool:
    """Keep a fact another service owns (an edition, an organisation, its contacts) at its newest version.

    Events arrive more than once and in any order: the first one inserts
    (with ``on_insert``), later ones overwrite ``fields`` only when their
    ``version_field`` is newer than the stored one (or the document was
    created without one).  True when this call wrote.
    """
    try:
        collection.insert_one({"_id": doc_id, **fields, **(on_insert or {})})
        return True
    except DuplicateKeyError:
        version = fields[version_field]
        return bool(collection.update_one(
            {"_id": doc_id, "$or": [{version_field: {"$lt": version}}, {version_field: {"$exists": False}}]},
            {"$set": dict(fields)}).modified_count)
