"""Every query and update shape the services use, against whatever store ``mongo_uri`` is.

By default that is the embedded nx-27017; ``KETNOI_TEST_MONGO_URI=mongodb://…``
runs the same module against MongoDB 7, so a shape that only one of them
supports is caught here rather than in production.  The last tests pin down
nx-27017 behaviours the code deliberately avoids (see shared/timestamps.py).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import eventlet
import pytest
from pymongo.errors import DuplicateKeyError

from registration.store import RegistrationStore
from shared.events.outbox import new_document, stage
from shared.store import Door, UnsafeStoreCall, client_for, keep_newest
from shared.timestamps import now_text, to_text

pytestmark = pytest.mark.usefixtures("service_env")


@pytest.fixture
def db(mongo_uri):
    """A fresh database behind the door the services use."""
    name = f"contract_{uuid.uuid4().hex[:8]}"
    yield Door(client_for(mongo_uri)[name])
    client_for(mongo_uri).drop_database(name)


def test_unique_index_admits_one_of_racing_inserts(db):
    db.p.create_index([("edition_id", 1), ("organisation_id", 1)], unique=True)
    outcomes = []

    def insert(i):
        try:
            db.p.insert_one({"_id": f"p{i}", "edition_id": "e", "organisation_id": "o"})
            outcomes.append("ok")
        except DuplicateKeyError:
            outcomes.append("dup")

    pool = eventlet.GreenPool()
    for i in range(20):
        pool.spawn(insert, i)
    pool.waitall()
    assert sorted(outcomes) == ["dup"] * 19 + ["ok"]


def test_capacity_guard_admits_exactly_the_limit_under_races(db):
    store = RegistrationStore(db)
    store.set_capacity("e1", {"exhibitor": 5})
    results = []
    pool = eventlet.GreenPool()
    for i in range(30):
        pool.spawn(lambda i=i: results.append(store.take_place("e1", "exhibitor", f"p{i}")))
    pool.waitall()
    assert results.count(True) == 5
    assert store.capacity_of("e1") == {"exhibitor": {"limit": 5, "taken": 5}}
    holders = set(db.capacity.find_one()["holders"])
    holder = sorted(holders)[0]
    outsider = next(f"p{i}" for i in range(30) if f"p{i}" not in holders)
    assert store.take_place("e1", "exhibitor", holder)  # a holder asking again keeps its place
    assert not store.take_place("e1", "exhibitor", outsider)
    assert store.capacity_of("e1")["exhibitor"]["taken"] == 5
    assert store.free_place("e1", "exhibitor", holder)
    assert not store.free_place("e1", "exhibitor", holder)  # releasing twice frees one place only
    assert store.capacity_of("e1")["exhibitor"]["taken"] == 4


def test_outbox_map_stage_and_conditional_clear(db):
    event = {"id": "ev1", "type": "t", "time": now_text()}
    db.d.insert_one(new_document({"_id": "a", "status": "submitted", "version": 1}, event))
    second = {"id": "ev2", "type": "t", "time": now_text()}
    after = db.d.find_one_and_update(
        {"_id": "a", "version": 1, "status": {"$in": ["submitted", "waitlisted"]}},
        stage({"$set": {"status": "approved", "version": 2}}, second),
    )
    assert after["outbox_n"] == 2 and set(after["outbox"]) == {"ev1", "ev2"}
    assert [d["_id"] for d in db.d.find({"outbox_n": {"$gt": 0}})] == ["a"]
    clear = {"$unset": {"outbox.ev1": ""}, "$inc": {"outbox_n": -1}}
    assert db.d.update_one({"_id": "a", "outbox.ev1": {"$exists": True}}, clear).modified_count == 1
    assert db.d.update_one({"_id": "a", "outbox.ev1": {"$exists": True}}, clear).modified_count == 0
    assert db.d.find_one({"_id": "a"})["outbox_n"] == 1
    stale = db.d.find_one_and_update({"_id": "a", "version": 1}, {"$set": {"status": "x"}})
    assert stale is None


def test_upsert_set_on_insert_keeps_existing_counters(db):
    for limit in (3, 4):
        db.c.update_one(
            {"_id": "e:r"}, {"$set": {"limit": limit}, "$setOnInsert": {"taken": 0, "holders": {}}}, upsert=True
        )
    db.c.update_one({"_id": "e:r"}, {"$inc": {"taken": 1}})
    db.c.update_one({"_id": "e:r"}, {"$set": {"limit": 5}, "$setOnInsert": {"taken": 0}}, upsert=True)
    assert db.c.find_one({"_id": "e:r"}) == {"_id": "e:r", "limit": 5, "taken": 1, "holders": {}}


def test_queries_lists_use(db):
    db.p.insert_many(
        [
            {
                "_id": f"par_{i:03d}",
                "edition_id": "e",
                "status": "approved" if i % 2 else "submitted",
                "org": {
                    "province": "dak-lak",
                    "province_2025": "dak-lak",
                    "sectors": ["coffee", "food"],
                    "ocop_max_stars": 3 + i % 3,
                    "search": f"cong ty ca phe dak lak {i}",
                },
            }
            for i in range(12)
        ]
    )
    page = list(db.p.find({"edition_id": "e", "_id": {"$gt": "par_003"}}).sort("_id", 1).limit(3))
    assert [p["_id"] for p in page] == ["par_004", "par_005", "par_006"]
    assert db.p.count_documents({"org.sectors": "coffee", "org.ocop_max_stars": {"$gte": 5}}) == 4
    assert db.p.count_documents({"org.search": {"$regex": "dak lak 1"}}) == 3
    assert db.p.count_documents({"_id": {"$in": ["par_001", "par_002", "nope"]}}) == 2
    facets = next(
        iter(
            db.p.aggregate(
                [
                    {"$match": {"edition_id": "e"}},
                    {
                        "$facet": {
                            "status": [{"$group": {"_id": "$status", "n": {"$sum": 1}}}, {"$sort": {"_id": 1}}],
                            "province": [{"$group": {"_id": "$org.province", "n": {"$sum": 1}}}],
                        }
                    },
                ]
            )
        )
    )
    assert facets["status"] == [{"_id": "approved", "n": 6}, {"_id": "submitted", "n": 6}]
    assert facets["province"] == [{"_id": "dak-lak", "n": 12}]
    assert db.p.update_many({"edition_id": "e"}, {"$set": {"org.sectors": ["tea"]}}).modified_count == 12
    assert db.p.count_documents({"org.sectors": "tea"}) == 12


def test_text_timestamps_sort_and_compare_as_times(db):
    base = datetime(2024, 8, 16, 1, 0, tzinfo=UTC)
    db.t.insert_many([{"_id": i, "at": to_text(base + timedelta(minutes=7 * i))} for i in range(5)])
    db.t.update_one({"_id": 0}, {"$set": {"at": to_text(base + timedelta(hours=1))}})
    assert [d["_id"] for d in db.t.find({}).sort("at", 1)] == [1, 2, 3, 4, 0]
    assert db.t.count_documents({"at": {"$lt": to_text(base + timedelta(minutes=20))}}) == 2


def test_ttl_index_on_insert_time_bson_date(db):
    db.i.create_index("expires_at", expireAfterSeconds=0)
    db.i.insert_one({"_id": "x", "expires_at": datetime.now(UTC) + timedelta(days=30)})
    assert isinstance(db.i.find_one({"_id": "x"})["expires_at"], datetime)


def test_the_door_refuses_values_the_embedded_store_would_change(db):
    db.v.insert_one({"_id": "x"})
    with pytest.raises(UnsafeStoreCall):
        db.v.update_one({"_id": "x"}, {"$set": {"approved_at": datetime.now(UTC)}})
    with pytest.raises(UnsafeStoreCall):
        db.v.update_one({"_id": "x"}, {"$set": {"flags.vip": True}})
    db.v.update_one({"_id": "x"}, {"$set": {"wants": {"b2b": True}, "at": now_text()}})
    assert db.v.find_one({"_id": "x"})["wants"] == {"b2b": True}


def test_upsert_whose_filter_excludes_the_existing_document_fails_instead_of_duplicating(db):
    """The booths service's tombstone: a cancellation seen first must survive a late approval."""
    db.a.insert_one({"_id": "p1", "status": "cancelled"})
    with pytest.raises(DuplicateKeyError):
        db.a.update_one({"_id": "p1", "status": {"$ne": "cancelled"}}, {"$set": {"status": "eligible"}}, upsert=True)
    assert list(db.a.find({"_id": "p1"})) == [{"_id": "p1", "status": "cancelled"}]


def test_keep_newest_is_idempotent_and_order_proof(db):
    """A fact copied from another service's events: repeats and older versions change nothing."""
    facts = db[f"facts_{uuid.uuid4().hex[:6]}"]
    assert keep_newest(facts, "ed1", {"title": "v2", "version": 2}, on_insert={"extra": 0})
    assert not keep_newest(facts, "ed1", {"title": "v2", "version": 2})  # redelivered
    assert not keep_newest(facts, "ed1", {"title": "v1", "version": 1})  # late
    assert keep_newest(facts, "ed1", {"title": "v3", "version": 3})
    assert facts.find_one({"_id": "ed1"}) == {"_id": "ed1", "title": "v3", "version": 3, "extra": 0}
    facts.insert_one({"_id": "ed2", "preferences": {"d1": {"sms": "yes"}}})  # created first, without a version
    assert keep_newest(facts, "ed2", {"title": "v1", "version": 1})
    assert facts.find_one({"_id": "ed2"})["preferences"] == {"d1": {"sms": "yes"}}
