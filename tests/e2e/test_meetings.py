"""B2B meetings end to end through the gateway: requests, timetable, agendas as .ics, the day, MOUs."""

from __future__ import annotations

import itertools
import json
import uuid
from collections import Counter
from datetime import date, datetime

import eventlet
import pytest
from icalendar import Calendar

from tests.support.api import registration
from tests.support.events import Tap
from tests.support.mail import calendars, mails_to
from tests.support.waiting import eventually

_registration_no = itertools.count(1)


def approved(api, organiser, eid: str, body: dict) -> tuple[str, str, str]:
    """Register and approve; returns (participation id, organisation id, member token)."""
    created = api.request("POST", f"/v1/editions/{eid}/registrations", json=body)
    assert created.status_code == 201, created.text
    pid = created.json()["participation"]["id"]
    decided = api.request("POST", f"/v1/participations/{pid}/decision", organiser, json={"action": "approve"})
    assert decided.json()["status"] == "approved", decided.text
    org = created.json()["organisation_id"]
    member = api.token("member", organisation=org)
    seen = eventually(lambda: api.request("GET", f"/v1/editions/{eid}/b2b-profiles/{pid}", member))
    assert seen.status_code == 200, seen.text
    return pid, org, member


def supplier(api, organiser, eid: str, province: str = "nghe-an", name: str | None = None):
    name = name or f"Công ty Cung ứng {uuid.uuid4().hex[:5]}"
    return approved(api, organiser, eid, registration(province, name=name))


def buyer(
    api,
    organiser,
    eid: str,
    country: str = "JP",
    name: str = "Kansai Food Import K.K.",
    interpreter: str | None = "ja",
    email: str | None = None,
):
    delegate = {
        "name": "Tanaka Hiroshi",
        "email": email or f"buyer{uuid.uuid4().hex[:6]}@example.jp",
        "phone": "+81 90 1234 5678",
        "preferred_language": "en",
        "interpreter_language": interpreter,
    }
    body = {
        "organisation": {
            "kind": "foreign_buyer",
            "legal_name": {"vi": name, "en": name},
            "foreign": {"country": country, "registration_no": f"REG-{next(_registration_no)}"},
            "sectors": ["processed_food"],
            "delegates": [delegate],
        },
        "role": "buyer",
        "products": [],
        "wants": {"booths": 0, "b2b": True, "site_visits": [], "livestream": False},
    }
    return approved(api, organiser, eid, body)


def session_body(**extra) -> dict:
    return {
        "name": {"vi": "Kết nối B2B", "en": "B2B matchmaking"},
        "date": "2024-08-16",
        "starts_at": "13:30",
        "slot_minutes": 20,
        "slots": 6,
        "tables": 3,
        "breaks": ["14:50"],
        "interpreters": {"ja": 2, "en": 1},
        **extra,
    }


def calendar_of(api, token: str, sid: str, pid: str) -> dict[str, dict]:
    response = api.request("GET", f"/v1/b2b-sessions/{sid}/agendas/{pid}/calendar.ics", token)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    assert cal.get("method") == "PUBLISH"
    assert [tz.get("tzid") for tz in cal.walk("VTIMEZONE")] == ["Asia/Ho_Chi_Minh"]
    return {
        str(e.get("uid")): {
            "sequence": int(e.get("sequence")),
            "status": str(e.get("status")),
            "start": e.decoded("dtstart"),
            "location": str(e.get("location")),
        }
        for e in cal.walk("VEVENT")
    }


