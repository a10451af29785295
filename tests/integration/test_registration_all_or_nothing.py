"""The registration form is all or nothing: cut off after any write, a retry (or the service) completes it.

Found from outside: after an interruption the client's retry got 201 with
``organisation_created: false`` and the form's products were dropped.  Here
the service is cut off (its store raises, as a dead process writes nothing
more) before each of its later writes; the same form is then sent again, or
left to the service's own completion pass.
"""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from nameko.testing.services import worker_factory

from registration.service import RegistrationService
from registration.store import RegistrationStore
from shared.auth import Principal
from shared.store import database, door_for
from tests.support.api import edition_body, registration

pytestmark = pytest.mark.usefixtures("service_env")
OPS = Principal(role="ops", subject="it-ops").as_dict()


class CutOff(Exception):
    """The process died here."""


class DyingStore(RegistrationStore):
    """Writes normally until the ``after``-th insert into ``collection``, then 'dies'."""

    def __init__(self, door, collection: str, after: int) -> None:
        super().__init__(door)
        self.collection, self.left = collection, after

    def insert(self, collection, document, *events):
        if collection == self.collection:
            if self.left == 0:
                raise CutOff(collection)
            self.left -= 1
        return super().insert(collection, document, *events)


@pytest.fixture
def edition() -> str:
    store = RegistrationStore(door_for("registration"))
    store.ensure_indexes()  # what the container does at start (worker_factory starts none)
    service = worker_factory(RegistrationService, store=store)
    key = f"it-{uuid.uuid4().hex[:8]}"
    service.create_series(OPS, {"key": key, "name": {"vi": "Kết nối"}})
    created = service.create_edition(OPS, edition_body(key, date(2026, 8, 16), "thanh-hoa", ["nghe-an"]))
    service.set_edition_status(OPS, created["id"], created["version"], {"status": "open"})
    return created["id"]


def form_with_products(n: int) -> dict:
    body = registration("thanh-hoa", name=f"Công ty Nông sản {uuid.uuid4().hex[:6]}")
    body["products"] = [
        {
            "name": {"vi": f"Sản phẩm {i}"},
            "category": "processed_food",
            "ocop": {"stars": 3 + i % 3, "certificate_no": f"TH-{i}", "year": 2024},
        }
        for i in range(n)
    ]
    return body


def stored(organisation_id: str) -> tuple[dict, list[dict], list[dict]]:
    db = database("registration")
    return (
        db.organisations.find_one({"_id": organisation_id}),
        list(db.products.find({"organisation_id": organisation_id})),
        list(db.participations.find({"organisation_id": organisation_id})),
    )


@pytest.mark.parametrize(("collection", "after"), [("products", 0), ("products", 2), ("participations", 0)])
def test_a_retry_of_the_same_form_completes_a_registration_cut_off_half_way(edition, collection, after):
    form = form_with_products(3)
    dying = worker_factory(RegistrationService, store=DyingStore(door_for("registration"), collection, after))
    with pytest.raises(CutOff):
        dying.register(None, edition, form)
    org_key = f"vn:{form['organisation']['tax_code']}"
    pending = database("registration").organisations.find_one({"org_key": org_key})
    assert pending["state"] == "pending" and not pending.get("outbox")  # nothing announced, nothing shown
    public = worker_factory(RegistrationService, store=RegistrationStore(door_for("registration")))
    with pytest.raises(Exception, match="organisation"):
        public.get_organisation(None, pending["_id"])

    answer = public.register(None, edition, form)  # the client retries

    assert answer["organisation_created"] is True and answer["organisation_id"] == pending["_id"]
    org, products, participations = stored(pending["_id"])
    assert "state" not in org and "pending" not in org
    events = [e["type"].split(".", 3)[3] for e in sorted(participations[0]["outbox"].values(), key=lambda e: e["time"])]
    assert events == ["organisation.registered.v1", "organisation.contacts_changed.v1", "participation.submitted.v1"]
    assert sorted(p["name"]["vi"] for p in products) == ["Sản phẩm 0", "Sản phẩm 1", "Sản phẩm 2"]
    assert [p["_id"] for p in participations] == [answer["participation"]["id"]]
    assert participations[0]["org"]["ocop_max_stars"] == 5
    # and the same form a third time is the same answer, not a 409
    again = public.register(None, edition, form)
    assert again["participation"]["id"] == answer["participation"]["id"]
    assert len(stored(pending["_id"])[1]) == 3


