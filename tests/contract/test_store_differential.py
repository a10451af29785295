"""Differential store contract: every catalogued query, on the embedded store and on MongoDB's semantics.

Each shape in the ``queries.yaml`` catalogues beside the stores is run, with
generated documents (missing fields, nulls, arrays, nested maps, ids as map
keys) and generated values, through the door on the store ``mongo_uri``
names (nx-27017 by default; ``KETNOI_TEST_MONGO_URI`` for a real MongoDB) and
on mongomock, an independent implementation of MongoDB's query language.
Both must select the same documents, answer the same counts and return
values, and leave the same documents behind, above all the ones the call must
not touch.  A disagreement is either worked around in the door or a shape
the door refuses; either way a test pins it (``test_store_door.py``).

Values of one field keep one type in generated documents: ketnoi's schemas
give every stored field one type, and the embedded store does not bracket
comparisons by type as MongoDB does (``{n: {$gt: 4}}`` matches ``"7"`` there).
That divergence is listed in the README; it cannot arise from our writes.
"""

from __future__ import annotations

import copy
import os
import uuid
from pathlib import Path
from typing import Any

import mongomock
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymongo.errors import DuplicateKeyError, PyMongoError

from shared.store import Door, client_for
from shared.store.door import Collection
from shared.store.shapes import KEY, ROOT, load_catalogue

CATALOGUES = sorted([*ROOT.glob("services/*/*/queries.yaml"), ROOT / "shared" / "store" / "queries.yaml"])
ENTRIES = [(path, i, entry) for path in CATALOGUES if path.exists() for i, entry in enumerate(load_catalogue(path))]
EXAMPLES = int(os.environ.get("KETNOI_DIFFERENTIAL_EXAMPLES", "25"))

IDS = ["d1", "d2", "d3", "d4", "d5"]
MAP_KEYS = ["k1", "k2"]
# Timestamps are text (shared/timestamps.py), and nx-27017 reads date-like text on a path of its own: fields
# that hold times get times.  Other text (ids, codes, statuses) never looks like a date in our data, and
# equality on date-like text is one more place where nx-27017 differs (README, "The store").
TIMES = ["2026-01-01T00:00:00.000000Z", "2026-01-02T00:00:00.000000Z", "2026-01-03T00:00:00.000000Z"]
POOLS: dict[str, list[Any]] = {
    "<str>": ["a", "b", "c"],
    "<time>": TIMES,
    "<int>": [0, 1, 2, 3],
    "<float>": [0.5, 1.5],
    "<doc>": [{"x": 1}, {"x": 2, "y": "a"}],
    "<null>": [None],
}

pytestmark = pytest.mark.usefixtures("service_env")


class _Reference(Collection):
    """mongomock has no ``count`` command, and its bulk writer refuses PyMongo 4.15's ``UpdateOne``."""

    def count_documents(self, query):
        return self.raw.count_documents(query)

    def update_each(self, changes, upsert=False):
        return sum(self.raw.update_one(query, update, upsert=upsert).matched_count for query, update in changes)


class ReferenceDoor(Door):
    def __getitem__(self, name: str) -> Collection:
        if name not in self._collections:
            self._collections[name] = _Reference(self.db[name], self)
        return self._collections[name]


# -- what a shape talks about ------------------------------------------------------------------------

RANGE = ("$lt", "$lte", "$gt", "$gte")


class Field:
    """A field a shape names: the type of values it is compared with, and how it is used."""

    def __init__(self) -> None:
        self.kind = "<str>"
        self.roles: set[str] = set()

    def typed(self, kind: Any) -> None:
        if isinstance(kind, list):  # a whole list written, or compared with $in
            kind = kind[0] if kind else "<str>"
        if isinstance(kind, str) and kind in POOLS and kind != "<null>":
            self.kind = kind


def _filter_fields(query: Any, found: dict[str, Field]) -> None:
    if not isinstance(query, dict):
        return
    for key, value in query.items():
        if key in ("$and", "$or", "$nor"):
            for branch in value:
                _filter_fields(branch, found)
            continue
        if key.startswith("$"):
            continue
        field = found.setdefault(key, Field())
        if isinstance(value, dict):
            for op, arg in value.items():
                if op == "$exists" and value.get("$ne") == "<null>":
                    continue  # "not null": both stores exclude null and missing alike
                field.roles.add(
                    "range"
                    if op in RANGE
                    else {"$exists": "exists", "$ne": "equality", "$in": "equality", "$nin": "equality"}.get(op, op)
                )
                field.typed(arg[0] if isinstance(arg, list) and arg else arg)
        else:
            field.roles.add("equality")
            field.typed(value)


def _holds_time(path: str) -> bool:
    last = path.rsplit(".", 1)[-1]
    return last.endswith("_at") or last in ("at", "until", "since", "lease_until")


