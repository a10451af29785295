"""Facts another service owns, kept at their newest version."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pymongo.errors import DuplicateKeyError

from shared.store.door import Collection


def keep_newest(
    collection: Collection,
    doc_id: Any,
    fields: Mapping[str, Any],
    version_field: str = "version",
    on_insert: Mapping[str, Any] | None = None,
) -> bool:
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
        return bool(
            collection.update_one(
                {"_id": doc_id, "$or": [{version_field: {"$lt": version}}, {version_field: {"$exists": False}}]},
                {"$set": dict(fields)},
            ).modified_count
        )
