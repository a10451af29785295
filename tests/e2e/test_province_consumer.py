"""A province's consumer in a second language: the Node.js example (examples/province-consumer), written from
events/README.md alone, replays Quảng Trị's history stream from the running stack's broker with Quảng Trị's own
credentials, and its summary matches what the API says about the province.

The province's user is created with ``rabbitmqctl`` on the machine's broker, where the stack's vhost lives: the
operators' command (``python -m shared.events.provinces``) needs the management API, which that broker does not
enable, but the permissions are those the command sets (:meth:`shared.events.provinces.Reader.permissions` and
its keys), so they cannot drift.  The user's name has a suffix of the test's own, because users belong to the
whole broker and other runs share it; its queues stay inside ``province.quang-tri.``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import subprocess
import uuid
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from shared.config import settings
from shared.events.provinces import Reader, province_reader
from tests.e2e.test_booths import booth, floor_plan
from tests.e2e.test_meetings import approved, buyer
from tests.support.api import registration
from tests.support.waiting import eventually

CONSUMER = Path(__file__).resolve().parents[2] / "examples" / "province-consumer"
PROVINCE = "quang-tri"
MOU = "vn.ketnoi.meetings.mou.signed.v1"


def _ctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@pytest.fixture
def province_amqp_url(stack):
    """An AMQP URL for Quảng Trị's reader on the stack's vhost, with the permissions the operators' command sets."""
    if not (CONSUMER / "node_modules" / "amqplib").is_dir():
        pytest.fail("the example's packages are missing: `make node` (make test runs it) installs them")
    parts = urlsplit(stack.config.amqp_uri)
    vhost = parts.path[1:] or "/"
    reader: Reader = dataclasses.replace(
        province_reader(PROVINCE), user=f"province.{PROVINCE}.e2e-{uuid.uuid4().hex[:6]}"
    )
    password = secrets.token_urlsafe(16)
    perms = reader.permissions(settings().public_exchange)
    _ctl("add_user", reader.user, password)
    try:
        _ctl("set_permissions", "-p", vhost, reader.user, perms["configure"], perms["write"], perms["read"])
        _ctl("set_topic_permissions", "-p", vhost, reader.user, settings().public_exchange, "^$", reader.keys)
        yield f"amqp://{reader.user}:{password}@{parts.hostname}:{parts.port or 5672}/{vhost}"
    finally:
        _ctl("delete_user", reader.user)


def consume(url: str, province: str, dump: Path, start: str = "first") -> subprocess.CompletedProcess:
    """One replay from ``start``, until the stream has been quiet for 2 s (at most 60 s)."""
    return subprocess.run(
        ["node", "consumer.js", "--from", start, "--idle", "2", "--max-seconds", "60", "--dump", str(dump)],
        cwd=CONSUMER,
        capture_output=True,
        text=True,
        timeout=90,
        env={"PATH": os.environ["PATH"], "KETNOI_AMQP_URL": url, "KETNOI_PROVINCE": province},
    )


def exhibitor(api, organiser, eid: str, province: str, sectors: list[str]) -> tuple[str, str, str]:
    """Registered and approved; (participation id, organisation id, member token)."""
    body = registration(province, name=f"Công ty {province} {uuid.uuid4().hex[:5]}", sectors=sectors)
    return approved(api, organiser, eid, body)