def fields_of(entry: dict[str, Any]) -> dict[str, Field]:
    found: dict[str, Field] = {}
    _filter_fields(entry.get("filter"), found)
    for stage in entry.get("pipeline") or []:
        ((name, spec),) = stage.items()
        pipelines = spec.values() if name == "$facet" else [[stage]]
        for inner in (s for p in pipelines for s in p):
            if "$match" in inner:
                _filter_fields(inner["$match"], found)
            if "$group" in inner and isinstance(inner["$group"]["_id"], str):
                found.setdefault(inner["$group"]["_id"][1:], Field()).roles.add("group")
    for op, updates in (entry.get("update") or {}).items():
        for path, value in updates.items():
            field = found.setdefault(path, Field())
            field.roles.add("list" if isinstance(value, list) or value == "<list>" else op)
            field.typed("<int>" if op == "$inc" else value)
    for path in [*(entry.get("projection") or {}), *(k for k, _ in entry.get("sort") or [])]:
        found.setdefault(path, Field()).roles.add("read")
    found.pop("_id", None)
    for path, field in found.items():
        if field.kind == "<str>" and _holds_time(path):
            field.kind = "<time>"
    for path in list(found):  # a parent of another field is a sub-document
        if any(other.startswith(path + ".") for other in found):
            found[path].roles.add("parent")
    return found


# -- generated data --------------------------------------------------------------------------------


def _value(draw, field: Field, scalar_equalities: bool) -> Any:
    """A value for one field: missing, null, one of the pool, or (where the field is only compared for
    equality) an array.  No arrays where values are ranged, grouped or incremented (one type per field),
    no null in a counter, nor where a field is tested with $exists (see
    test_no_exists_tested_field_is_set_to_null).  Where a filter also ranges over a timestamp, the
    fields it compares for equality hold one value (see shared.store.door._explicit_equality)."""
    choices = ["missing", "value", "value", "value"]
    if not field.roles & {"exists", "$inc"}:  # counters are never null (MongoDB refuses to $inc one)
        choices.append("null")
    if "list" in field.roles or (
        field.roles <= {"equality", "read", "$set", "$unset"}
        and not scalar_equalities
        and "equality" in field.roles
        and field.kind in ("<str>", "<int>", "<time>")
    ):
        choices.append("array")
    choice = draw(st.sampled_from(choices))
    if choice == "missing":
        return _MISSING
    if choice == "null":
        return None
    pool = POOLS.get(field.kind, POOLS["<str>"])
    if choice == "array":
        return draw(st.lists(st.sampled_from(POOLS["<str>"] if field.kind == "<doc>" else pool), max_size=3))
    return copy.deepcopy(draw(st.sampled_from(pool)))


_MISSING = object()


def _put(doc: dict[str, Any], path: str, value: Any, draw) -> None:
    """Set a dotted path, its parents as maps (or, sometimes, a parent that is null)."""
    parts = path.split(".")
    here = doc
    for part in parts[:-1]:
        if part not in here:
            here[part] = {} if draw(st.sampled_from(["map", "map", "map", "null"])) == "map" else None
        if not isinstance(here[part], dict):
            return
        here = here[part]
    if value is not _MISSING:
        here[parts[-1]] = value


def _concrete(path: str, key: str) -> str:
    return path.replace(KEY, key)


def documents(draw, fields: dict[str, Field], key: str) -> list[dict[str, Any]]:
    scalar_equalities = any(f.kind == "<time>" and f.roles & {"range", "equality"} for f in fields.values())
    ids = draw(st.lists(st.sampled_from(IDS), unique=True, max_size=5))
    docs = []
    for doc_id in ids:
        doc: dict[str, Any] = {"_id": doc_id, "z": draw(st.sampled_from(["keep", "me"]))}
        for path, field in fields.items():
            if "parent" in field.roles:
                continue  # made by its children (as a map, null or missing)
            for concrete in {_concrete(path, key), _concrete(path, draw(st.sampled_from(MAP_KEYS)))}:
                _put(doc, concrete, _value(draw, field, scalar_equalities), draw)
        docs.append(doc)
    return docs


def instantiate(shape: Any, draw, key: str, path: str = "") -> Any:
    """Placeholders filled from the same pools as the documents (so that queries match something)."""
    if isinstance(shape, dict):
        return {
            (k if k.startswith("$") else _concrete(k, key)): instantiate(v, draw, key, path if k.startswith("$") else k)
            for k, v in shape.items()
        }
    if isinstance(shape, list):
        if shape and all(isinstance(s, str) and s in POOLS for s in shape):  # $in/$nin lists of scalars
            pool = [v for s in shape for v in (IDS if path == "_id" else POOLS[s])]
            return draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique_by=repr))
        return [instantiate(s, draw, key, path) for s in shape]
    if isinstance(shape, str) and shape in POOLS:
        if path == "_id":
            return draw(st.sampled_from(IDS))
        if shape == "<str>" and _holds_time(path):
            shape = "<time>"
        return copy.deepcopy(draw(st.sampled_from(POOLS[shape])))
    if shape == "<list>":
        return draw(st.lists(st.sampled_from(POOLS["<str>"]), max_size=2))
    return shape


# -- running one call ------------------------------------------------------------------------------


def _sort_key(doc: dict[str, Any], sort: list) -> tuple:
    return tuple(repr(_get(doc, k)) for k, _ in sort)


