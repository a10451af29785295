"""Capacity places left pending by a crash between taking a place and writing the approval, on the real store."""

from __future__ import annotations

import uuid

import pytest
from nameko.testing.services import worker_factory

from registration.service import RegistrationService
from registration.store import RegistrationStore
from shared.store import database, door_for

pytestmark = pytest.mark.usefixtures("service_env")
LONG_AGO = "2020-01-01T00:00:00.000000Z"


def test_a_place_pending_since_a_crash_is_released_and_a_written_approval_confirmed():
    store = RegistrationStore(door_for("registration"))
    edition = f"ed_{uuid.uuid4().hex[:8]}"
    store.set_capacity(edition, {"exhibitor": 3})
    approved, crashed, fresh = (f"par_{n}_{edition}" for n in ("approved", "crashed", "fresh"))
    for pid in (approved, crashed, fresh):
        assert store.take_place(edition, "exhibitor", pid)
    store.insert(
        "participations",
        {
            "_id": approved,
            "edition_id": edition,
            "organisation_id": "o1",
            "role": "exhibitor",
            "status": "approved",
            "version": 2,
        },
    )
    # the approval was written but the process died before confirming; the other one died before writing
    database("registration").capacity.update_one(
        {"_id": f"{edition}:exhibitor"}, {"$set": {f"pending.{approved}": LONG_AGO, f"pending.{crashed}": LONG_AGO}}
    )

    worker_factory(RegistrationService, store=store)._reconcile_places()

    doc = database("registration").capacity.find_one({"_id": f"{edition}:exhibitor"})
    assert sorted(doc["holders"]) == sorted([approved, fresh]) and doc["taken"] == 2
    assert list(doc["pending"]) == [fresh]  # a place taken a moment ago may still be on its way
    assert not list(store.stale_holders())  # nothing left to look at


def test_an_approval_confirms_its_place():
    store = RegistrationStore(door_for("registration"))
    edition = f"ed_{uuid.uuid4().hex[:8]}"
    store.set_capacity(edition, {"buyer": 1})
    assert store.take_place(edition, "buyer", "p1")
    store.confirm_place(edition, "buyer", "p1")
    doc = database("registration").capacity.find_one({"_id": f"{edition}:buyer"})
    assert (list(doc["holders"]), doc["pending"], doc["taken"]) == (["p1"], {}, 1)
    assert not store.take_place(edition, "buyer", "p2")  # confirming frees nothing


def test_a_place_whose_cancellation_was_cut_short_is_freed():
    """An approved registration is cancelled; the process dies before the place is freed."""
    store = RegistrationStore(door_for("registration"))
    edition = f"ed_{uuid.uuid4().hex[:8]}"
    store.set_capacity(edition, {"exhibitor": 1})
    pid = f"par_{edition}"
    assert store.take_place(edition, "exhibitor", pid)
    store.confirm_place(edition, "exhibitor", pid)
    store.insert(
        "participations",
        {
            "_id": pid,
            "edition_id": edition,
            "organisation_id": "o1",
            "role": "exhibitor",
            "status": "approved",
            "version": 2,
        },
    )
    store.recheck_place(edition, "exhibitor", pid)  # what cancelling does first …
    database("registration").participations.update_one({"_id": pid}, {"$set": {"status": "cancelled"}})  # … then
    database("registration").capacity.update_one(
        {"_id": f"{edition}:exhibitor"}, {"$set": {f"pending.{pid}": LONG_AGO}}
    )  # and it died

    worker_factory(RegistrationService, store=store)._reconcile_places()

    assert store.capacity_of(edition) == {"exhibitor": {"limit": 1, "taken": 0}}
    assert store.take_place(edition, "exhibitor", "par_next")
