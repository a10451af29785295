"""Booth counters repaired after a simulated crash between a booth's write and its counter's."""

from __future__ import annotations

import uuid

import pytest
from nameko.testing.services import entrypoint_hook

from booths.features.upkeep import persistent_drift
from booths.service import BoothsService
from booths.store import BoothsStore
from shared.events.envelope import make_event
from shared.store import database, door_for
from tests.support.floor import ONE_BOOTH, import_booths

pytestmark = pytest.mark.usefixtures("service_env")


def test_only_a_difference_seen_twice_is_corrected():
    assert persistent_drift({}, {"applicant:p": (1, 0)}) == {}
    assert persistent_drift({"applicant:p": (1, 0)}, {"applicant:p": (1, 0)}) == {"applicant:p": (1, 0)}
    assert persistent_drift({"applicant:p": (1, 0)}, {"applicant:p": (2, 1)}) == {}


def test_reconciler_repairs_a_counter_left_one_off(container_factory, amqp_uri):
    edition_id = f"ed_{uuid.uuid4().hex[:8]}"
    store = BoothsStore(door_for("booths"))
    store.remember_edition(
        {
            "edition_id": edition_id,
            "series_id": "s",
            "host_province": "thanh-hoa",
            "starts_on": "2024-08-16",
            "ends_on": "2024-08-18",
            "timezone": "Asia/Ho_Chi_Minh",
            "version": 1,
        }
    )
    store.start_group_counters(edition_id, ["all"])
    database("booths").plans.update_one({"_id": edition_id}, {"$set": {"committed_run": "run_x"}})
    import_booths(store, edition_id, [{**ONE_BOOTH, "features": []}])
    store.upsert_applicant(
        {
            "participation_id": "p1",
            "edition_id": edition_id,
            "organisation_id": "o1",
            "organisation_kind": "enterprise",
            "organisation_name": None,
            "province": "ha-noi",
            "province_2025": "ha-noi",
            "ocop_max_stars": None,
        },
        returning=False,
    )
    holder = {
        "participation_id": "p1",
        "organisation_id": "o1",
        "name": None,
        "province": "ha-noi",
        "quota_group": "all",
    }
    store.assign(
        edition_id,
        "A01",
        holder,
        "claim",
        lambda b: make_event(
            "vn.ketnoi.booths.booth.allocated.v1",
            "booths",
            "x",
            {
                "edition_id": edition_id,
                "booth_code": "A01",
                "zone": "A",
                "kind": "standard",
                "participation_id": "p1",
                "organisation_id": "o1",
                "organisation_name": None,
                "province": "ha-noi",
                "quota_group": "all",
                "source": "claim",
            },
        ),
    )
    # the process died before counting it: both counters still say 0
    container = container_factory(BoothsService, {"AMQP_URI": amqp_uri, "ACCEPT": ["json", "cloudevents"]})
    container.start()
    with entrypoint_hook(container, "reconcile_counters") as reconcile:
        reconcile()
        assert store.counters(edition_id) == {"applicant:p1": 0, "slots:p1": 0, "group:all": 0}  # maybe in flight
        reconcile()
    assert store.counters(edition_id) == {"applicant:p1": 1, "slots:p1": 0, "group:all": 1}
