"""Through the API: one organisation's change reaches its own records and nobody else's.

Found from outside: after one ``PATCH /v1/organisations/{id}`` every
participant of the meetings service carried that organisation's name,
province and sectors (the embedded store wrote to documents its filter
excluded).  This drives the same flow and compares every other participant's
profile, agenda and table-sheet rows before and after.
"""

from __future__ import annotations

from datetime import date

from tests.e2e.test_meetings import buyer, session_body, supplier
from tests.support.waiting import eventually


def _agenda(api, token, sid, pid) -> dict:
    response = api.request("GET", f"/v1/b2b-sessions/{sid}/agendas/{pid}", token)
    assert response.status_code == 200, response.text
    return response.json()


def _rows(api, organiser, sid) -> dict[str, dict]:
    sheets = api.request("GET", f"/v1/b2b-sessions/{sid}/table-sheets", organiser).json()["tables"]
    return {row["meeting_id"]: row for sheet in sheets for row in sheet["rows"] if row["meeting_id"]}


def test_renaming_one_organisation_changes_no_other_participant(api, organiser, new_edition):
    eid = new_edition(starts_on=date(2024, 8, 16))["id"]
    renamed, other_a, other_b = (
        supplier(api, organiser, eid, p, name=f"Công ty {n}")
        for p, n in (("nghe-an", "Đổi Tên"), ("ha-tinh", "Giữ Nguyên A"), ("nghe-an", "Giữ Nguyên B"))
    )
    b1 = buyer(api, organiser, eid)
    b2 = buyer(api, organiser, eid, "TH", "Siam Fresh Trading", interpreter=None)
    sid = api.request("POST", f"/v1/editions/{eid}/b2b-sessions", organiser, json=session_body()).json()["id"]
    pairs = [(b1, renamed), (b2, other_a), (b2, other_b)]
    for (bpid, _, btoken), (spid, _, stoken) in pairs:
        asked = api.request("POST", f"/v1/b2b-sessions/{sid}/requests", btoken, json={"from": bpid, "to": spid})
        assert asked.status_code == 201, asked.text
        assert api.request("POST", f"/v1/meetings/{asked.json()['id']}/accept", stoken, json={}).status_code == 200
    assert api.request("POST", f"/v1/b2b-sessions/{sid}/schedule", organiser, json={}).json()["scheduled"] == 3
    assert api.request("POST", f"/v1/b2b-sessions/{sid}/agenda", organiser, json={"stage": "final"}).status_code == 200

    untouched = {pid: token for pid, _, token in (other_a, other_b, b2)}
    profiles = {
        pid: api.request("GET", f"/v1/editions/{eid}/b2b-profiles/{pid}", organiser).json() for pid in untouched
    }
    agendas = {pid: _agenda(api, token, sid, pid) for pid, token in untouched.items()}
    rows = _rows(api, organiser, sid)
    mine = {
        mid
        for mid, row in rows.items()
        if renamed[0] in (row["supplier"]["participation_id"], row["buyer"]["participation_id"])
    }

    path = f"/v1/organisations/{renamed[1]}"
    etag = api.request("GET", path, renamed[2]).headers["ETag"]
    patched = api.request(
        "PATCH",
        path,
        renamed[2],
        json={"legal_name": {"vi": "Công ty Tên Mới"}, "province": "ha-tinh", "sectors": ["wood"]},
        headers={"If-Match": etag},
    )
    assert patched.status_code == 200, patched.text
    seen = eventually(
        lambda: api.request("GET", f"/v1/editions/{eid}/b2b-profiles/{renamed[0]}", organiser),
        ok=lambda r: r.json()["province"] == "ha-tinh" and "Tên Mới" in str(r.json()["name"]),
    )
    assert seen.json()["province"] == "ha-tinh" and "Tên Mới" in str(seen.json()["name"])

    assert {
        pid: api.request("GET", f"/v1/editions/{eid}/b2b-profiles/{pid}", organiser).json() for pid in untouched
    } == profiles
    assert {pid: _agenda(api, token, sid, pid) for pid, token in untouched.items()} == agendas
    after = _rows(api, organiser, sid)
    assert {mid: row for mid, row in after.items() if mid not in mine} == {
        mid: row for mid, row in rows.items() if mid not in mine
    }
    assert mine and set(mine) <= set(after)
