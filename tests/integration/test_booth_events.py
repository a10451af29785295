"""The booths service consuming registration's events on the real broker and store, with redelivery."""

from __future__ import annotations

import json
import uuid

import pytest

from booths import events as booth_events
from booths.service import BoothsService
from booths.store import BoothsStore
from shared.events.envelope import make_event
from shared.store import database, door_for
from tests.support.counters import CONSUMED, Counted
from tests.support.events import Tap, publish
from tests.support.floor import ONE_BOOTH, import_booths
from tests.support.waiting import wait_for

pytestmark = pytest.mark.usefixtures("service_env")


def registration_event(kind: str, data: dict) -> dict:
    return make_event(f"vn.ketnoi.registration.{kind}.v1", "registration", "x", data)


def approved(edition_id: str, pid: str, status: str = "approved") -> dict:
    data = {
        "participation_id": pid,
        "edition_id": edition_id,
        "organisation_id": f"org_{pid}",
        "organisation_kind": "enterprise",
        "organisation_name": {"vi": f"Công ty {pid}"},
        "province": "ha-noi",
        "province_2025": "ha-noi",
        "country": "VN",
        "sectors": [],
        "ocop_max_stars": None,
        "role": "exhibitor",
        "status": status,
        "wants": {"booths": 1, "b2b": False, "site_visits": [], "livestream": False},
        "version": 2,
    }
    if status == "approved":
        data["promoted_from_waitlist"] = False
    return registration_event(f"participation.{status}", data)


def test_approval_and_cancellation_redelivered_change_nothing_twice(container_factory, amqp_uri):
    edition_id = f"ed_{uuid.uuid4().hex[:8]}"
    container = container_factory(BoothsService, {"AMQP_URI": amqp_uri, "ACCEPT": ["json", "cloudevents"]})
    container.start()
    tap = Tap(f"it.booths.{uuid.uuid4().hex[:6]}", ("vn.ketnoi.booths.#",))
    try:
        publish(
            registration_event(
                "edition.created",
                {
                    "edition_id": edition_id,
                    "series_id": "s1",
                    "title": {"vi": "Hội nghị"},
                    "status": "draft",
                    "host_province": "thanh-hoa",
                    "partner_provinces": [],
                    "starts_on": "2024-08-16",
                    "ends_on": "2024-08-18",
                    "timezone": "Asia/Ho_Chi_Minh",
                    "venue": "Nhà thi đấu",
                    "capacity": {},
                    "version": 1,
                },
            )
        )
        store = BoothsStore(door_for("booths"))
        wait_for(lambda: store.plan(edition_id))
        for pid in ("p_holder", "p_waiting"):
            event = approved(edition_id, pid)
            publish(event)
            publish(event)  # redelivered
        wait_for(lambda: len(store.applicants(edition_id)) == 2)
        rules = {
            "groups": [{"name": "all", "booths": 5, "provinces": None}],
            "organisation_max": 1,
            "offer_hours": 24,
            "priorities": {"base": 1.0, "per_ocop_star": 0.1, "cooperative": 0.2, "returning": 0.2, "earliness": 0.01},
        }
        store.set_quotas(edition_id, rules, booth_events.rules_set(edition_id, rules))
        store.start_group_counters(edition_id, ["all"])
        import_booths(store, edition_id, [ONE_BOOTH])
        for pid in ("p_holder", "p_waiting"):
            wish = {"booths_wanted": 1, "preferences": [], "needs": [], "submitted_at": "2024-07-01T00:00:00.000000Z"}
            store.set_application(pid, wish, booth_events.application_submitted(store.applicant(pid), wish))
        holder = {
            "participation_id": "p_holder",
            "organisation_id": "org_p_holder",
            "name": None,
            "province": "ha-noi",
            "quota_group": "all",
        }
        store.assign(
            edition_id,
            "A01",
            holder,
            "allocation",
            lambda b: make_event(
                "vn.ketnoi.booths.booth.allocated.v1",
                "booths",
                "x",
                {
                    "edition_id": edition_id,
                    "booth_code": "A01",
                    "zone": "A",
                    "kind": "standard",
                    "participation_id": "p_holder",
                    "organisation_id": "org_p_holder",
                    "organisation_name": None,
                    "province": "ha-noi",
                    "quota_group": "all",
                    "source": "allocation",
                },
            ),
        )
        assert store.applicant("p_holder")["returning"] == "no"

        cancelled = approved(edition_id, "p_holder", status="cancelled")
        duplicates = Counted(CONSUMED, handler="booths.on_cancelled", type=cancelled["type"], outcome="duplicate")
        publish(cancelled)
        publish(cancelled)  # redelivered
        wait_for(lambda: store.offers({"edition_id": edition_id}))
        duplicates.wait(1)  # the copy was seen, and acked without running the handler again
        offers = store.offers({"edition_id": edition_id})
        assert [(o["participation_id"], o["status"]) for o in offers] == [("p_waiting", "open")]
        assert store.booth(edition_id, "A01")["holder"] is None
        types = [json.loads(m.body)["type"] for m in tap.drain(expect=3, timeout=5)]
        assert types.count("vn.ketnoi.booths.booth.released.v1") == 1
        assert types.count("vn.ketnoi.booths.offer.made.v1") == 1
        handled = database("booths").inbox.count_documents({"_id": {"$regex": "^on_cancelled:"}, "state": "done"})
        assert handled >= 1
    finally:
        tap.delete()


def test_cancellation_seen_before_its_approval_keeps_the_exhibitor_out(container_factory, amqp_uri):
    """Each handler has its own queue, so events can arrive in either order."""
    edition_id = f"ed_{uuid.uuid4().hex[:8]}"
    container = container_factory(BoothsService, {"AMQP_URI": amqp_uri, "ACCEPT": ["json", "cloudevents"]})
    container.start()
    store = BoothsStore(door_for("booths"))
    store.remember_edition(
        {
            "edition_id": edition_id,
            "series_id": "s1",
            "host_province": "thanh-hoa",
            "starts_on": "2024-08-16",
            "ends_on": "2024-08-18",
            "timezone": "Asia/Ho_Chi_Minh",
            "version": 1,
        }
    )
    publish(approved(edition_id, "p_late", status="cancelled"))
    wait_for(lambda: store.applicant("p_late"))
    late_approval = approved(edition_id, "p_late")
    publish(late_approval)
    wait_for(lambda: database("booths").inbox.find_one({"_id": f"on_approved:{late_approval['id']}", "state": "done"}))
    assert store.applicant("p_late")["status"] == "cancelled"
