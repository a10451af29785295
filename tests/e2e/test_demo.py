"""`make up`'s demo, loaded through the gateway into a running system, and the Quảng Trị timetable computed.

Loading twice changes nothing; the B2B session of seed 003 comes out at Δ slots with every accepted meeting
placed, the late buyers kept out of the site-visit slots, and its MOUs counted by country.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from demo.load import load_demo

QUANG_TRI = json.loads((Path(__file__).resolve().parents[2] / "demo" / "quang-tri-2025.json").read_text("utf-8"))


def test_demo_loads_once_and_the_quang_tri_session_schedules_at_delta(api, stack, service_env):
    first = load_demo(stack.config.gateway_url)
    assert first.count("demo: loaded") == 2, first
    assert load_demo(stack.config.gateway_url).count("already loaded") == 2

    organiser = api.token("organiser", series=QUANG_TRI["series"]["key"])
    editions = api.request("GET", "/v1/editions", params={"series_id": QUANG_TRI["series"]["key"]}).json()["items"]
    [edition] = [e for e in editions if e["starts_on"] == "2025-07-10"]
    [session] = api.request("GET", f"/v1/editions/{edition['id']}/b2b-sessions").json()["items"]
    plan = api.request("GET", f"/v1/b2b-sessions/{session['id']}/plan", organiser).json()
    accepted = sum(r["status"] == "accepted" for r in QUANG_TRI["b2b"]["requests"])
    assert plan["accepted"]["meetings"] == accepted and plan["accepted"]["fits"]

    run = api.request("POST", f"/v1/b2b-sessions/{session['id']}/schedule", organiser, json={})
    assert run.status_code == 200, run.text
    run = run.json()
    assert (run["scheduled"], run["unplaced"]) == (accepted, [])
    assert run["slots_used"] == run["delta"] == plan["accepted"]["min_slots"]

    meetings = api.every(f"/v1/b2b-sessions/{session['id']}/meetings", organiser, params={"status": "accepted"})
    assert len(meetings) == accepted  # all of them, not the first page of the default 50
    seats = Counter(
        (m["slot"], p)
        for m in meetings
        for p in (m["supplier"]["participation_id"], m["buyer"]["participation_id"], m["table"])
    )
    assert max(seats.values()) == 1
    late = {m["buyer"]["participation_id"] for m in meetings if m["slot"] in ("S01", "S02")}
    late_names = {m["buyer"]["name"]["vi"] for m in meetings if m["buyer"]["participation_id"] in late}
    organisations = {o["key"]: o for o in QUANG_TRI["organisations"]}
    assert not late_names & {organisations[k]["name"] for k in QUANG_TRI["b2b"]["late_from_site_visit"]}

    stats = api.request("GET", f"/v1/editions/{edition['id']}/mous/stats", organiser).json()
    assert stats["total"]["count"] == len(QUANG_TRI["b2b"]["mous"])
    assert set(stats["by_country"]) >= {"VN", "JP"}
