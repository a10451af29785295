"""Booths end to end: floor plan, quotas, allocation, the last-booth race, offers, overrides, slots."""

from __future__ import annotations

import csv
import io
import json
import uuid

import eventlet
import pytest

from tests.support.api import registration
from tests.support.events import Tap
from tests.support.waiting import eventually

HEADER = "record,code,name,hall,zone,size,kind,features,price_vnd,x,y,w,h"


def floor_plan(*booths: str) -> str:
    return (
        "\n".join(
            [
                HEADER,
                "hall,H1,Nhà thi đấu,,,,,,,,,,",
                "zone,A,Khu A,H1,,,,,,,,,",
                "zone,L,Livestream,H1,,,,,,,,,",
                *booths,
            ]
        )
        + "\n"
    )


def booth(code: str, kind: str = "standard", zone: str = "A", x: int = 0, features: str = "power") -> str:
    return f"booth,{code},,,{zone},standard,{kind},{features},10000000,{x},0,3,3"


@pytest.fixture
def booth_edition(api, organiser, new_edition):
    """An edition with a floor plan the booths service accepted."""

    def make(csv_text: str, rules: dict) -> str:
        eid = new_edition()["id"]
        imported = eventually(
            lambda: api.request("PUT", f"/v1/editions/{eid}/floor-plan", organiser, json={"csv": csv_text})
        )
        assert imported.status_code == 200, imported.text
        set_rules = api.request("PUT", f"/v1/editions/{eid}/booth-rules", organiser, json=rules)
        assert set_rules.status_code == 200, set_rules.text
        return eid

    return make


def test_provinces_see_the_floor_plan_and_the_quotas(booth_edition, stack):
    tap = Tap(
        f"e2e.booths.{uuid.uuid4().hex[:6]}", ("*.vn.ketnoi.booths.#",), public=True, amqp_uri=stack.config.amqp_uri
    )
    try:
        rules = {
            "groups": [
                {"name": "host", "booths": 1, "provinces": ["thanh-hoa"]},
                {"name": "others", "booths": 1, "provinces": None, "province_cap": 1},
            ]
        }
        eid = booth_edition(floor_plan(booth("A01"), booth("A02", x=3)), rules)
        events = {
            e["type"].split(".")[-2]: e["data"]
            for e in (json.loads(m.body) for m in tap.drain(expect=2))
            if e["data"]["edition_id"] == eid
        }
    finally:
        tap.delete()
    assert events["imported"] == {
        "edition_id": eid,
        "booths": 2,
        "halls": [{"code": "H1", "name": "Nhà thi đấu"}],
        "zones": [{"code": "A", "hall": "H1", "name": "Khu A"}, {"code": "L", "hall": "H1", "name": "Livestream"}],
    }
    assert [(g["name"], g["booths"], g["provinces"], g["province_cap"]) for g in events["set"]["groups"]] == [
        ("host", 1, ["thanh-hoa"], None),
        ("others", 1, None, 1),
    ]
    assert events["set"]["offer_hours"] == 48


def exhibitor(api, organiser, eid: str, province: str, **org) -> tuple[str, str]:
    """Register and approve an exhibitor; returns (participation id, member token)."""
    created = api.request("POST", f"/v1/editions/{eid}/registrations", json=registration(province, **org)).json()
    pid = created["participation"]["id"]
    assert (
        api.request("POST", f"/v1/participations/{pid}/decision", organiser, json={"action": "approve"}).json()[
            "status"
        ]
        == "approved"
    )
    return pid, api.token("member", organisation=created["organisation_id"])


def apply(api, eid: str, pid: str, member: str, **wish) -> None:
    response = eventually(
        lambda: api.request(
            "POST", f"/v1/editions/{eid}/booth-applications", member, json={"participation_id": pid, **wish}
        )
    )
    assert response.status_code == 200, response.text