def test_a_registration_nobody_retries_is_completed_by_the_service(edition):
    form = form_with_products(2)
    dying = worker_factory(RegistrationService, store=DyingStore(door_for("registration"), "participations", 0))
    with pytest.raises(CutOff):
        dying.register(None, edition, form)
    org_id = database("registration").organisations.find_one({"org_key": f"vn:{form['organisation']['tax_code']}"})[
        "_id"
    ]
    database("registration").organisations.update_one(  # a minute has passed
        {"_id": org_id}, {"$set": {"pending.since": "2020-01-01T00:00:00.000000Z"}}
    )
    other_pending = form_with_products(1)  # a neighbour still on its way must be left alone
    with pytest.raises(CutOff):
        worker_factory(RegistrationService, store=DyingStore(door_for("registration"), "participations", 0)).register(
            None, edition, other_pending
        )

    worker_factory(RegistrationService, store=RegistrationStore(door_for("registration"))).finish_cut_off_work()

    org, products, participations = stored(org_id)
    assert "pending" not in org and len(products) == 2 and len(participations) == 1
    neighbour = database("registration").organisations.find_one(
        {"org_key": f"vn:{other_pending['organisation']['tax_code']}"}
    )
    assert neighbour["state"] == "pending"


def test_a_different_form_for_an_organisation_being_registered_waits(edition):
    form = form_with_products(1)
    dying = worker_factory(RegistrationService, store=DyingStore(door_for("registration"), "products", 0))
    with pytest.raises(CutOff):
        dying.register(None, edition, form)
    other = {**form, "products": []}  # same tax code, another form
    service = worker_factory(RegistrationService, store=RegistrationStore(door_for("registration")))
    with pytest.raises(Exception, match="registered right now"):
        service.register(None, edition, other)


class DyingOnCapacity(RegistrationStore):
    def set_capacity(self, edition_id, limits, promotion_due=False):
        raise CutOff("capacity")


def test_an_edition_cut_off_before_its_places_are_written_does_not_exist():
    """Found in review: the edition was inserted first, and one cut off before its capacity took unlimited
    approvals."""
    key = f"it-{uuid.uuid4().hex[:8]}"
    healthy = worker_factory(RegistrationService, store=RegistrationStore(door_for("registration")))
    healthy.create_series(OPS, {"key": key, "name": {"vi": "Kết nối"}})
    dying = worker_factory(RegistrationService, store=DyingOnCapacity(door_for("registration")))
    with pytest.raises(CutOff):
        dying.create_edition(OPS, edition_body(key, date(2026, 8, 16), "thanh-hoa", ["nghe-an"], {"exhibitor": 2}))
    assert database("registration").editions.count_documents({"series_id": key}) == 0

    created = healthy.create_edition(
        OPS, edition_body(key, date(2026, 8, 16), "thanh-hoa", ["nghe-an"], {"exhibitor": 2})
    )
    assert created["capacity"]["exhibitor"] == 2
    assert database("registration").editions.count_documents({"series_id": key}) == 1


def backdate(collection: str, query: dict, field: str) -> None:
    """A minute has passed."""
    database("registration")[collection].update_many(query, {"$set": {field: "2020-01-01T00:00:00.000000Z"}})


class DyingOnCopies(RegistrationStore):
    def update_many(self, collection, query, update):
        if collection == "participations":
            raise CutOff(collection)
        return super().update_many(collection, query, update)


