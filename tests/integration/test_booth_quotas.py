"""Quotas and caps hold on every path that gives a booth: offers, accepts and claims, also when they race
(found from outside: an offer went to an exhibitor of a full group, and offers and claims passed the
per-province cap)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from nameko.testing.services import worker_factory

from booths import events as booth_events
from booths.service import BoothsService
from booths.store import BoothsStore
from shared.errors import Conflict
from shared.store import door_for
from tests.integration.test_booths_all_or_nothing import OPS, booths_of, csv_of, new_edition

pytestmark = pytest.mark.usefixtures("service_env")


def service():
    return worker_factory(BoothsService, store=BoothsStore(door_for("booths")))


def exhibitor(edition_id: str, name: str, province: str, kind: str = "enterprise", wanted: int = 1) -> str:
    store = BoothsStore(door_for("booths"))
    pid = f"{edition_id}-{name}"
    store.upsert_applicant(
        {
            "participation_id": pid,
            "edition_id": edition_id,
            "organisation_id": f"o-{pid}",
            "organisation_kind": kind,
            "organisation_name": None,
            "province": province,
            "province_2025": province,
            "ocop_max_stars": None,
        },
        returning=False,
    )
    wish = {"booths_wanted": wanted, "preferences": [], "needs": [], "submitted_at": "2026-07-01T00:00:00.000000Z"}
    store.set_application(pid, wish, booth_events.application_submitted(store.applicant(pid), wish))
    return pid


def rules(edition_id: str, groups: list[dict]) -> None:
    service().set_rules(
        OPS, edition_id, {"groups": groups, "organisation_max": 1, "priorities": {"base": 1.0, "cooperative": 5.0}}
    )


def cancelled(edition_id: str, pid: str) -> dict:
    return {
        "id": f"ev-{pid}",
        "type": "vn.ketnoi.registration.participation.cancelled.v1",
        "data": {"participation_id": pid, "edition_id": edition_id},
    }


def counters(edition_id: str) -> dict[str, int]:
    return {
        k: n
        for k, n in BoothsStore(door_for("booths")).counters(edition_id).items()
        if k.startswith(("group:", "province:"))
    }


def test_a_freed_booth_is_offered_only_to_an_exhibitor_whose_group_has_room():
    edition_id = new_edition()
    service().import_floor_plan(OPS, edition_id, {"csv": csv_of(["A01", "A02", "A03", "A04"])})
    rules(
        edition_id,
        [{"name": "host", "booths": 2, "provinces": ["thanh-hoa"]}, {"name": "others", "booths": 1, "provinces": None}],
    )
    h1, h2 = exhibitor(edition_id, "h1", "thanh-hoa"), exhibitor(edition_id, "h2", "thanh-hoa")
    o1 = exhibitor(edition_id, "o1", "ha-noi", kind="cooperative")  # worth most, but its group will be full
    o2 = exhibitor(edition_id, "o2", "nghe-an", kind="cooperative")
    h3 = exhibitor(edition_id, "h3", "thanh-hoa")
    run = service().run_allocation(OPS, edition_id, {"keep_current": False})
    service().commit_allocation(OPS, edition_id, run["id"])
    held = {pid for pid in (h1, h2, h3, o1, o2) if run["assignments"].get(pid)}
    assert len(held & {h1, h2, h3}) == 2 and len(held & {o1, o2}) == 1
    leaving = sorted(held & {h1, h2, h3})[0]
    waiting_host = ({h1, h2, h3} - held).pop()

    service().on_cancelled(cancelled(edition_id, leaving))

    offers = BoothsStore(door_for("booths")).offers({"edition_id": edition_id, "status": "open"})
    assert [o["participation_id"] for o in offers] == [waiting_host]  # not the others' exhibitor left out
    assert counters(edition_id)["group:host"] == 2 and counters(edition_id)["group:others"] == 1
    assert service().reply_to_offer(OPS, offers[0]["_id"], {"accept": True})["status"] == "accepted"
    assert counters(edition_id)["group:host"] == 2


def test_claims_racing_for_the_last_place_of_a_province_leave_it_at_its_cap():
    edition_id = new_edition()
    service().import_floor_plan(OPS, edition_id, {"csv": csv_of([f"A0{i}" for i in range(1, 9)])})
    rules(edition_id, [{"name": "all", "booths": 8, "provinces": None, "province_cap": 1}])
    run = service().run_allocation(OPS, edition_id, {"keep_current": False})  # nobody applied yet: empty
    service().commit_allocation(OPS, edition_id, run["id"])
    racers = [exhibitor(edition_id, f"y{i}", "dien-bien") for i in range(6)]
    other = exhibitor(edition_id, "z", "lai-chau")

    def claim(args):
        pid, code = args
        try:
            return service().claim(OPS, edition_id, code, {"participation_id": pid})["code"]
        except Conflict as refused:
            return refused.code

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(claim, zip(racers, ["A01", "A02", "A03", "A04", "A05", "A06"], strict=True)))
    assert sum(a.startswith("A0") for a in answers) == 1 and answers.count("province_cap_reached") == 5
    assert claim((other, "A07")) == "A07"  # another province is not held back
    held = [b["holder"]["province"] for b in booths_of(edition_id).values() if b["holder"]]
    assert sorted(held) == ["dien-bien", "lai-chau"]
    assert counters(edition_id) == {"group:all": 2, "province:dien-bien": 1, "province:lai-chau": 1}


def test_an_offer_skips_a_province_at_its_cap_and_reserves_its_places():
    edition_id = new_edition()
    service().import_floor_plan(OPS, edition_id, {"csv": csv_of(["A01", "A02", "A03"])})
    rules(edition_id, [{"name": "all", "booths": 3, "provinces": None, "province_caps": {"ha-noi": 1}}])
    first = exhibitor(edition_id, "a", "ha-noi", kind="cooperative")
    second = exhibitor(edition_id, "b", "ha-noi", kind="cooperative")  # worth more, but ha-noi is at its cap
    leaving = exhibitor(edition_id, "d", "nghe-an")
    run = service().run_allocation(OPS, edition_id, {"keep_current": False})
    service().commit_allocation(OPS, edition_id, run["id"])
    assert {pid for pid, codes in run["assignments"].items() if codes} == {first, leaving}
    late = exhibitor(edition_id, "c", "nghe-an")  # approved after the run

    service().on_cancelled(cancelled(edition_id, leaving))

    [offer] = BoothsStore(door_for("booths")).offers({"edition_id": edition_id, "status": "open"})
    assert offer["participation_id"] == late and second != late
    assert counters(edition_id) == {"group:all": 2, "province:ha-noi": 1, "province:nghe-an": 1}  # reserved
    service().reply_to_offer(OPS, offer["_id"], {"accept": False})
    assert counters(edition_id) == {"group:all": 1, "province:ha-noi": 1, "province:nghe-an": 0}