def test_quotas_allocation_dry_run_commit_offer_override_and_export(api, organiser, booth_edition, stack, service_env):
    eid = booth_edition(
        floor_plan(
            booth("A01", x=0),
            booth("A02", x=3),
            booth("A03", x=6),
            booth("A04", x=9),
            booth("G01", kind="agency", x=12),
        ),
        {
            "groups": [
                {"name": "host", "booths": 2, "provinces": ["thanh-hoa"]},
                {"name": "others", "booths": 2, "provinces": None},
            ],
            "organisation_max": 1,
        },
    )
    host = [exhibitor(api, organiser, eid, "thanh-hoa") for _ in range(3)]
    others = [exhibitor(api, organiser, eid, p) for p in ("ha-noi", "nghe-an")]
    for pid, member in host + others:
        apply(api, eid, pid, member, booths_wanted=1, preferences=[{"type": "booth", "value": "A01"}], needs=["power"])

    dry = api.request("POST", f"/v1/editions/{eid}/allocations", organiser, json={})
    assert dry.status_code == 201, dry.text
    run = dry.json()
    assert run["allocated"] == 4 and run["unallocated"] == 1
    assert sum(1 for pid, _ in host if pid in run["assignments"]) == 2  # the host quota, not more
    loser = next(pid for pid, _ in host if pid not in run["assignments"])
    assert run["explanations"][loser]["status"] == "unallocated"
    assert {r["code"] for r in run["explanations"][loser]["reasons"]} & {"quota_full", "outranked"}
    assert "G01" not in {c for codes in run["assignments"].values() for c in codes}  # agency booth stays free
    assert api.request("GET", f"/v1/editions/{eid}/floor-plan").json()["totals"].get("taken", 0) == 0

    tap = Tap(
        f"e2e.booths.{uuid.uuid4().hex[:6]}", ("*.vn.ketnoi.booths.#",), public=True, amqp_uri=stack.config.amqp_uri
    )
    try:
        committed = api.request("POST", f"/v1/editions/{eid}/allocations/{run['id']}/commit", organiser)
        assert committed.status_code == 200 and committed.json()["conflicts"] == []
        again = api.request("POST", f"/v1/editions/{eid}/allocations/{run['id']}/commit", organiser)
        assert again.status_code == 409
        plan = api.request("GET", f"/v1/editions/{eid}/floor-plan").json()
        assert plan["totals"]["taken"] == 4
        assert {g["name"]: g["held"] for g in plan["quota_groups"]} == {"host": 2, "others": 2}
        assert "@example.vn" not in json.dumps(plan)

        # a holder's registration is cancelled: its booth is offered to the one left out
        holder_pid = next(pid for pid, _ in host if pid in run["assignments"])
        freed = run["assignments"][holder_pid][0]
        api.request("POST", f"/v1/participations/{holder_pid}/decision", organiser, json={"action": "cancel"})
        loser_member = dict(host)[loser]
        offers = eventually(
            lambda: api.request("GET", f"/v1/editions/{eid}/booth-offers?participation_id={loser}", loser_member),
            ok=lambda r: r.ok and r.json()["items"],
        ).json()
        offer = offers["items"][0]
        assert (offer["booth_code"], offer["status"]) == (freed, "open")
        accepted = api.request("POST", f"/v1/booth-offers/{offer['id']}/reply", loser_member, json={"accept": True})
        assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
        taken = {b["code"]: b for b in api.request("GET", f"/v1/editions/{eid}/floor-plan").json()["booths"]}
        assert taken[freed]["holder"]["participation_id"] == loser
        mine = api.request("GET", f"/v1/editions/{eid}/booth-applications/{loser}", loser_member).json()
        assert [b["code"] for b in mine["booths"]] == [freed] and mine["offers"] == []
        assert mine["application"]["preferences"] == [{"type": "booth", "value": "A01"}]
        assert (
            api.request("GET", f"/v1/editions/{eid}/booth-applications/{loser}", dict(others)[others[0][0]]).status_code
            == 403
        )

        # organiser overrides, with reasons in the audit trail
        moved = api.request(
            "POST",
            f"/v1/editions/{eid}/booths/{freed}/override",
            organiser,
            json={"action": "move", "to_booth": "G01", "reason": "Gần cửa cho xe lăn"},
        )
        assert moved.status_code == 200, moved.text
        no_reason = api.request(
            "POST", f"/v1/editions/{eid}/booths/G01/override", organiser, json={"action": "release"}
        )
        assert no_reason.status_code == 422
        final = api.request("GET", f"/v1/editions/{eid}/floor-plan").json()
        holders_by_group = {}
        for b in final["booths"]:
            if b.get("holder"):
                group = b["holder"]["quota_group"]
                holders_by_group[group] = holders_by_group.get(group, 0) + 1
        assert {g["name"]: g["held"] for g in final["quota_groups"]} == holders_by_group  # counters never drift
        trail = api.request("GET", f"/v1/editions/{eid}/booth-audit", organiser).json()["items"]
        assert [(e["action"], e["booth_code"], e["reason"]) for e in trail] == [("move", freed, "Gần cửa cho xe lăn")]

        exported = api.request("GET", f"/v1/editions/{eid}/booth-assignments.csv", organiser)
        rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
        assert {r["booth"] for r in rows if r["organisation_id"]} == {
            c for c in taken if taken[c]["status"] == "taken" and c != freed
        } | {"G01"}
        types = [json.loads(m.body)["type"] for m in tap.drain(expect=7, timeout=10)]
        for kind in ("booth.allocated", "booth.released", "offer.made", "offer.accepted", "allocation.committed"):
            assert f"vn.ketnoi.booths.{kind}.v1" in types, kind
        assert "vn.ketnoi.booths.override.recorded.v1" not in types  # internal
    finally:
        tap.delete()