def _get(doc: Any, path: str) -> Any:
    for part in path.split("."):
        doc = doc.get(part) if isinstance(doc, dict) else None
    return doc


def run(col: Collection, op: str, call: dict[str, Any]) -> Any:
    """The call on one store, summarised as what a caller can observe."""
    query, update = call.get("filter"), call.get("update")
    projection, sort, limit = call.get("projection"), call.get("sort"), call.get("limit", 0)
    try:
        if op == "find":
            found = list(col.find(query, projection, sort=sort, limit=limit))
            if sort:  # ties may come in any order: the order of the sort keys, and (without a limit) the set
                return [_sort_key(d, sort) for d in found], None if limit else sorted(found, key=lambda d: d["_id"])
            return sorted(found, key=lambda d: d["_id"])
        if op == "find_one":
            found = col.find_one(query, projection, sort=sort)
            return _sort_key(found, sort) if sort and found else found
        if op == "count_documents":
            return col.count_documents(query)
        if op == "aggregate":
            return col.aggregate(call["pipeline"])
        if op in ("update_one", "update_many"):
            method = col.update_one if op == "update_one" else col.update_many
            result = method(query, update, **({"upsert": True} if call.get("upsert") else {}))
            return result.matched_count, result.modified_count, result.upserted_id is not None
        if op == "update_each":
            return col.update_each([(query, update)], upsert=bool(call.get("upsert")))
        if op == "find_one_and_update":
            return col.find_one_and_update(
                query,
                update,
                projection=projection,
                sort=sort,
                upsert=bool(call.get("upsert")),
                after=call.get("after", True),
            )
        if op == "replace_one":
            result = col.replace_one(query, call["replacement"], upsert=bool(call.get("upsert")))
            return result.matched_count, result.modified_count
        if op in ("delete_one", "delete_many"):
            return (col.delete_one if op == "delete_one" else col.delete_many)(query)
        if op == "insert_one":
            return col.insert_one(call["document"])
        if op == "insert_many":
            return col.insert_many(call["documents"], ordered=False)
    except DuplicateKeyError:
        return "DuplicateKeyError"
    except PyMongoError as exc:
        return f"error: {type(exc).__name__}"
    raise AssertionError(f"no runner for {op}")


@pytest.fixture(scope="module")
def stores(mongo_uri):
    name = f"differential_{uuid.uuid4().hex[:8]}"
    real = Door(client_for(mongo_uri)[name])
    reference = ReferenceDoor(mongomock.MongoClient()[name])
    yield real, reference
    client_for(mongo_uri).drop_database(name)


@pytest.mark.parametrize(
    ("catalogue", "index", "entry"), ENTRIES, ids=[f"{p.parent.name}:{i}:{e['op']}" for p, i, e in ENTRIES]
)
def test_the_embedded_store_answers_as_mongodb(stores, catalogue: Path, index: int, entry: dict[str, Any]):
    real, reference = stores
    name = f"c{abs(hash((str(catalogue), index))) % 10**8}"
    fields = fields_of(entry)

    @settings(
        max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(st.data())
    def same_answer(data):
        draw = data.draw
        key = draw(st.sampled_from(MAP_KEYS))
        docs = documents(draw, fields, key)
        call = {
            part: instantiate(entry[part], draw, key)
            for part in ("filter", "update", "pipeline")
            if entry.get(part) is not None
        }
        call.update({k: entry[k] for k in ("projection", "sort", "upsert", "after") if k in entry})
        if entry.get("limit"):
            call["limit"] = draw(st.integers(1, 3))
        if entry["op"] == "replace_one":
            call["replacement"] = {"z": "replaced", **{p: "a" for p in fields if "." not in p and KEY not in p}}
        if entry["op"] in ("insert_one", "insert_many"):
            fresh = [d for d in documents(draw, fields, key) if d["_id"] not in {x["_id"] for x in docs}]
            call["document"], call["documents"] = (fresh[0] if fresh else {"_id": "d9"}), fresh or [{"_id": "d9"}]
        answers, states = [], []
        for door in (real, reference):
            col = door[name]
            col.raw.delete_many({})
            if docs:
                col.raw.insert_many(copy.deepcopy(docs))
            answers.append(run(col, entry["op"], copy.deepcopy(call)))
            states.append(sorted(col.raw.find({}), key=lambda d: d["_id"]))
        assert answers[0] == answers[1], f"{entry['op']} answered differently for {call} on {docs}"
        assert states[0] == states[1], f"{entry['op']} left different documents for {call} on {docs}"

    same_answer()


def test_no_exists_tested_field_is_set_to_null():
    """nx-27017 reads an explicit null as a missing field in ``$exists`` (MongoDB does not): so no field a
    catalogued filter tests with ``$exists`` is ever written as null by a catalogued update."""
    tested, nulled = set(), set()
    for _, _, entry in ENTRIES:
        tested |= {p for p, f in fields_of(entry).items() if "exists" in f.roles}
        for op in ("$set", "$setOnInsert"):
            nulled |= {p for p, v in (entry.get("update") or {}).get(op, {}).items() if v == "<null>"}
    assert tested and not tested & nulled