def test_request_accept_schedule_agenda_calendar_move_cancel_day_and_mous(
    api, organiser, new_edition, stack, service_env
):
    eid = new_edition(starts_on=date(2024, 8, 16))["id"]
    suppliers = [supplier(api, organiser, eid, province) for province in ("nghe-an", "ha-tinh", "nghe-an")]
    b1_email = f"tanaka.{uuid.uuid4().hex[:6]}@example.jp"
    b1 = buyer(api, organiser, eid, email=b1_email)
    b2 = buyer(api, organiser, eid, "TH", "Siam Fresh Trading", interpreter=None)
    tap = Tap(f"e2e.meetings.{uuid.uuid4().hex[:6]}", ("vn.ketnoi.meetings.#",), amqp_uri=stack.config.amqp_uri)
    try:
        created = api.request("POST", f"/v1/editions/{eid}/b2b-sessions", organiser, json=session_body())
        assert created.status_code == 201, created.text
        session = created.json()
        sid = session["id"]
        assert [s["starts_at"] for s in session["slots"]][:2] == [
            "2024-08-16T13:30:00+07:00",
            "2024-08-16T13:50:00+07:00",
        ]
        assert [s["id"] for s in session["slots"] if s["break"]] == ["S05"]

        # the buyer asks three suppliers; one supplier asks the second buyer
        ids = []
        for pid, _, _ in suppliers:
            asked = api.request(
                "POST",
                f"/v1/b2b-sessions/{sid}/requests",
                b1[2],
                json={"from": b1[0], "to": pid, "note": "Chúng tôi cần 2 container/tháng"},
            )
            assert asked.status_code == 201, asked.text
            assert asked.json()["status"] == "requested" and asked.json()["language"] == "ja"
            ids.append(asked.json()["id"])
        again = api.request(
            "POST", f"/v1/b2b-sessions/{sid}/requests", b1[2], json={"from": b1[0], "to": suppliers[0][0]}
        )
        assert again.status_code == 409 and again.json()["code"] == "duplicate_meeting"
        assert (
            api.request(
                "POST", f"/v1/b2b-sessions/{sid}/requests", b1[2], json={"from": b1[0], "to": b2[0]}
            ).status_code
            == 422
        )  # two buyers
        assert (
            api.request(
                "POST", f"/v1/b2b-sessions/{sid}/requests", b1[2], json={"from": suppliers[0][0], "to": b1[0]}
            ).status_code
            == 403
        )  # not theirs
        from_supplier = api.request(
            "POST", f"/v1/b2b-sessions/{sid}/requests", suppliers[0][2], json={"from": suppliers[0][0], "to": b2[0]}
        )
        assert from_supplier.status_code == 201 and from_supplier.json()["language"] == "en"  # vi ↔ en
        ids.append(from_supplier.json()["id"])

        # only the invitee answers; in an optimised session nobody picks a slot
        assert api.request("POST", f"/v1/meetings/{ids[0]}/accept", b1[2], json={}).status_code == 403
        assert (
            api.request("POST", f"/v1/meetings/{ids[0]}/accept", suppliers[0][2], json={"slot": "S01"}).status_code
            == 422
        )
        for mid, token in zip(ids[:3], [s[2] for s in suppliers], strict=True):
            accepted = api.request("POST", f"/v1/meetings/{mid}/accept", token, json={})
            assert accepted.status_code == 200 and accepted.json()["status"] == "accepted", accepted.text
        assert api.request("POST", f"/v1/meetings/{ids[3]}/accept", b2[2], json={}).json()["status"] == "accepted"

        # the first buyer comes back late from the site visit
        away = api.request(
            "PUT", f"/v1/b2b-sessions/{sid}/availability/{b1[0]}", b1[2], json={"away": ["S01"], "reason": "site visit"}
        )
        assert away.status_code == 200, away.text
        plan = api.request("GET", f"/v1/b2b-sessions/{sid}/plan", organiser).json()
        need = plan["accepted"].pop("interpreters_needed")
        assert plan["accepted"] == {"meetings": 4, "tables_needed": 2, "min_slots": 3, "fits": True}  # 1 + spare
        assert set(need) <= {"ja", "en"} and all(n["available"] >= 1 for n in need.values()), need

        run = api.request("POST", f"/v1/b2b-sessions/{sid}/schedule", organiser, json={})
        assert run.status_code == 200, run.text
        run = run.json()
        assert (run["scheduled"], run["unplaced"], run["delta"], run["slots_used"]) == (4, [], 3, 3)
        meetings = api.request("GET", f"/v1/b2b-sessions/{sid}/meetings", organiser).json()["items"]
        busy = Counter(
            (m["slot"], side)
            for m in meetings
            for side in (m["supplier"]["participation_id"], m["buyer"]["participation_id"])
        )
        assert max(busy.values()) == 1  # nobody in two places
        assert len({(m["slot"], m["table"]) for m in meetings}) == 4  # no table twice
        assert all(m["slot"] not in ("S01", "S05") for m in meetings if m["buyer"]["participation_id"] == b1[0])

        agenda = api.request("GET", f"/v1/b2b-sessions/{sid}/agendas/{b1[0]}", b1[2]).json()
        assert len(agenda["meetings"]) == 3 and all(m["starts_at"].endswith("+07:00") for m in agenda["meetings"])
        assert api.request("GET", f"/v1/b2b-sessions/{sid}/agendas/{b1[0]}", suppliers[0][2]).status_code == 403
        entries = calendar_of(api, b1[2], sid, b1[0])
        assert set(entries) == {f"{mid}@ketnoi.vn" for mid in ids[:3]}
        assert {e["sequence"] for e in entries.values()} == {0}

        # an organiser moves one meeting: same UID, higher SEQUENCE, new time; then it is cancelled
        moved_id = ids[0]
        before = next(m for m in meetings if m["id"] == moved_id)
        target = next(
            s
            for s in ("S06", "S04", "S03", "S02")
            if s != before["slot"] and s not in {m["slot"] for m in meetings if b1[0] == m["buyer"]["participation_id"]}
        )
        locked = api.request("PUT", f"/v1/meetings/{moved_id}/lock", organiser, json={"slot": target})
        assert locked.status_code == 200, locked.text
        assert (locked.json()["slot"], locked.json()["locked"], locked.json()["sequence"]) == (target, "organiser", 1)
        moved = calendar_of(api, b1[2], sid, b1[0])[f"{moved_id}@ketnoi.vn"]
        assert moved["sequence"] == 1 and moved["start"].isoformat().startswith(
            next(s["starts_at"] for s in session["slots"] if s["id"] == target)[:19]
        )
        cancelled = api.request(
            "POST", f"/v1/meetings/{moved_id}/cancel", suppliers[0][2], json={"reason": "Đổi kế hoạch"}
        )
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled", cancelled.text
        dropped = calendar_of(api, b1[2], sid, b1[0])[f"{moved_id}@ketnoi.vn"]
        assert (dropped["status"], dropped["sequence"]) == ("CANCELLED", 2)
        # the buyer's mailbox: the invitation, the move and the cancellation update one calendar entry
        invitations = {}
        for mail in mails_to(
            stack.config.mail_dir, b1_email, expect=3, where=lambda m: moved_id in str(b"".join(calendars(m)))
        ):
            for raw in calendars(mail):
                cal = Calendar.from_ical(raw)
                [entry] = cal.walk("VEVENT")
                invitations[int(entry.get("sequence"))] = (str(cal.get("method")), str(entry.get("uid")))
        assert invitations == {
            0: ("REQUEST", f"{moved_id}@ketnoi.vn"),
            1: ("REQUEST", f"{moved_id}@ketnoi.vn"),
            2: ("CANCEL", f"{moved_id}@ketnoi.vn"),
        }

        # a late request: the optimiser places it without moving anything already placed
        late = api.request(
            "POST", f"/v1/b2b-sessions/{sid}/requests", suppliers[1][2], json={"from": suppliers[1][0], "to": b2[0]}
        )
        assert api.request("POST", f"/v1/meetings/{late.json()['id']}/accept", b2[2], json={}).status_code == 200
        rerun = api.request("POST", f"/v1/b2b-sessions/{sid}/schedule", organiser, json={}).json()
        assert (rerun["mode"], rerun["scheduled"], rerun["moved"], rerun["unplaced"]) == ("incremental", 4, [], [])

        published = api.request("POST", f"/v1/b2b-sessions/{sid}/agenda", organiser, json={"stage": "final"})
        assert published.status_code == 200 and published.json()["version"] == 1, published.text
        page = api.request("GET", f"/v1/b2b-sessions/{sid}/agendas/{b1[0]}/print?lang=vi", b1[2])
        assert page.status_code == 200 and "Giờ Việt Nam" in page.text and "Chính thức" in page.text
        sheets = api.request("GET", f"/v1/b2b-sessions/{sid}/table-sheets", organiser).json()["tables"]
        assert sum(sheet["meetings"] for sheet in sheets) == 4
        assert (
            api.request("GET", f"/v1/b2b-sessions/{sid}/table-sheets?format=html", organiser).text.count("<section>")
            == 3
        )
        assert api.request("GET", f"/v1/b2b-sessions/{sid}/table-sheets", b1[2]).status_code == 403

        # the day: check in, done with an outcome; a done meeting cannot become a no-show
        day_id = ids[1]
        assert (
            api.request("POST", f"/v1/meetings/{day_id}/status", b1[2], json={"status": "checked_in"}).json()["live"]
            == "checked_in"
        )
        done = api.request(
            "POST",
            f"/v1/meetings/{day_id}/status",
            suppliers[1][2],
            json={"status": "done", "outcome": {"result": "sample_order", "notes": "Gửi mẫu"}},
        )
        assert done.status_code == 200 and done.json()["outcome"]["result"] == "sample_order", done.text
        refused = api.request("POST", f"/v1/meetings/{day_id}/status", b1[2], json={"status": "no_show"})
        assert refused.status_code == 409 and refused.json()["code"] == "invalid_transition"

        # MOUs: registered by the organisers, seen by the provinces of their parties, counted by country
        mou = api.request(
            "POST",
            f"/v1/editions/{eid}/mous",
            organiser,
            json={
                "title": {"vi": "Biên bản ghi nhớ cung ứng nem chua"},
                "parties": [
                    {"organisation_id": suppliers[1][1]},
                    {"organisation_id": b1[1]},
                    {"name": {"vi": "Liên minh HTX tỉnh Hà Tĩnh"}, "kind": "alliance", "province": "ha-tinh"},
                ],
                "sector": "processed_food",
                "products": ["nem chua"],
                "value": {"amount": 2_500_000_000, "currency": "VND"},
                "signed_on": "2024-08-16",
                "meeting_ids": [day_id],
                "document_ref": "01/2024/MOU",
            },
        )
        assert mou.status_code == 201, mou.text
        bad = api.request(
            "POST",
            f"/v1/editions/{eid}/mous",
            organiser,
            json={
                "title": {"vi": "x"},
                "parties": [{"organisation_id": "org_nope"}, {"organisation_id": b1[1]}],
                "sector": "wood",
                "signed_on": "2024-08-16",
            },
        )
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "parties.0.organisation_id"
        stats = api.request("GET", f"/v1/editions/{eid}/mous/stats", api.token("province", province="ha-tinh"))
        assert stats.json()["by_country"]["JP"] == {"count": 1, "value": {"VND": 2_500_000_000}}
        assert (
            len(
                api.request("GET", f"/v1/editions/{eid}/mous", api.token("province", province="ha-tinh")).json()[
                    "items"
                ]
            )
            == 1
        )
        assert (
            api.request("GET", f"/v1/editions/{eid}/mous", api.token("province", province="son-la")).json()["items"]
            == []
        )

        drained = (json.loads(m.body) for m in tap.drain(expect=16, timeout=20))
        events = list({e["id"]: e for e in drained}.values())  # published at least once: dedupe by id
        by_meeting = {}
        for e in events:
            by_meeting.setdefault(e["data"].get("meeting_id"), []).append(e["type"].split(".")[-2])
        assert by_meeting[moved_id] == ["requested", "accepted", "scheduled", "rescheduled", "cancelled"]
        assert "note" not in str([e["data"] for e in events])  # what people wrote stays in the service
        published_event = next(e for e in events if e["type"].endswith("agenda.published.v1"))
        assert b1[0] in published_event["data"]["participants"]
        created_event = next(e for e in events if e["type"].endswith("session.created.v1"))
        assert {
            k: created_event["data"][k]
            for k in ("session_id", "meeting_slots", "tables", "starts_at", "interpreter_languages")
        } == {
            "session_id": sid,
            "meeting_slots": 5,
            "tables": 3,
            "starts_at": "2024-08-16T13:30:00+07:00",
            "interpreter_languages": ["en", "ja"],
        }
        away_event = next(e for e in events if e["type"].endswith("availability.changed.v1"))
        assert away_event["data"]["away"] == ["S01"] and "site visit" not in json.dumps(away_event)
    finally:
        tap.delete()