def test_hundred_clients_race_for_the_last_booth_exactly_one_wins(api, organiser, booth_edition):
    eid = booth_edition(
        floor_plan(booth("S01", x=0), booth("S02", x=3), booth("S03", x=6), booth("S04", x=30)),
        {"groups": [{"name": "all", "booths": 500, "provinces": None}], "organisation_max": 1},
    )
    claimants = [exhibitor(api, organiser, eid, "ha-noi") for _ in range(100)]
    empty = api.request("POST", f"/v1/editions/{eid}/allocations", organiser, json={}).json()
    assert api.request("POST", f"/v1/editions/{eid}/allocations/{empty['id']}/commit", organiser).status_code == 200
    for pid, member in claimants[:2]:
        code = "S01" if pid == claimants[0][0] else "S02"
        claim = eventually(
            lambda pid=pid, member=member, code=code: api.request(
                "POST", f"/v1/editions/{eid}/booths/{code}/claim", member, json={"participation_id": pid}
            )
        )
        assert claim.status_code == 200, claim.text
    for pid, member in claimants[2:]:  # every claimant is known to the booths service before the race
        eventually(
            lambda pid=pid, member=member: api.request(
                "GET", f"/v1/editions/{eid}/booth-offers?participation_id={pid}", member
            )
        )

    pool = eventlet.GreenPool(100)
    results = list(
        pool.imap(
            lambda c: api.request(
                "POST", f"/v1/editions/{eid}/booths/S03/claim", c[1], json={"participation_id": c[0]}
            ),
            claimants[2:],
        )
    )
    statuses = sorted(r.status_code for r in results)
    assert statuses.count(200) == 1 and statuses.count(409) == 97, statuses
    losers = [r.json() for r in results if r.status_code == 409]
    assert {loser["code"] for loser in losers} == {"booth_taken"}
    assert all(loser["suggestions"] == ["S04"] for loser in losers)
    plan = {b["code"]: b for b in api.request("GET", f"/v1/editions/{eid}/floor-plan").json()["booths"]}
    winner = next(r.json() for r in results if r.status_code == 200)
    assert plan["S03"]["holder"]["participation_id"] == winner["holder"]["participation_id"]
    assert plan["S04"]["status"] == "free"


def test_livestream_slots_are_never_double_booked(api, organiser, booth_edition):
    eid = booth_edition(
        floor_plan(booth("L01", kind="livestream", zone="L")),
        {
            "groups": [{"name": "all", "booths": 10, "provinces": None}],
            "livestream": {"slot_minutes": 30, "per_organisation": 1},
        },
    )
    first, second = (exhibitor(api, organiser, eid, "thanh-hoa") for _ in range(2))
    path = f"/v1/editions/{eid}/booths/L01/slots"
    slot = {"starts_at": "2024-08-16T09:00:00+07:00"}
    booked = eventually(lambda: api.request("POST", path, first[1], json={"participation_id": first[0], **slot}))
    assert booked.status_code == 201, booked.text
    clash = eventually(
        lambda: api.request("POST", path, second[1], json={"participation_id": second[0], **slot}),
        ok=lambda r: r.status_code != 404,
    )
    assert (clash.status_code, clash.json()["code"]) == (409, "slot_taken")
    off_grid = api.request(
        "POST", path, second[1], json={"participation_id": second[0], "starts_at": "2024-08-16T09:10:00+07:00"}
    )
    assert (off_grid.status_code, off_grid.json()["errors"][0]["code"]) == (422, "not_on_grid")
    limit = api.request(
        "POST", path, first[1], json={"participation_id": first[0], "starts_at": "2024-08-16T10:00:00+07:00"}
    )
    assert (limit.status_code, limit.json()["code"]) == (409, "slot_limit")
    listed = api.request("GET", f"/v1/editions/{eid}/livestream-slots").json()["items"]
    assert [s["participation_id"] for s in listed] == [first[0]]


def test_floor_plan_errors_name_their_lines(api, organiser, new_edition):
    eid = new_edition()["id"]
    bad = floor_plan(booth("A01"), booth("A01"), booth("B02", zone="Z"))
    response = eventually(
        lambda: api.request("PUT", f"/v1/editions/{eid}/floor-plan", organiser, json={"csv": bad}),
        ok=lambda r: r.status_code != 404,
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert any("line6" in f for f in fields) and any("line7" in f for f in fields), fields