def test_the_node_consumer_replays_only_its_province_and_matches_the_api(
    api, organiser, new_edition, province_amqp_url, tmp_path
):
    eid = new_edition()["id"]
    plan = eventually(
        lambda: api.request(
            "PUT",
            f"/v1/editions/{eid}/floor-plan",
            organiser,
            json={"csv": floor_plan(booth("A01", x=0), booth("A02", x=3), booth("A03", x=6), booth("A04", x=9))},
        )
    )
    assert plan.status_code == 200, plan.text
    assert (
        api.request(
            "PUT",
            f"/v1/editions/{eid}/booth-rules",
            organiser,
            json={"groups": [{"name": "all", "booths": 4, "provinces": None}], "organisation_max": 1},
        ).status_code
        == 200
    )

    qt_coffee = exhibitor(api, organiser, eid, "quang-tri", ["coffee", "agriculture"])
    qt_pepper = exhibitor(api, organiser, eid, "quang-binh", ["pepper"])  # merged into quang-tri
    hue = exhibitor(api, organiser, eid, "hue", ["seafood"])
    foreign = buyer(api, organiser, eid)
    pending = api.request("POST", f"/v1/editions/{eid}/registrations", json=registration("quang-tri"))
    assert pending.status_code == 201, pending.text  # submitted, never approved: not counted
    for pid, _, member in (qt_coffee, hue):
        applied = eventually(
            lambda pid=pid, member=member: api.request(
                "POST",
                f"/v1/editions/{eid}/booth-applications",
                member,
                json={"participation_id": pid, "booths_wanted": 1},
            )
        )
        assert applied.status_code == 200, applied.text
    run = api.request("POST", f"/v1/editions/{eid}/allocations", organiser, json={})
    assert run.status_code == 201 and run.json()["allocated"] == 2, run.text
    assert (
        api.request("POST", f"/v1/editions/{eid}/allocations/{run.json()['id']}/commit", organiser).status_code == 200
    )

    def sign(*parties) -> str:
        body = {
            "title": {"vi": "Biên bản ghi nhớ"},
            "parties": [{"organisation_id": p[1]} for p in parties],
            "sector": "processed_food",
            "value": {"amount": 500_000_000, "currency": "VND"},
            "signed_on": "2024-08-16",
        }
        created = eventually(
            lambda: api.request("POST", f"/v1/editions/{eid}/mous", organiser, json=body),
            ok=lambda r: r.status_code == 201,
        )
        assert created.status_code == 201, created.text
        return created.json()["id"]

    shared_mou = sign(qt_coffee, hue)  # reaches both provinces
    # (with quang-tri's own organisation: /mous/stats counts a party by the province it registered under, so
    # quang-binh's MOUs are not under quang-tri there, although their events are routed to quang-tri)
    with_buyer = sign(qt_coffee, foreign)  # quang-tri's only: a foreign party adds no national copy
    hue_only = sign(hue, foreign)  # hue's only

    province = api.token("province", province=PROVINCE)
    stats = api.request("GET", f"/v1/editions/{eid}/stats", province).json()
    mou_stats = api.request("GET", f"/v1/editions/{eid}/mous/stats", province).json()
    floor = api.request("GET", f"/v1/editions/{eid}/floor-plan").json()
    qt_orgs = {qt_coffee[1], qt_pepper[1]}
    held = sum(1 for b in floor["booths"] if (b.get("holder") or {}).get("organisation_id") in qt_orgs)
    expected = {
        "registrations_approved": stats["status"]["approved"],
        "registrations_approved_by_sector": {"agriculture": 1, "coffee": 1, "pepper": 1},
        "registrations_approved_by_role": {"exhibitor": 2},
        "booths_allocated": held,
        "mous_signed": mou_stats["by_province"][PROVINCE]["count"],
    }
    assert (expected["registrations_approved"], held, expected["mous_signed"]) == (2, 1, 2)

    dump = tmp_path / "first.jsonl"
    runs = []

    def replay():
        runs.append(consume(province_amqp_url, PROVINCE, dump))
        return runs[-1]

    first = eventually(
        replay, ok=lambda r: r.returncode != 0 or json.loads(r.stdout)["editions"].get(eid) == expected, timeout=60
    )
    assert first.returncode == 0, first.stderr + first.stdout
    summary = json.loads(first.stdout)
    assert summary["editions"][eid] == expected
    assert summary["personal_data"] == [] and summary["other_province"] == []
    assert set(summary["routing"]) <= {PROVINCE, "national"}
    assert {
        "vn.ketnoi.registration.participation.approved.v1",
        "vn.ketnoi.booths.booth.allocated.v1",
        MOU,
        "vn.ketnoi.registration.edition.created.v1",
    } <= set(summary["event_types"])

    # the raw dump, checked here too: only quang-tri's and national keys, nothing of hue's, no people
    text = dump.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines()]
    assert len(lines) == summary["messages"]
    ours = [m for m in lines if (m["event"]["data"] or {}).get("edition_id") == eid]
    scopes = Counter(m["routing_key"].split(".")[0] for m in lines)
    assert set(scopes) <= {PROVINCE, "national"}, scopes
    for m in ours:
        data = m["event"]["data"]
        if m["routing_key"].startswith(f"{PROVINCE}.") and "province_2025" in data:
            assert data["province_2025"] == PROVINCE
        assert data.get("participation_id") != hue[0] and data.get("organisation_id") != hue[1]
    mous: dict[str, set[str]] = {}
    for m in ours:
        if m["event"]["type"] == MOU:
            mous.setdefault(m["event"]["data"]["mou_id"], set()).add(m["routing_key"].split(".")[0])
    assert mous == {shared_mou: {PROVINCE}, with_buyer: {PROVINCE}}, mous
    assert hue_only not in text
    for _, org, _ in (qt_coffee, qt_pepper, hue):
        on_file = api.request("GET", f"/v1/organisations/{org}", organiser).json()
        people = on_file["delegates"].values() if isinstance(on_file["delegates"], dict) else on_file["delegates"]
        for delegate in people:
            assert delegate["name"] not in text and delegate["email"] not in text and delegate["phone"] not in text
    assert "@" not in text and "Tanaka" not in text

    # a replay from the start gives the same summary
    second = consume(province_amqp_url, PROVINCE, tmp_path / "second.jsonl")
    assert second.returncode == 0, second.stderr
    again = json.loads(second.stdout)
    assert again["editions"][eid] == expected
    assert again["events"] >= summary["events"]

    # resuming from a stored offset: the message at that offset comes first, and nothing before it
    middle = lines[len(lines) // 2]
    resumed = consume(province_amqp_url, PROVINCE, tmp_path / "resumed.jsonl", start=str(middle["offset"]))
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["first_offset"] == middle["offset"]
    first_resumed = json.loads((tmp_path / "resumed.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert first_resumed["event"]["id"] == middle["event"]["id"]

    # another province's history is refused by the broker, whatever the consumer asks
    refused = consume(province_amqp_url, "hue", tmp_path / "hue.jsonl")
    assert refused.returncode == 1 and "ACCESS_REFUSED" in refused.stderr, refused.stderr


def test_the_example_unit_tests_pass():
    """The scan for personal data, the summary's rules and the webhook receiver's signature checks (node --test)."""
    done = subprocess.run(["node", "--test"], cwd=CONSUMER, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "# fail 0" in done.stdout
