"""Queries a timer repeats while the system is idle find nothing without reading the whole collection.

Each catalogued ``find`` marked ``polling`` (see :meth:`shared.store.door.Collection.find`) is explained on
the store ``mongo_uri`` names, in a database whose indexes were made by the store that owns the collection:
on nx-27017 no step of the SQLite plan may be a ``SCAN`` of the table; on MongoDB the winning plan has no
``COLLSCAN``.  Which queries poll, and how often, is in the README's idle figures.
"""

from __future__ import annotations

import importlib
import json
import uuid

import pytest

from shared.store import Door, ServiceStore, client_for
from shared.store.shapes import ROOT, load_catalogue
from shared.store.staged import StagedEvents
from tests.contract.test_store_differential import CATALOGUES

FILLERS = {"<str>": "2026-11-27T00:00:00.000000Z", "<int>": 1, "<float>": 1.0, "<null>": None}
POLLING = [(path, entry) for path in CATALOGUES for entry in load_catalogue(path) if entry.get("polling")]

pytestmark = pytest.mark.usefixtures("service_env")


def _filled(shape):
    if isinstance(shape, dict):
        return {k.replace("<key>", "k"): _filled(v) for k, v in shape.items()}
    if isinstance(shape, list):
        return [_filled(s) for s in shape]
    return FILLERS.get(shape, shape)


def _indexed_by_owner(door: Door, catalogue, collection: str) -> None:
    rel = catalogue.relative_to(ROOT)
    if rel.parts[0] == "shared":
        StagedEvents(door, [collection]).ensure_indexes()
        return
    module = importlib.import_module(f"{rel.parts[1]}.store")
    [store] = [
        c
        for c in vars(module).values()
        if isinstance(c, type) and issubclass(c, ServiceStore) and c is not ServiceStore
    ]
    store(door).ensure_indexes()


def test_polling_queries_are_catalogued():
    assert {entry["polling"] for _, entry in POLLING} >= {"messages", "reminders", "offers", "booths", "meetings"}


@pytest.mark.parametrize(
    ("catalogue", "entry"), POLLING, ids=[f"{p.parent.name}:{e['polling']}:{sorted(e['filter'])}" for p, e in POLLING]
)
def test_a_polling_query_uses_an_index(mongo_uri, catalogue, entry):
    name = f"polling_{uuid.uuid4().hex[:8]}"
    door = Door(client_for(mongo_uri)[name])
    try:
        _indexed_by_owner(door, catalogue, entry["polling"])
        raw = door[entry["polling"]].raw
        raw.insert_many([{"_id": f"d{i}", "z": i} for i in range(20)])
        cursor = raw.find(_filled(entry["filter"]))
        if entry.get("sort"):
            cursor = cursor.sort([tuple(s) for s in entry["sort"]])
        plan = cursor.explain()["queryPlanner"]["winningPlan"]
    finally:
        client_for(mongo_uri).drop_database(name)
    if isinstance(plan, list):  # nx-27017: SQLite's EXPLAIN QUERY PLAN, one step per row
        steps = [step["detail"] for step in plan]
        assert not [s for s in steps if s.startswith("SCAN ") and "json_each" not in s], steps
        assert any("USING" in s and "INDEX" in s for s in steps), steps
    else:
        assert "COLLSCAN" not in json.dumps(plan), plan