def test_pick_mode_one_slot_one_acceptance(api, organiser, new_edition):
    """Two acceptances for the same person and slot at once: exactly one wins; a held slot blocks others."""
    eid = new_edition(starts_on=date(2024, 8, 16))["id"]
    s1, s2 = supplier(api, organiser, eid), supplier(api, organiser, eid)
    b1 = buyer(api, organiser, eid, interpreter=None)
    sid = api.request(
        "POST", f"/v1/editions/{eid}/b2b-sessions", organiser, json=session_body(mode="pick", interpreters={"en": 2})
    ).json()["id"]
    first = api.request(
        "POST", f"/v1/b2b-sessions/{sid}/requests", s1[2], json={"from": s1[0], "to": b1[0], "slot": "S01"}
    )
    assert first.status_code == 201, first.text
    held = api.request(
        "POST", f"/v1/b2b-sessions/{sid}/requests", s2[2], json={"from": s2[0], "to": b1[0], "slot": "S01"}
    )
    assert held.status_code == 409 and held.json()["code"] == "participant_busy"
    second = api.request("POST", f"/v1/b2b-sessions/{sid}/requests", s2[2], json={"from": s2[0], "to": b1[0]})
    assert second.status_code == 201

    ids = [first.json()["id"], second.json()["id"]]
    pool = eventlet.GreenPool()
    answers = list(
        pool.imap(lambda mid: api.request("POST", f"/v1/meetings/{mid}/accept", b1[2], json={"slot": "S02"}), ids)
    )
    assert sorted(r.status_code for r in answers) == [200, 409], [r.text for r in answers]
    loser = ids[[r.status_code for r in answers].index(409)]
    winner = ids[[r.status_code for r in answers].index(200)]
    # the winner accepted twice (a double click): the second fails and leaves the first's places alone
    again = api.request("POST", f"/v1/meetings/{winner}/accept", b1[2], json={"slot": "S02"})
    assert again.status_code == 409 and again.json()["code"] == "not_pending"
    s3 = supplier(api, organiser, eid)
    blocked = api.request(
        "POST", f"/v1/b2b-sessions/{sid}/requests", s3[2], json={"from": s3[0], "to": b1[0], "slot": "S02"}
    )
    assert blocked.status_code == 409 and blocked.json()["code"] == "participant_busy"
    retry = api.request("POST", f"/v1/meetings/{loser}/accept", b1[2], json={"slot": "S03", "table": "T01"})
    assert retry.status_code == 200 and (retry.json()["slot"], retry.json()["table"]) == ("S03", "T01")
    assert retry.json()["locked"] == "participant"
    run = api.request("POST", f"/v1/b2b-sessions/{sid}/schedule", organiser, json={"full": True}).json()
    assert run["moved"] == []  # picked meetings stay where their participants put them


