"""The one door to a service's database: every call normalised, refused or recorded here.

Services run on MongoDB 7 in production and on the embedded nx-27017 in
development and tests.  The two disagree on a few shapes (see the README's
divergence table and ``tests/contract/test_store_differential.py``); rather
than trusting every call site to remember them, each store reaches its
collections only through :class:`Door`, which

- **normalises filters** (:func:`safe_filter`) so that both stores select the
  same documents: a ``$or``/``$nor`` beside fields moves into an explicit
  ``$and`` (nx-27017 evaluates a write filter ``{a: 1, $or: [X, Y]}`` as
  ``(a AND X) OR Y`` and so writes to documents the filter excludes;
  ``{a: 1, $and: [{$or: [X, Y]}]}`` is right on both), and
  ``$ne`` is spelled so that both include or exclude a missing field alike;
- **refuses shapes** the embedded store silently corrupts (:class:`UnsafeStoreCall`):
  ``$push``/``$addToSet`` of sub-documents, ``$addToSet`` at all, ``$set`` of a
  ``bool`` or ``datetime``, an upsert by ``find_one_and_update`` with only
  ``$setOnInsert``, a ``$group`` keyed by an expression;
- **records the shape** of every call (values abstracted to their type) when
  ``KETNOI_STORE_SHAPES`` names a directory, so a test can hold the catalogue of
  shapes (``queries.yaml`` next to each store) to what the code really sends.

It wraps PyMongo's objects rather than subclassing them, so the surface the
services use is exactly what is written here: a call the door does not offer
is a call nobody has checked on both stores.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument, UpdateOne
from pymongo.collection import Collection as RawCollection
from pymongo.database import Database

from shared.store.shapes import ShapeRecorder

LOGICAL = ("$or", "$nor")
READS = ("find", "find_one", "count_documents", "aggregate")
ACTIVITY = "activity"  # one document, {_id: "revision", n}: moved by a process that wrote, read by the others


class UnsafeStoreCall(TypeError):
    """A call shape the embedded store gets wrong; the message says what to write instead."""


def safe_filter(query: Mapping[str, Any] | None, write: bool = False) -> dict[str, Any]:
    """``query`` as both stores read it the same way.

    - Every ``$or``/``$nor`` that has siblings moves into an explicit ``$and``
      beside them, at every level (inside ``$and``/``$or``/``$nor`` branches),
      so nesting cannot reintroduce the shape.
    - ``{f: {$ne: null}}`` gains ``$exists: true``: nx-27017 also matches a missing field.
    - In a write filter, ``{f: {$ne: v}}`` becomes ``f ≠ v or f missing``: nx-27017's
      write path compares with SQL ``!=``, which skips documents without ``f``
      (MongoDB and its own ``find`` include them).
    """
    if not query:
        return {}
    _check_operators(query)
    out: dict[str, Any] = {}
    extra: list[dict[str, Any]] = []
    for key, value in query.items():
        if key in ("$and", "$or", "$nor"):
            out[key] = [safe_filter(branch, write) for branch in value]
        elif isinstance(value, Mapping) and "$ne" in value and value["$ne"] is None and "$exists" not in value:
            out[key] = {**value, "$exists": True}
        elif write and isinstance(value, Mapping) and set(value) == {"$ne"}:
            extra.append({"$or": [{key: value}, {key: {"$exists": False}}]})
        else:
            out[key] = value
    logical = [*out.pop("$and", []), *({k: out.pop(k)} for k in LOGICAL if k in out), *extra]
    if not logical:
        return out
    if not out and len(logical) == 1:
        return logical[0]
    return {**out, "$and": logical}  # plain fields stay at the top, where an upsert takes them from


_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")
_COMPARISONS = ("$lt", "$lte", "$gt", "$gte", "$ne", "$eq")


def _compares_date_text(query: Mapping[str, Any]) -> bool:
    """Does the filter compare a field with text that starts like a date (our timestamps)?"""
    for key, value in query.items():
        if key in ("$and", "$or", "$nor"):
            if any(_compares_date_text(branch) for branch in value):
                return True
        elif isinstance(value, Mapping) and any(
            isinstance(value.get(op), str) and _DATE_TEXT.match(value[op]) for op in _COMPARISONS
        ):
            return True
    return False


def _explicit_equality(query: dict[str, Any]) -> dict[str, Any]:
    """``{f: v}`` → ``{f: {$eq: v}}`` for scalar ``v``, here and in ``$and`` branches.

    nx-27017 sends a read that compares date-like text to a separate processor
    whose SQL for ``f = v`` tests array membership too, so no index serves it
    (measured: 16 ms instead of 0.8 ms on 10,000 messages, twice a second);
    ``$eq`` it translates to a plain, indexed ``=``.  It also drops array
    membership there, so this is only right for fields that hold one value:
    every field our stores compare beside a timestamp does (``status`` …).
    """
    out: dict[str, Any] = {}
    for key, value in query.items():
        if key == "$and":
            out[key] = [_explicit_equality(branch) for branch in value]
        elif not key.startswith("$") and isinstance(value, (str, int, float)) and not isinstance(value, bool):
            out[key] = {"$eq": value}
        else:
            out[key] = value
    return out


def check_projection(projection: Any) -> Any:
    """Projections name whole top-level fields: nx-27017 ignores ``{"a.b": 0}`` and answers ``{"a.b": 1}`` with a
    flat ``"a.b"`` key."""
    for path in projection or ():
        if "." in path:
            raise UnsafeStoreCall(f"projection {path!r}: project the whole {path.split('.')[0]!r} field instead")
    return projection


def read_filter(query: Mapping[str, Any] | None) -> dict[str, Any]:
    """:func:`safe_filter` for a read, with equalities spelled out where nx-27017 needs it for its index."""
    query = safe_filter(query)
    return _explicit_equality(query) if _compares_date_text(query) else query


def _check_operators(query: Mapping[str, Any]) -> None:
    for key, value in query.items():
        if key in ("$and", "$or", "$nor"):
            for branch in value:
                _check_operators(branch)
        elif isinstance(value, Mapping):
            if "$not" in value:
                raise UnsafeStoreCall(f"{key}: $not is not implemented by nx-27017; use $ne, $nin or $exists")
            inner = value.get("$elemMatch")
            if isinstance(inner, Mapping) and any(k in inner for k in ("$or", "$and", "$nor")):
                raise UnsafeStoreCall(f"{key}: a logical operator inside $elemMatch never matches in nx-27017")


def check_update(update: Mapping[str, Any]) -> None:
    """Refuse update operators whose result the embedded store changes (MongoDB would not)."""
    for op, fields in update.items():
        if not op.startswith("$"):
            raise UnsafeStoreCall(f"{op!r}: updates are operator documents; use replace_one for a whole document")
        if op == "$addToSet":
            raise UnsafeStoreCall("$addToSet does nothing on a missing field in nx-27017: keep a map keyed by value")
        for path, value in fields.items():
            if op == "$push" and _has_document(value):
                raise UnsafeStoreCall(
                    f"$push {path}: nx-27017 turns every element into a JSON string; "
                    "keep sub-documents in a map keyed by id"
                )
            if op in ("$set", "$setOnInsert") and isinstance(value, (bool, datetime)):
                raise UnsafeStoreCall(
                    f"{op} {path}: nx-27017 returns a {type(value).__name__} set this way as "
                    "another type; store it as text (shared.timestamps) or inside a sub-document"
                )


def _has_document(value: Any) -> bool:
    if isinstance(value, Mapping):
        return "$each" not in value or any(isinstance(v, Mapping) for v in value["$each"])
    return False


def check_pipeline(pipeline: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Normalise ``$match`` stages; refuse a ``$group`` keyed by anything but one field path."""
    out: list[dict[str, Any]] = []
    for stage in pipeline:
        ((name, spec),) = stage.items()
        if name == "$match":
            spec = safe_filter(spec)
        elif name == "$facet":
            spec = {facet: check_pipeline(stages) for facet, stages in spec.items()}
        elif name == "$group":
            key = spec.get("_id")
            if key is not None and not (isinstance(key, str) and key.startswith("$")):
                raise UnsafeStoreCall(
                    f"$group by {key!r}: nx-27017 ignores compound keys and evaluates expression "
                    "keys in Python over the whole collection; group by one field path"
                )
        out.append({name: spec})
    return out


