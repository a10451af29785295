"""One door to each database: only the stores reach collections, and the door makes every filter safe.

The first tests read the source: outside a service's ``store.py`` and
``shared/store/``, no module imports PyMongo (but its exceptions), opens a
database or a door, or touches a ``db`` attribute.  A service class holds
its store object, never a raw ``Database``.  The others pin what the door
does to the shapes nx-27017 gets wrong.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from scripts.stack import ROOT, service_names
from shared.store import ServiceStore, Store, UnsafeStoreCall, safe_filter
from shared.store.door import check_pipeline, check_update

STORE_INTERNALS = {"database", "client_for", "door_for", "Door", "Collection"}


def _modules() -> list[Path]:
    return sorted([*ROOT.glob("services/*/*/**/*.py"), *ROOT.glob("shared/**/*.py")])


def _allowed(path: Path) -> bool:
    rel = path.relative_to(ROOT)
    return (rel.name == "store.py" and rel.parts[0] == "services") or rel.parts[:2] == ("shared", "store")


def _violations(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("pymongo")]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("pymongo") and node.module != "pymongo.errors":
                found.append(f"from {node.module} import …")
            if node.module.startswith("shared.store"):
                found += [f"{node.module}.{a.name}" for a in node.names if a.name in STORE_INTERNALS]
        elif isinstance(node, ast.Attribute) and node.attr == "db":
            found.append(f"….db (line {node.lineno})")
    return found


def test_only_the_stores_touch_the_database():
    offenders = {str(p.relative_to(ROOT)): v for p in _modules() if not _allowed(p) and (v := _violations(p))}
    assert offenders == {}


def test_the_check_catches_a_service_that_opens_the_database(tmp_path):
    sneaky = tmp_path / "service.py"
    sneaky.write_text(
        "from shared.store import database\nfrom pymongo import UpdateOne\n"
        "class S:\n    def f(self):\n        return self.db.plans.find({})\n",
        encoding="utf-8",
    )
    assert _violations(sneaky) == ["shared.store.database", "from pymongo import …", "….db (line 5)"]


@pytest.mark.parametrize("service", [n for n in service_names() if n != "gateway"])
def test_every_service_class_is_given_its_store_object(service):
    module = __import__(f"{service}.service", fromlist=["*"])
    classes = [c for c in vars(module).values() if isinstance(c, type) and getattr(c, "name", None) == service]
    providers = {name: dep for cls in classes for name, dep in vars(cls).items() if isinstance(dep, Store)}
    assert list(providers) == ["store"]
    assert issubclass(providers["store"].store_class, ServiceStore)


def test_fields_beside_or_keep_their_place_and_the_or_moves_into_an_and():
    assert safe_filter({"_id": 1, "$or": [{"a": 1}, {"b": 2}]}) == {"_id": 1, "$and": [{"$or": [{"a": 1}, {"b": 2}]}]}
    assert safe_filter({"_id": 1, "$nor": [{"a": 1}], "$or": [{"b": 2}, {"c": 3}], "$and": [{"d": 4}]}) == {
        "_id": 1,
        "$and": [{"d": 4}, {"$or": [{"b": 2}, {"c": 3}]}, {"$nor": [{"a": 1}]}],
    }
    # nested inside branches too
    assert safe_filter({"$or": [{"t": 1, "$or": [{"a": 1}, {"b": 1}]}, {"c": 1}]}) == {
        "$or": [{"t": 1, "$and": [{"$or": [{"a": 1}, {"b": 1}]}]}, {"c": 1}]
    }
    # what was already safe is left as it was
    for query in ({}, {"a": 1}, {"$or": [{"a": 1}, {"b": 1}]}, {"a": {"$in": [1, 2]}, "b": None}):
        assert safe_filter(query) == query


def test_ne_is_spelled_so_both_stores_treat_a_missing_field_alike():
    assert safe_filter({"holder": {"$ne": None}}) == {"holder": {"$ne": None, "$exists": True}}
    assert safe_filter({"status": {"$ne": "cancelled"}}) == {"status": {"$ne": "cancelled"}}  # reads are right
    assert safe_filter({"_id": "p1", "status": {"$ne": "cancelled"}}, write=True) == {
        "_id": "p1",
        "$and": [{"$or": [{"status": {"$ne": "cancelled"}}, {"status": {"$exists": False}}]}],
    }


@pytest.mark.parametrize(
    "query",
    [
        {"xs": {"$elemMatch": {"k": 1, "$or": [{"v": 1}, {"w": 1}]}}},  # never matches in nx-27017
        {"n": {"$not": {"$gt": 3}}},  # not implemented there
    ],
)
def test_filters_the_embedded_store_cannot_answer_are_refused(query):
    with pytest.raises(UnsafeStoreCall):
        safe_filter(query)


def test_dotted_projections_are_refused():
    from shared.store.door import check_projection

    assert check_projection({"org": 1, "outbox": 0}) == {"org": 1, "outbox": 0}
    with pytest.raises(UnsafeStoreCall):
        check_projection({"org.province": 1})


@pytest.mark.parametrize(
    "update",
    [
        {"$push": {"xs": {"a": 1}}},
        {"$push": {"xs": {"$each": [{"a": 1}]}}},
        {"$addToSet": {"tags": "x"}},
        {"$set": {"flag": True}},
        {"status": "replaced"},
    ],
)
def test_updates_the_embedded_store_corrupts_are_refused(update):
    with pytest.raises(UnsafeStoreCall):
        check_update(update)


def test_a_group_by_anything_but_one_field_is_refused():
    check_pipeline([{"$match": {"a": 1}}, {"$group": {"_id": "$a", "n": {"$sum": 1}}}])
    for key in ({"a": "$a", "b": "$b"}, 1, {"$toLower": "$a"}):
        with pytest.raises(UnsafeStoreCall):
            check_pipeline([{"$facet": {"x": [{"$group": {"_id": key, "n": {"$sum": 1}}}]}}])
