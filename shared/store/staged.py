"""Events staged in documents (the outbox inside each changed document), as the relay reads and clears them.

A state change and ``{"$set": {"outbox.<event id>": event}, "$inc":
{"outbox_n": 1}}`` are one single-document write (see
:mod:`shared.events.outbox`); ``outbox_n`` counts what is staged, and its
index lets the relay's sweep find pending documents without a scan.
"""

from __future__ import annotations

from typing import Any

from shared.store.door import Door
from shared.store.provider import door_for

OUTBOX = "outbox"
PENDING = "outbox_n"


class StagedEvents:
    """The staged events of a service's collections."""

    def __init__(self, door: Door, collections: list[str]) -> None:
        self.door = door
        self.collections = list(collections)

    @classmethod
    def of(cls, service: str, collections: list[str]) -> StagedEvents:
        """The staged events of ``service``'s own collections."""
        return cls(door_for(service), collections)

    def ensure_indexes(self) -> None:
        for name in self.collections:
            self.door[name].create_index(PENDING)

    def pending(self, collection: str) -> list[tuple[Any, list[dict[str, Any]]]]:
        """(document id, its staged events) for every document with events still to publish."""
        return [
            (doc["_id"], list((doc.get(OUTBOX) or {}).values()))
            for doc in self.door[collection].find({PENDING: {"$gt": 0}}, {OUTBOX: 1}, polling=True)
        ]

    def clear(self, collection: str, documents: list[tuple[Any, list[str]]]) -> None:
        """Remove published events (``outbox.<id>`` paths) from their documents, one round trip.

        A document's clear only matches while all its published events are
        still staged; when a sweep got some of them first, they are cleared
        one by one so that ``outbox_n`` stays exact (the sweep's index).
        """
        documents = [(doc_id, paths) for doc_id, paths in documents if paths]
        if not documents:
            return
        col = self.door[collection]
        matched = col.update_each(
            (
                {"_id": doc_id, **{path: {"$exists": True} for path in paths}},
                {"$unset": dict.fromkeys(paths, ""), "$inc": {PENDING: -len(paths)}},
            )
            for doc_id, paths in documents
        )
        if matched == len(documents):
            return
        for doc_id, paths in documents:
            for path in paths:
                col.update_one({"_id": doc_id, path: {"$exists": True}}, {"$unset": {path: ""}, "$inc": {PENDING: -1}})