class Cursor:
    """A find in progress; the shape (with its sort and limit) is recorded when it is read."""

    def __init__(
        self,
        collection: Collection,
        query: dict[str, Any],
        projection: Any,
        sort: list[tuple[str, int]] | None,
        limit: int,
        batch_size: int,
        polling: bool,
    ) -> None:
        self._collection = collection
        self._query, self._projection = query, projection
        self._sort, self._limit, self._batch_size, self._polling = sort, limit, batch_size, polling

    def sort(self, key: str | list[tuple[str, int]], direction: int = 1) -> Cursor:
        self._sort = [(key, direction)] if isinstance(key, str) else list(key)
        return self

    def limit(self, n: int) -> Cursor:
        self._limit = n
        return self

    def __iter__(self) -> Iterator[dict[str, Any]]:
        c = self._collection
        c.note(
            "find",
            filter=self._query,
            projection=self._projection,
            sort=self._sort,
            limit=self._limit,
            polling=self._polling and c.name,
        )
        cursor = c.raw.find(
            self._query, self._projection, sort=self._sort, limit=self._limit, batch_size=self._batch_size
        )
        return iter(cursor)


class Collection:
    """One collection behind the door (the methods the stores use, and no others)."""

    def __init__(self, raw: RawCollection, door: Door) -> None:
        self.raw = raw
        self.door = door

    @property
    def name(self) -> str:
        return self.raw.name

    def note(self, op: str, **parts: Any) -> None:
        if op not in READS:
            self.door.writes += 1
        if self.door.recorder is not None:
            self.door.recorder.note(op, parts, self.door.maps)

    # -- reads ------------------------------------------------------------------------------

    def find(
        self,
        query: Mapping[str, Any] | None = None,
        projection: Any = None,
        *,
        sort: list[tuple[str, int]] | None = None,
        limit: int = 0,
        batch_size: int = 0,
        polling: bool = False,
    ) -> Cursor:
        """``polling``: a query a timer repeats while the system is idle; it must find nothing without a
        scan, which ``tests/contract/test_store_polling.py`` checks on the store's own query plan."""
        return Cursor(self, read_filter(query), check_projection(projection), sort, limit, batch_size, polling)

    def find_one(
        self,
        query: Mapping[str, Any] | None = None,
        projection: Any = None,
        *,
        sort: list[tuple[str, int]] | None = None,
    ) -> dict[str, Any] | None:
        query = read_filter(query)
        check_projection(projection)
        self.note("find_one", filter=query, projection=projection, sort=sort)
        return self.raw.find_one(query, projection, sort=sort)

    def count_documents(self, query: Mapping[str, Any]) -> int:
        """By the ``count`` command: PyMongo's ``count_documents`` sends ``$group: {_id: 1}``, which nx-27017
        evaluates in Python over the whole collection (with two WARNING lines); ``count`` runs as SQL there
        and is exact on a MongoDB replica set."""
        query = safe_filter(query)
        self.note("count_documents", filter=query)
        return int(self.raw.database.command({"count": self.raw.name, "query": query})["n"])

    def aggregate(self, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
        pipeline = check_pipeline(pipeline)
        self.note("aggregate", pipeline=pipeline)
        rows = list(self.raw.aggregate(pipeline))
        last = pipeline[-1] if pipeline else {}
        if "$facet" in last and "_id" not in last["$facet"]:
            rows = [{k: v for k, v in row.items() if k != "_id"} for row in rows]  # nx-27017 adds an "_id"
        return rows

    # -- writes -----------------------------------------------------------------------------

    def insert_one(self, document: dict[str, Any]) -> Any:
        self.note("insert_one")
        return self.raw.insert_one(document).inserted_id

    def insert_many(self, documents: list[dict[str, Any]], ordered: bool = True) -> int:
        self.note("insert_many")
        return len(self.raw.insert_many(documents, ordered=ordered).inserted_ids)

    def update_one(self, query: Mapping[str, Any], update: dict[str, Any], upsert: bool = False):
        query = safe_filter(query, write=True)
        check_update(update)
        self.note("update_one", filter=query, update=update, upsert=upsert)
        return self.raw.update_one(query, update, upsert=upsert)

    def update_many(self, query: Mapping[str, Any], update: dict[str, Any]):
        query = safe_filter(query, write=True)
        check_update(update)
        self.note("update_many", filter=query, update=update)
        return self.raw.update_many(query, update)

    def update_each(self, changes: Iterable[tuple[Mapping[str, Any], dict[str, Any]]], upsert: bool = False) -> int:
        """Many conditional updates in one round trip (unordered); the number of documents matched."""
        requests = []
        for query, update in changes:
            query = safe_filter(query, write=True)
            check_update(update)
            self.note("update_each", filter=query, update=update, **({"upsert": True} if upsert else {}))
            requests.append(UpdateOne(query, update, upsert=upsert))
        return self.raw.bulk_write(requests, ordered=False).matched_count if requests else 0

    def replace_one(self, query: Mapping[str, Any], document: dict[str, Any], upsert: bool = False):
        """An upsert inserts the filter's ``_id`` (nx-27017 would give the new document an ObjectId)."""
        query = safe_filter(query, write=True)
        if upsert and "_id" not in document and "_id" in query and not isinstance(query["_id"], Mapping):
            document = {"_id": query["_id"], **document}
        self.note("replace_one", filter=query, upsert=upsert)
        return self.raw.replace_one(query, document, upsert=upsert)

    def find_one_and_update(
        self,
        query: Mapping[str, Any],
        update: dict[str, Any],
        *,
        projection: Any = None,
        sort: list[tuple[str, int]] | None = None,
        upsert: bool = False,
        after: bool = True,
    ) -> dict[str, Any] | None:
        query = safe_filter(query, write=True)
        check_update(update)
        if upsert and set(update) == {"$setOnInsert"}:
            raise UnsafeStoreCall(
                "find_one_and_update(upsert=True) with only $setOnInsert drops the inserted "
                "fields in nx-27017: insert, and catch DuplicateKeyError"
            )
        check_projection(projection)
        self.note(
            "find_one_and_update",
            filter=query,
            update=update,
            projection=projection,
            sort=sort,
            upsert=upsert,
            after=after,
        )
        return self.raw.find_one_and_update(
            query,
            update,
            projection=projection,
            sort=sort,
            upsert=upsert,
            return_document=ReturnDocument.AFTER if after else ReturnDocument.BEFORE,
        )

    def delete_one(self, query: Mapping[str, Any]) -> int:
        query = safe_filter(query, write=True)
        self.note("delete_one", filter=query)
        return self.raw.delete_one(query).deleted_count

    def delete_many(self, query: Mapping[str, Any]) -> int:
        query = safe_filter(query, write=True)
        self.note("delete_many", filter=query)
        return self.raw.delete_many(query).deleted_count

    def create_index(self, keys: Any, **options: Any) -> str:
        return self.raw.create_index(keys, **options)


class Door:
    """A service's database as its store sees it.

    ``maps`` are the fields whose keys are ids (``holders.<participation>``),
    abstracted to ``<key>`` in recorded shapes.
    """

    def __init__(self, db: Database, maps: Iterable[str] = (), recorder: ShapeRecorder | None = None) -> None:
        self.db = db
        self.maps = ("outbox", *maps)
        self.recorder = recorder
        self.writes = 0  # write calls made through this door (this process): see shared.store.recount
        self._collections: dict[str, Collection] = {}

    @property
    def name(self) -> str:
        return self.db.name

    def __getitem__(self, name: str) -> Collection:
        if name not in self._collections:
            self._collections[name] = Collection(self.db[name], self)
        return self._collections[name]

    def __getattr__(self, name: str) -> Collection:
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def revision(self) -> int:
        """The database's activity revision: moved by :meth:`move_revision` whenever some process wrote."""
        found = self.db[ACTIVITY].find_one({"_id": "revision"})
        return int(found["n"]) if found else 0

    def move_revision(self) -> int:
        after = self.db[ACTIVITY].find_one_and_update(
            {"_id": "revision"}, {"$inc": {"n": 1}}, upsert=True, return_document=ReturnDocument.AFTER
        )
        return int(after["n"])

    def ping(self) -> bool:
        """Can we reach the store right now?  (Readiness; bounded by the client's selection timeout.)"""
        try:
            self.db.client.admin.command("ping")
        except Exception:
            return False
        return True