def meetings_of(api, organiser, pid: str, *sids: str) -> list[dict]:
    """Every open meeting of ``pid`` across the sessions named, as the organisers see them."""
    found = []
    for sid in sids:
        found += [
            m
            for m in api.request("GET", f"/v1/b2b-sessions/{sid}/meetings", organiser).json()["items"]
            if pid in (m["supplier"]["participation_id"], m["buyer"]["participation_id"])
            and m["status"] in ("requested", "accepted")
        ]
    return found


def assert_never_twice_at_once(meetings: list[dict]) -> None:
    placed = sorted(
        (datetime.fromisoformat(m["starts_at"]), datetime.fromisoformat(m["ends_at"]), m["id"])
        for m in meetings
        if m["starts_at"]
    )
    for (_, end, first), (start, _, second) in itertools.pairwise(placed):
        assert start >= end, f"{first} and {second} overlap"


def test_overlapping_sessions_never_put_one_participant_in_two_meetings(api, organiser, new_edition):
    """Two sessions of one edition overlap in time (20-minute slots from 13:30 in the hall, 30-minute slots
    from 13:40 on the side stage): a buyer met in one is busy in the other, for organisers' placements,
    participants' picks, racing requests and the optimiser alike; other people are not affected."""
    eid = new_edition(starts_on=date(2024, 8, 16))["id"]
    s1, s2, s3, s4 = (supplier(api, organiser, eid) for _ in range(4))
    b1, b2 = buyer(api, organiser, eid, interpreter=None), buyer(api, organiser, eid, interpreter=None)
    hall = api.request(
        "POST", f"/v1/editions/{eid}/b2b-sessions", organiser, json=session_body(mode="pick", interpreters={"en": 4})
    ).json()["id"]
    side = api.request(
        "POST",
        f"/v1/editions/{eid}/b2b-sessions",
        organiser,
        json=session_body(
            name={"vi": "Sân khấu phụ"}, starts_at="13:40", slot_minutes=30, slots=4, breaks=[], interpreters={"en": 4}
        ),
    ).json()["id"]

    def broker(sid: str, s, b, slot: str | None = None):
        return api.request(
            "POST",
            f"/v1/b2b-sessions/{sid}/brokered-meetings",
            organiser,
            json={"supplier": s[0], "buyer": b[0], **({"slot": slot} if slot else {})},
        )

    assert broker(hall, s1, b1, "S01").status_code == 201  # 13:30-13:50
    refused = broker(side, s2, b1, "S01")  # 13:40-14:10
    assert refused.status_code == 409 and refused.json()["code"] == "participant_busy", refused.text
    assert meetings_of(api, organiser, s2[0], side) == []  # nothing of the refused meeting was written
    assert broker(side, s2, b2, "S01").status_code == 201  # another buyer at the same time: free
    assert broker(side, s2, b1, "S02").status_code == 201  # 14:10-14:40: after the hall meeting
    picked = api.request(
        "POST", f"/v1/b2b-sessions/{hall}/requests", s3[2], json={"from": s3[0], "to": b1[0], "slot": "S03"}
    )  # 14:10-14:30
    assert picked.status_code == 409 and picked.json()["code"] == "participant_busy", picked.text

    pool = eventlet.GreenPool()  # two organisers place the same buyer at overlapping times at once
    raced = list(pool.imap(lambda args: broker(*args), [(hall, s4, b2, "S04"), (side, s4, b2, "S03")]))
    assert sorted(r.status_code for r in raced) == [201, 409], [r.text for r in raced]

    assert broker(side, s3, b1).status_code == 201  # accepted, placed by the optimiser around the hall
    run = api.request("POST", f"/v1/b2b-sessions/{side}/schedule", organiser, json={}).json()
    assert run["unplaced"] == [], run
    for pid in (b1[0], b2[0], s2[0], s3[0], s4[0]):
        assert_never_twice_at_once(meetings_of(api, organiser, pid, hall, side))
    assert len(meetings_of(api, organiser, b1[0], hall, side)) == 3


