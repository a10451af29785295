"""Waitlist offers on the real store and broker: one that fell due while the service was down
expires when it comes back, and the booth passes to the next applicant."""

from __future__ import annotations

import pytest

from booths import events as booth_events
from booths.service import BoothsService
from booths.store import BoothsStore, booth_id
from shared.store import database, door_for
from tests.support.floor import ONE_BOOTH, import_booths
from tests.support.waiting import wait_for

pytestmark = pytest.mark.usefixtures("service_env")
EDITION = "ed_offers_it"


def applicant(pid: str, stars: int | None) -> dict:
    return {
        "participation_id": pid,
        "edition_id": EDITION,
        "organisation_id": f"org_{pid}",
        "organisation_kind": "enterprise",
        "organisation_name": {"vi": pid},
        "province": "ha-noi",
        "province_2025": "ha-noi",
        "ocop_max_stars": stars,
    }


def test_offer_due_during_downtime_expires_on_restart_and_moves_on(container_factory, amqp_uri):
    store = BoothsStore(door_for("booths"))
    store.remember_edition(
        {
            "edition_id": EDITION,
            "series_id": "s",
            "host_province": "thanh-hoa",
            "starts_on": "2024-08-16",
            "ends_on": "2024-08-18",
            "timezone": "Asia/Ho_Chi_Minh",
            "version": 1,
        }
    )
    rules = {
        "groups": [{"name": "all", "booths": 10, "provinces": None}],
        "organisation_max": 1,
        "offer_hours": 24,
        "priorities": {"base": 1.0, "per_ocop_star": 0.1, "cooperative": 0.2, "returning": 0.2, "earliness": 0.01},
    }
    store.set_quotas(EDITION, rules, booth_events.rules_set(EDITION, rules))
    store.start_group_counters(EDITION, ["all"])
    import_booths(store, EDITION, [ONE_BOOTH])
    for pid, stars in (("p_first", 5), ("p_second", 4), ("p_third", None)):
        store.upsert_applicant(applicant(pid, stars), returning=False)
        wish = {
            "booths_wanted": 1,
            "preferences": [],
            "needs": ["power"],
            "submitted_at": "2024-07-01T00:00:00.000000Z",
        }
        store.set_application(pid, wish, booth_events.application_submitted(store.applicant(pid), wish))
    booth = store.booth(EDITION, "A01")
    overdue = {
        "_id": "off_overdue",
        "edition_id": EDITION,
        "booth_code": "A01",
        "participation_id": "p_first",
        "organisation_id": "org_p_first",
        "quota_group": "all",
        "province": "ha-noi",
        "status": "open",
        "expires_at": "2020-01-01T00:00:00.000000Z",
        "created_at": "2019-12-31T00:00:00.000000Z",
    }
    assert store.put_on_offer(booth, overdue, {"id": "e1", "type": "t", "time": "2019-12-31T00:00:00Z"})

    container = container_factory(BoothsService, {"AMQP_URI": amqp_uri, "ACCEPT": ["json", "cloudevents"]})
    container.start()  # the service was down when the offer fell due
    # expiring the offer and offering the booth to the next are two writes: wait for the second
    following = wait_for(
        lambda: [o for o in store.offers({"edition_id": EDITION, "status": "open"}) if o["_id"] != "off_overdue"]
    )
    assert store.offer("off_overdue")["status"] == "expired"
    # nothing else opened meanwhile (ids: the relay may clear an offer's outbox between the two reads)
    assert [o["_id"] for o in store.offers({"edition_id": EDITION, "status": "open"})] == [o["_id"] for o in following]
    assert [o["participation_id"] for o in following] == ["p_second"]  # next by priority, never the first again
    assert (
        database("booths").booths.find_one({"_id": booth_id(EDITION, "A01")})["offer"]["participation_id"] == "p_second"
    )