def test_a_change_cut_off_before_the_participations_copy_is_refreshed_later(edition):
    """Found in review: cut off between the organisation's write and its participations' copy, province
    officials filtered on the old province and later events carried it; a retry got 412."""
    service = worker_factory(RegistrationService, store=RegistrationStore(door_for("registration")))
    edition_id = edition
    mine = service.register(None, edition_id, form_with_products(1))
    neighbour = service.register(None, edition_id, form_with_products(1))
    org_id = mine["organisation_id"]
    version = service.get_organisation(OPS, org_id)["version"]
    dying = worker_factory(RegistrationService, store=DyingOnCopies(door_for("registration")))
    with pytest.raises(CutOff):
        dying.update_organisation(OPS, org_id, version, {"province": "nghe-an"})
    participations = database("registration").participations
    assert participations.find_one({"organisation_id": org_id})["org"]["province"] == "thanh-hoa"
    backdate("organisations", {"_id": org_id}, "snapshot_due")

    service.finish_cut_off_work()

    assert participations.find_one({"organisation_id": org_id})["org"]["province"] == "nghe-an"
    assert "snapshot_due" not in database("registration").organisations.find_one({"_id": org_id})
    assert participations.find_one({"organisation_id": neighbour["organisation_id"]})["org"]["province"] == "thanh-hoa"


def one_place_one_waiting(service) -> tuple[dict, str, str]:
    """An edition with one exhibitor's place: the first approved, the second waitlisted."""
    key = f"it-{uuid.uuid4().hex[:8]}"
    service.create_series(OPS, {"key": key, "name": {"vi": "Kết nối"}})
    created = service.create_edition(
        OPS, edition_body(key, date(2026, 8, 16), "thanh-hoa", ["nghe-an"], {"exhibitor": 1})
    )
    opened = service.set_edition_status(OPS, created["id"], created["version"], {"status": "open"})
    first, second = (
        service.register(None, created["id"], form_with_products(1))["participation"]["id"] for _ in range(2)
    )
    assert service.decide(OPS, first, {"action": "approve"})["status"] == "approved"
    assert service.decide(OPS, second, {"action": "approve"})["status"] == "waitlisted"
    return opened, first, second


def test_a_place_freed_just_before_a_crash_still_goes_to_the_waitlist():
    """Found in review: cut off between freeing a cancelled exhibitor's place and promoting the waitlist,
    the place stayed free while others waited."""
    service = worker_factory(RegistrationService, store=RegistrationStore(door_for("registration")))
    created, first, second = one_place_one_waiting(service)
    dying = worker_factory(RegistrationService, store=RegistrationStore(door_for("registration")))

    def died(*_):
        raise CutOff("promotion")

    dying._promote_waitlisted = died
    with pytest.raises(CutOff):
        dying.decide(OPS, first, {"action": "cancel"})
    participations = database("registration").participations
    assert participations.find_one({"_id": second})["status"] == "waitlisted"
    backdate("capacity", {"edition_id": created["id"]}, "promotion_due")

    service.finish_cut_off_work()

    assert participations.find_one({"_id": second})["status"] == "approved"
    capacity = database("registration").capacity.find_one({"_id": f"{created['id']}:exhibitor"})
    assert capacity["taken"] == 1 and "promotion_due" not in capacity


def test_more_places_cut_off_before_they_were_written_are_written_later():
    """Found in review: cut off between the edition's update and its places, the new limit never applied
    (a retry got 412)."""
    service = worker_factory(RegistrationService, store=RegistrationStore(door_for("registration")))
    created, _, second = one_place_one_waiting(service)
    dying = worker_factory(RegistrationService, store=DyingOnCapacity(door_for("registration")))
    with pytest.raises(CutOff):
        dying.update_edition(OPS, created["id"], created["version"], {"capacity": {"exhibitor": 2}})
    assert database("registration").capacity.find_one({"_id": f"{created['id']}:exhibitor"})["limit"] == 1
    backdate("editions", {"_id": created["id"]}, "capacity_due")

    service.finish_cut_off_work()

    assert database("registration").capacity.find_one({"_id": f"{created['id']}:exhibitor"})["limit"] == 2
    assert database("registration").participations.find_one({"_id": second})["status"] == "approved"
    assert "capacity_due" not in database("registration").editions.find_one({"_id": created["id"]})
    assert service.get_edition(OPS, created["id"])["places"]["exhibitor"]["limit"] == 2