def test_a_participant_on_a_site_visit_is_away_for_it_without_entering_slots(api, organiser, new_edition):
    """The edition's programme has a site visit 13:30-16:00; a supplier that signed up for it cannot be picked
    or scheduled then (the programme's times reach the meetings service with the edition's events)."""
    eid = new_edition(starts_on=date(2024, 8, 16))["id"]
    form = registration("nghe-an", name=f"HTX Tham quan {uuid.uuid4().hex[:5]}")
    form["wants"]["site_visits"] = ["visit"]
    visitor, stays = approved(api, organiser, eid, form), supplier(api, organiser, eid)
    b1, b2 = buyer(api, organiser, eid, interpreter=None), buyer(api, organiser, eid, interpreter=None)
    pick = api.request(
        "POST",
        f"/v1/editions/{eid}/b2b-sessions",
        organiser,
        json=session_body(mode="pick", starts_at="13:00", slot_minutes=30, slots=3, breaks=[], interpreters={"en": 4}),
    ).json()["id"]

    def ask(s, b, slot: str):
        return api.request(
            "POST", f"/v1/b2b-sessions/{pick}/requests", s[2], json={"from": s[0], "to": b[0], "slot": slot}
        )

    away = ask(visitor, b1, "S02")  # 13:30-14:00: on the visit
    assert away.status_code == 409 and away.json()["code"] == "unavailable", away.text
    assert ask(visitor, b1, "S01").status_code == 201  # 13:00-13:30: before it
    assert ask(stays, b2, "S02").status_code == 201  # whoever stays is free

    later = api.request(
        "POST",
        f"/v1/editions/{eid}/b2b-sessions",
        organiser,
        json=session_body(
            name={"vi": "Phiên chiều"}, starts_at="13:00", slot_minutes=30, slots=3, breaks=[], interpreters={"en": 4}
        ),
    ).json()["id"]
    brokered = api.request(
        "POST", f"/v1/b2b-sessions/{later}/brokered-meetings", organiser, json={"supplier": visitor[0], "buyer": b2[0]}
    ).json()["id"]
    run = api.request("POST", f"/v1/b2b-sessions/{later}/schedule", organiser, json={}).json()
    # 13:00-13:30 it holds a request in the other session, then it is on the visit: no slot is left
    assert run["unplaced"] == [{"meeting_id": brokered, "reason": "unavailable"}], run


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": {"vi": "x"}, "date": "2024-08-16", "starts_at": "25:00", "slots": 4, "tables": 2}, "starts_at"),
        ({"name": {"vi": "x"}, "date": "2024-08-16", "starts_at": "13:32", "slots": 4, "tables": 2}, "starts_at"),
        (
            {
                "name": {"vi": "x"},
                "date": "2024-08-16",
                "starts_at": "13:30",
                "slot_minutes": 17,
                "slots": 4,
                "tables": 2,
            },
            "slot_minutes",
        ),
        ({"name": {"vi": "x"}, "date": "2024-09-30", "starts_at": "13:30", "slots": 4, "tables": 2}, "date"),
        (
            {
                "name": {"vi": "x"},
                "date": "2024-08-16",
                "starts_at": "13:30",
                "slots": 4,
                "tables": 2,
                "breaks": ["13:35"],
            },
            "breaks",
        ),
        ({"name": {"vi": "x"}, "date": "2024-08-16", "starts_at": "13:30", "slots": 4, "tables": 0}, "tables"),
    ],
)
def test_bad_sessions_are_refused_field_by_field(api, organiser, new_edition, body, field):
    eid = new_edition(starts_on=date(2024, 8, 16))["id"]
    response = eventually(
        lambda: api.request("POST", f"/v1/editions/{eid}/b2b-sessions", organiser, json=body),
        ok=lambda r: r.status_code != 404,
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert api.request("GET", f"/v1/editions/{eid}/b2b-sessions").json()["items"] == []


def test_a_no_show_is_rebooked_after_now_and_nothing_else_moves(api, organiser, new_edition):
    eid = new_edition(starts_on=date(2024, 8, 16))["id"]
    s1, s2 = supplier(api, organiser, eid), supplier(api, organiser, eid)
    b1 = buyer(api, organiser, eid, interpreter=None)
    sid = api.request(
        "POST", f"/v1/editions/{eid}/b2b-sessions", organiser, json=session_body(interpreters={"en": 2})
    ).json()["id"]
    ids = [
        api.request(
            "POST", f"/v1/b2b-sessions/{sid}/brokered-meetings", organiser, json={"supplier": s[0], "buyer": b1[0]}
        ).json()["id"]
        for s in (s1, s2)
    ]
    first = api.request("POST", f"/v1/b2b-sessions/{sid}/schedule", organiser, json={}).json()
    assert (first["scheduled"], first["slots_used"]) == (2, 2)
    placed = {m["id"]: m for m in api.request("GET", f"/v1/b2b-sessions/{sid}/meetings", organiser).json()["items"]}
    missed, kept = sorted(ids, key=lambda mid: placed[mid]["slot"])
    now = placed[missed]["slot"]
    assert (
        api.request(
            "POST",
            f"/v1/meetings/{missed}/status",
            s1[2] if placed[missed]["supplier"]["participation_id"] == s1[0] else s2[2],
            json={"status": "no_show"},
        ).status_code
        == 200
    )

    rerun = api.request(
        "POST", f"/v1/b2b-sessions/{sid}/schedule", organiser, json={"rebook_no_shows": True, "now": now}
    ).json()
    assert rerun["moved"] == [missed] and rerun["unplaced"] == []
    after = api.request("GET", f"/v1/meetings/{missed}", organiser).json()
    assert after["slot"] > now and after["slot"] != placed[kept]["slot"]  # later, and not onto the other meeting
    assert (after["live"], after["sequence"]) == (None, 1)
    assert api.request("GET", f"/v1/meetings/{kept}", organiser).json()["slot"] == placed[kept]["slot"]

    # suggestions: a new supplier of what the buyer seeks, with the reasons; never one already met
    s3 = supplier(api, organiser, eid, "ha-tinh")
    found = api.request("GET", f"/v1/b2b-sessions/{sid}/suggestions/{b1[0]}", b1[2])
    assert found.status_code == 200, found.text
    assert [(i["participation_id"], i["reasons"][0]) for i in found.json()["items"]] == [
        (s3[0], "categories: processed_food")
    ]


def test_a_timetable_computed_in_the_background(api, organiser, new_edition):
    """``Prefer: respond-async``: 202 with a job to poll; the job ends with the same run a direct call returns."""
    eid = new_edition(starts_on=date(2024, 8, 16))["id"]
    s1, s2 = supplier(api, organiser, eid), supplier(api, organiser, eid, "ha-tinh")
    b1 = buyer(api, organiser, eid, interpreter=None)
    sid = api.request("POST", f"/v1/editions/{eid}/b2b-sessions", organiser, json=session_body()).json()["id"]
    for s in (s1, s2):
        mid = api.request("POST", f"/v1/b2b-sessions/{sid}/requests", b1[2], json={"from": b1[0], "to": s[0]}).json()[
            "id"
        ]
        assert api.request("POST", f"/v1/meetings/{mid}/accept", s[2], json={}).json()["status"] == "accepted"

    prefer = {"Prefer": "wait=5, respond-async"}
    assert (
        api.request("POST", f"/v1/b2b-sessions/{sid}/schedule", b1[2], json={}, headers=prefer).status_code == 403
    )  # organisers only, checked before anything is queued
    assert (
        api.request(
            "POST", f"/v1/b2b-sessions/{sid}/schedule", organiser, json={"now": "S99"}, headers=prefer
        ).status_code
        == 422
    )
    queued = api.request("POST", f"/v1/b2b-sessions/{sid}/schedule", organiser, json={}, headers=prefer)
    assert queued.status_code == 202, queued.text
    assert queued.headers["Preference-Applied"] == "respond-async"
    assert queued.json()["status"] in ("queued", "running", "done")
    location = queued.headers["Location"]
    assert location == f"/v1/b2b-sessions/{sid}/schedule-jobs/{queued.json()['id']}"

    job = eventually(
        lambda: api.request("GET", location, organiser),
        ok=lambda r: r.ok and r.json()["status"] in ("done", "failed"),
        timeout=30,
    ).json()
    assert job["status"] == "done" and job["error"] is None, job
    assert (job["run"]["scheduled"], job["run"]["delta"], job["run"]["unplaced"]) == (2, 2, [])
    assert job["attempts"] == 1 and job["started_at"] <= job["finished_at"]
    assert api.request("GET", location, b1[2]).status_code == 403
    assert api.request("GET", f"/v1/b2b-sessions/{sid}/schedule-jobs/job_nope", organiser).status_code == 404

    again = api.request("POST", f"/v1/b2b-sessions/{sid}/schedule", organiser, json={})  # no preference: direct
    assert again.status_code == 200 and again.json()["scheduled"] == 2 and again.json()["moved"] == []


def test_the_timetable_shares_interpreter_seats_fairly_and_suppliers_keep_their_table(api, organiser, new_edition):
    """One Japanese interpreter, four slots, five Japanese-speaking meetings: a high-priority buyer with four
    and a low-priority one with one.  The most that fit is four; the old first-by-priority timetable gave all
    four to the first buyer.  By default every buyer gets one, the report proves it optimal, each supplier
    stays at one table, and the meeting left out tells its parties why and what the organisers can do."""
    eid = new_edition(starts_on=date(2024, 8, 16))["id"]
    suppliers = [supplier(api, organiser, eid) for _ in range(5)]
    big, small = buyer(api, organiser, eid), buyer(api, organiser, eid, name="Osaka Trading K.K.")
    assert (
        api.request("PUT", f"/v1/editions/{eid}/b2b-profiles/{big[0]}", organiser, json={"priority": 5}).status_code
        == 200
    )
    sid = api.request(
        "POST",
        f"/v1/editions/{eid}/b2b-sessions",
        organiser,
        json=session_body(slots=4, tables=4, breaks=[], interpreters={"ja": 1}),
    ).json()["id"]
    session = api.request("GET", f"/v1/b2b-sessions/{sid}").json()
    assert session["objectives"] == {"fairness": "buyer", "keep_tables": True, "compact": True}

    def broker(s, b) -> str:
        made = api.request(
            "POST", f"/v1/b2b-sessions/{sid}/brokered-meetings", organiser, json={"supplier": s[0], "buyer": b[0]}
        )
        assert made.status_code == 201 and made.json()["language"] == "ja", made.text
        return made.json()["id"]

    # the small buyer meets a supplier of its own: in the one slot the big buyer has free, only the
    # interpreter is missing, whichever of its meetings is left out
    ids = [broker(s, big) for s in suppliers[:4]] + [broker(suppliers[4], small)]
    run = api.request("POST", f"/v1/b2b-sessions/{sid}/schedule", organiser, json={"full": True})
    assert run.status_code == 200, run.text
    scores = {o["name"]: o for o in run.json()["objectives"]}
    assert scores["placed"] == {"name": "placed", "value": 4, "bound": 4, "optimal": True, "method": "exact"}
    assert (scores["buyers_served"]["value"], scores["buyers_served"]["bound"]) == (2, 2)
    assert scores["min_per_buyer"]["value"] == 1 and scores["min_per_buyer"]["optimal"]
    assert scores["table_changes"]["value"] == 0
    meetings = {m["id"]: m for m in api.request("GET", f"/v1/b2b-sessions/{sid}/meetings", organiser).json()["items"]}
    served = Counter(m["buyer"]["participation_id"] for m in meetings.values() if m["slot"])
    assert served == {big[0]: 3, small[0]: 1}
    tables = {}
    for m in meetings.values():
        if m["slot"]:
            tables.setdefault(m["supplier"]["participation_id"], set()).add(m["table"])
    assert all(len(t) == 1 for t in tables.values())
    left = next(mid for mid in ids if not meetings[mid]["slot"])
    seen = api.request("GET", f"/v1/meetings/{left}?lang=en", big[2]).json()
    assert (seen["unplaced_reason"], seen["unplaced_hint"]) == ("no_interpreter", "add_interpreter")
    assert seen["unplaced_explanation"].startswith("No interpreter is left")
    assert (
        api.request("GET", f"/v1/meetings/{left}", big[2])
        .json()["unplaced_explanation"]
        .startswith("Không còn phiên dịch viên")
    )
    assert api.request("GET", f"/v1/b2b-sessions/{sid}").json()["last_run"]["objectives"] == run.json()["objectives"]


def test_session_objectives_are_the_organiser_s_choice(api, organiser, new_edition):
    eid = new_edition(starts_on=date(2024, 8, 16))["id"]
    made = api.request(
        "POST",
        f"/v1/editions/{eid}/b2b-sessions",
        organiser,
        json=session_body(objectives={"fairness": "participant", "compact": False}),
    )
    assert made.status_code == 201, made.text
    assert made.json()["objectives"] == {"fairness": "participant", "keep_tables": True, "compact": False}
    bad = api.request(
        "POST", f"/v1/editions/{eid}/b2b-sessions", organiser, json=session_body(objectives={"fairness": "whoever"})
    )
    assert bad.status_code == 422 and "objectives" in bad.json()["errors"][0]["field"], bad.text
    assert len(api.request("GET", f"/v1/editions/{eid}/b2b-sessions").json()["items"]) == 1


def test_named_interpreters_are_assigned_shown_and_planned_for(api, organiser, new_edition):
    """Lan interprets Japanese and English but is away in S01; Minh interprets English.  Four Japanese
    meetings of one buyer fit only where Lan is (three slots), the English one gets Minh; each placed meeting
    shows its interpreter to its parties, public views never name anyone, and the planning aid says one more
    Japanese interpreter in S01 would place the fourth."""
    eid = new_edition(starts_on=date(2024, 8, 16))["id"]
    people = [
        {"id": "ip1", "name": "Nguyễn Thị Lan", "languages": ["ja", "en"], "away": ["S01"]},
        {"id": "ip2", "name": "Trần Văn Minh", "languages": ["en"]},
    ]
    twice = api.request(
        "POST",
        f"/v1/editions/{eid}/b2b-sessions",
        organiser,
        json=session_body(interpreters={}, interpreter_people=[people[0], {**people[1], "id": "ip1"}]),
    )
    assert twice.status_code == 422 and twice.json()["errors"][0]["field"] == "interpreter_people.1.id", twice.text
    made = api.request(
        "POST",
        f"/v1/editions/{eid}/b2b-sessions",
        organiser,
        json=session_body(slots=4, tables=4, breaks=[], interpreters={}, interpreter_people=people),
    )
    assert made.status_code == 201, made.text
    sid = made.json()["id"]
    assert "Lan" not in str(api.request("GET", f"/v1/b2b-sessions/{sid}").json())  # sessions are public
    suppliers = [supplier(api, organiser, eid) for _ in range(5)]
    japanese, english = (
        buyer(api, organiser, eid),
        buyer(api, organiser, eid, country="AU", interpreter="en", name="Sydney Imports Pty"),
    )

    def broker(s, b) -> str:
        made = api.request(
            "POST", f"/v1/b2b-sessions/{sid}/brokered-meetings", organiser, json={"supplier": s[0], "buyer": b[0]}
        )
        assert made.status_code == 201, made.text
        return made.json()["id"]

    ids = [broker(s, japanese) for s in suppliers[:4]] + [broker(suppliers[4], english)]
    run = api.request("POST", f"/v1/b2b-sessions/{sid}/schedule", organiser, json={"full": True})
    assert run.status_code == 200, run.text
    meetings = {m["id"]: m for m in api.request("GET", f"/v1/b2b-sessions/{sid}/meetings", organiser).json()["items"]}
    speaks = {p["id"]: p for p in people}
    at: Counter = Counter()
    for m in meetings.values():
        if m["slot"]:
            who = m["interpreter"]
            assert m["language"] in speaks[who["id"]]["languages"] and m["slot"] not in speaks[who["id"]].get(
                "away", []
            ), m
            assert who["name"] == speaks[who["id"]]["name"]
            at[(m["slot"], who["id"])] += 1
    assert max(at.values()) == 1 and len(at) == 4
    left = [mid for mid in ids if not meetings[mid]["slot"]]
    assert len(left) == 1 and meetings[left[0]]["unplaced_reason"] == "no_interpreter"
    placed = next(mid for mid in ids[:4] if meetings[mid]["slot"])
    seen = api.request("GET", f"/v1/meetings/{placed}", japanese[2]).json()
    assert seen["interpreter"] == {"id": "ip1", "name": "Nguyễn Thị Lan"}
    agenda = api.request("GET", f"/v1/b2b-sessions/{sid}/agendas/{japanese[0]}", japanese[2]).json()
    assert {m["interpreter"]["name"] for m in agenda["meetings"]} == {"Nguyễn Thị Lan"}
    plan = api.request("GET", f"/v1/b2b-sessions/{sid}/plan", organiser)
    assert plan.status_code == 200, plan.text
    need = plan.json()["accepted"]["interpreters_needed"]
    assert need["ja"] == {"meetings": 4, "per_slot": 1, "peak": 1, "available": 1}
    assert need["en"]["meetings"] == 1 and need["en"]["available"] == 2
    [hint] = plan.json()["hints"]
    assert hint["meeting_id"] == left[0]
    assert hint["hint"] == {
        "change": "interpreter",
        "language": "ja",
        "add": 1,
        "slots": ["S01"],
        "places": 1,
        "text": "one more ja interpreter in slots S01 would place 1 more",
        "text_vi": "thêm một phiên dịch viên tiếng ja vào khung S01 sẽ xếp thêm được 1 cuộc gặp",
    }


def test_booth_duty_said_once_keeps_an_exhibitor_out_of_every_session(api, organiser, new_edition):
    """An exhibitor on booth duty 13:30-15:00 says so once for the edition, in times: a pick session and an
    optimised session both keep it out of the slots that overlap, a meeting it already had there is reported
    as a clash (and stays), and nobody else's time changes; bad periods change nothing."""
    eid = new_edition(starts_on=date(2024, 8, 16))["id"]
    on_duty, other = supplier(api, organiser, eid), supplier(api, organiser, eid)
    b1, b2 = buyer(api, organiser, eid, interpreter=None), buyer(api, organiser, eid, interpreter=None)
    pick = api.request(
        "POST",
        f"/v1/editions/{eid}/b2b-sessions",
        organiser,
        json=session_body(mode="pick", starts_at="13:00", slot_minutes=30, slots=3, breaks=[], interpreters={"en": 4}),
    ).json()["id"]
    held = api.request(
        "POST", f"/v1/b2b-sessions/{pick}/requests", on_duty[2], json={"from": on_duty[0], "to": b1[0], "slot": "S02"}
    )  # 13:30, before it said anything
    assert held.status_code == 201, held.text
    url = f"/v1/editions/{eid}/time-away/{on_duty[0]}"
    duty = [{"kind": "booth_duty", "starts_at": "2024-08-16T13:30:00+07:00", "ends_at": "2024-08-16T15:00:00+07:00"}]

    refused = [
        api.request("PUT", url, on_duty[2], json={"periods": [{**duty[0], **bad}]})
        for bad in ({"ends_at": "2024-08-16T13:00:00+07:00"}, {"kind": "nap"}, {"starts_at": "2024-08-16T13:30:00"})
    ]
    assert [r.status_code for r in refused] == [422, 422, 422], [r.text for r in refused]
    assert [[e["field"] for e in r.json()["errors"]] for r in refused] == [
        ["periods.0.ends_at"],
        ["periods.0.kind"],
        ["periods.0.starts_at"],
    ]
    outside = api.request(
        "PUT",
        url,
        on_duty[2],
        json={
            "periods": [
                duty[0],
                {**duty[0], "starts_at": "2024-09-30T13:30:00+07:00", "ends_at": "2024-09-30T14:30:00+07:00"},
            ]
        },
    )
    assert outside.status_code == 422 and outside.json()["errors"][0]["field"] == "periods.1.starts_at", outside.text
    assert api.request("PUT", url, other[2], json={"periods": duty}).status_code == 403  # not its organisation
    assert api.request("GET", url, on_duty[2]).json()["periods"] == []  # nothing of the refused ones stored

    before = api.request("GET", f"/v1/meetings/{held.json()['id']}", organiser).json()
    said = api.request(
        "PUT",
        url,
        on_duty[2],
        json={"periods": [{**duty[0], "starts_at": "2024-08-16T06:30:00Z", "ends_at": "2024-08-16T08:00:00Z"}]},
    )  # the same, in UTC
    assert said.status_code == 200, said.text
    assert said.json()["periods"] == duty  # kept in the edition's clock
    assert said.json()["clashes"] == [{"meeting_id": held.json()["id"], "session_id": pick, "slot": "S02"}]
    assert api.request("GET", url, organiser).json()["periods"] == duty
    assert api.request("GET", f"/v1/meetings/{held.json()['id']}", organiser).json() == before  # it stays

    def ask(s, b, slot: str):
        return api.request(
            "POST", f"/v1/b2b-sessions/{pick}/requests", s[2], json={"from": s[0], "to": b[0], "slot": slot}
        )

    refused_pick = ask(on_duty, b2, "S03")  # 14:00-14:30: on duty
    assert refused_pick.status_code == 409 and refused_pick.json()["code"] == "unavailable", refused_pick.text
    assert ask(other, b2, "S03").status_code == 201  # its neighbour is free then

    later = api.request(
        "POST",
        f"/v1/editions/{eid}/b2b-sessions",
        organiser,
        json=session_body(
            name={"vi": "Phiên muộn"}, starts_at="14:30", slot_minutes=30, slots=2, breaks=[], interpreters={"en": 4}
        ),
    ).json()["id"]  # created after it said so: 14:30-15:30
    ids = [
        api.request(
            "POST", f"/v1/b2b-sessions/{later}/brokered-meetings", organiser, json={"supplier": s[0], "buyer": b[0]}
        ).json()["id"]
        for s, b in ((on_duty, b1), (other, b1))
    ]
    run = api.request("POST", f"/v1/b2b-sessions/{later}/schedule", organiser, json={}).json()
    assert run["unplaced"] == [], run
    slots = {mid: api.request("GET", f"/v1/meetings/{mid}", organiser).json()["slot"] for mid in ids}
    assert slots == {ids[0]: "S02", ids[1]: "S01"}  # on duty until 15:00: only 15:00 is left for it

    assert api.request("PUT", url, on_duty[2], json={"periods": []}).json()["clashes"] == []
    again = ask(on_duty, b2, "S03")  # off duty now: what stands in the way is the buyer's meeting at 14:00
    assert again.status_code == 409 and again.json()["code"] == "participant_busy", again.text


def test_a_supplier_with_its_own_table_sits_only_there_and_nobody_else_does(api, organiser, new_edition):
    """Organisers give one supplier table T04 for the session: every run seats its meetings there and
    nobody else's; a later run that only adds meetings reports its objectives as incremental; bad lists
    change nothing."""
    eid = new_edition(starts_on=date(2024, 8, 16))["id"]
    samples, *others = [supplier(api, organiser, eid) for _ in range(4)]
    b1, b2 = buyer(api, organiser, eid, interpreter=None), buyer(api, organiser, eid, interpreter=None)
    sid = api.request(
        "POST",
        f"/v1/editions/{eid}/b2b-sessions",
        organiser,
        json=session_body(slots=4, tables=4, breaks=[], interpreters={"en": 4}),
    ).json()["id"]
    url = f"/v1/b2b-sessions/{sid}/supplier-tables"
    for s, b in ((samples, b1), (samples, b2), (others[0], b1), (others[1], b2), (others[2], b1)):
        assert (
            api.request(
                "POST", f"/v1/b2b-sessions/{sid}/brokered-meetings", organiser, json={"supplier": s[0], "buyer": b[0]}
            ).status_code
            == 201
        )
    first = api.request("POST", f"/v1/b2b-sessions/{sid}/schedule", organiser, json={"full": True}).json()
    assert first["unplaced"] == [], first

    bad = [
        api.request("PUT", url, organiser, json={"tables": tables})
        for tables in (
            {samples[0]: "T09"},
            {samples[0]: "T04", others[0][0]: "T04"},
            {b1[0]: "T01"},
            {samples[0]: "table 4"},
        )
    ]
    assert [r.status_code for r in bad] == [422] * 4, [r.text for r in bad]
    assert [[(e["field"], e["code"]) for e in r.json()["errors"]] for r in bad][:3] == [
        [(f"tables.{samples[0]}", "not_found")],
        [(f"tables.{max(samples[0], others[0][0])}", "table_given_twice")],
        [(f"tables.{b1[0]}", "not_a_supplier")],
    ]
    assert api.request("PUT", url, samples[2], json={"tables": {samples[0]: "T04"}}).status_code == 403
    assert api.request("GET", f"/v1/b2b-sessions/{sid}").json()["supplier_tables"] == {}  # nothing of those

    given = api.request("PUT", url, organiser, json={"tables": {samples[0]: "T04"}})
    assert given.status_code == 200, given.text
    assert given.json()["supplier_tables"] == {samples[0]: "T04"}
    run = api.request("POST", f"/v1/b2b-sessions/{sid}/schedule", organiser, json={"full": True}).json()
    assert run["unplaced"] == [] and {o["name"]: o["value"] for o in run["objectives"]}["table_changes"] == 0

    def seats() -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for m in api.request("GET", f"/v1/b2b-sessions/{sid}/meetings", organiser).json()["items"]:
            found.setdefault(m["supplier"]["participation_id"], set()).add(m["table"])
        return found

    assert seats()[samples[0]] == {"T04"}
    assert all("T04" not in tables for pid, tables in seats().items() if pid != samples[0])

    late = supplier(api, organiser, eid)  # one more meeting, then a run that only adds it
    assert (
        api.request(
            "POST", f"/v1/b2b-sessions/{sid}/brokered-meetings", organiser, json={"supplier": late[0], "buyer": b2[0]}
        ).status_code
        == 201
    )
    more = api.request("POST", f"/v1/b2b-sessions/{sid}/schedule", organiser, json={}).json()
    assert more["mode"] == "incremental" and more["unplaced"] == [], more
    assert {o["method"] for o in more["objectives"]} == {"incremental"}
    assert {o["name"]: o["value"] for o in more["objectives"]}["placed"] == 6
    assert seats()[late[0]] != {"T04"} and seats()[samples[0]] == {"T04"}
