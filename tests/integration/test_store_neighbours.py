"""Writes that must leave their neighbours alone, against the real store over TCP.

nx-27017 evaluates a write filter with fields beside a ``$or`` of two or more
branches as ``(fields AND first branch) OR other branches``: each write below
once touched documents its filter excludes.  Every test therefore puts a
neighbour next to the document under test that the broken reading would match,
and checks the neighbour is byte-for-byte what it was.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from meetings.store import MeetingsStore
from notifications.store import NotificationsStore
from shared.store import database, door_for, keep_newest
from shared.timestamps import to_text

pytestmark = pytest.mark.usefixtures("service_env")


def _now(delta: timedelta = timedelta()) -> str:
    return to_text(datetime.now(UTC) + delta)


@pytest.fixture
def tag() -> str:
    return uuid.uuid4().hex[:8]


def test_keep_newest_touches_only_its_document(tag):
    col = door_for("meetings")[f"keep_{tag}"]
    col.insert_many(
        [
            {"_id": "mine", "name": "old", "version": 1},
            {"_id": "unversioned", "name": "created by preferences"},  # no version field: the broken $or's 2nd branch
            {"_id": "newer", "name": "newer", "version": 9},
        ]
    )
    before = {d["_id"]: d for d in col.find({"_id": {"$ne": "mine"}})}

    assert keep_newest(col, "mine", {"name": "new", "version": 2})

    assert col.find_one({"_id": "mine"}) == {"_id": "mine", "name": "new", "version": 2}
    assert {d["_id"]: d for d in col.find({"_id": {"$ne": "mine"}})} == before
    # an older version changes nothing anywhere
    assert not keep_newest(col, "mine", {"name": "older", "version": 1})
    assert {d["_id"]: d for d in col.find({"_id": {"$ne": "mine"}})} == before


def test_following_an_organisation_changes_only_its_participants(tag):
    store = MeetingsStore(door_for("meetings"))
    edition = f"ed_{tag}"
    for pid, org in (("p1", "org_a"), ("p2", "org_b"), ("p3", "org_c")):
        store.upsert_participant(
            {
                "participation_id": f"{pid}_{tag}",
                "edition_id": edition,
                "organisation_id": f"{org}_{tag}",
                "organisation_kind": "enterprise",
                "organisation_name": f"Name {org}",
                "province": "quang-tri",
                "sectors": ["food"],
                "wants": {"b2b": True},
            },
            "supplier",
        )
    others = {p["_id"]: p for p in store.participants(edition) if p["organisation_id"] != f"org_a_{tag}"}

    store.follow_organisation(
        {"organisation_id": f"org_a_{tag}", "version": 3, "name": "Renamed A", "province": "hue", "sectors": ["wood"]}
    )

    mine = store.participant(f"p1_{tag}")
    assert (mine["name"], mine["province"], mine["sectors"], mine["organisation_version"]) == (
        "Renamed A",
        "hue",
        ["wood"],
        3,
    )
    assert {p["_id"]: p for p in store.participants(edition) if p["_id"] != f"p1_{tag}"} == others


def test_a_lease_takes_only_the_message_asked_for(tag):
    store = NotificationsStore(door_for("notifications"))
    asked, other = f"msg_asked_{tag}", f"msg_other_{tag}"
    store.add_message({"_id": asked, "status": "pending", "next_at": _now(timedelta(hours=1)), "channel": "email"})
    store.add_message(
        {
            "_id": other,
            "status": "sending",
            "lease_until": _now(-timedelta(minutes=5)),
            "next_at": _now(-timedelta(hours=1)),
            "channel": "email",
        }
    )
    before = store.message(other)

    assert store.lease(asked, _now(), _now(timedelta(minutes=1))) is None  # not due yet
    assert store.message(other) == before
    assert store.message(asked)["status"] == "pending"


def test_a_scheduler_claim_takes_only_its_session(tag):
    store = MeetingsStore(door_for("meetings"))
    busy, stale = f"ses_busy_{tag}", f"ses_stale_{tag}"
    event = {"id": f"ev_{tag}", "type": "t", "time": _now()}
    store.insert_session({"_id": busy, "edition_id": f"ed_{tag}", "scheduler": None}, event)
    store.insert_session({"_id": stale, "edition_id": f"ed_{tag}", "scheduler": None}, {**event, "id": f"ev2_{tag}"})
    cutoff = _now(-timedelta(minutes=1))
    assert store.claim_scheduler(busy, "run_1", cutoff)
    database("meetings").sessions.update_one(
        {"_id": stale}, {"$set": {"scheduler": {"run_id": "run_dead", "at": _now(-timedelta(hours=1))}}}
    )
    before = store.session(stale)

    assert not store.claim_scheduler(busy, "run_2", cutoff)  # busy is claimed by run_1, and not stale

    assert store.session(stale) == before
    assert store.session(busy)["scheduler"]["run_id"] == "run_1"
