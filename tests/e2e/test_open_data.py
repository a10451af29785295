"""An edition's open data through the gateway: counts of registrations, booths, meetings and MOUs, public
once the edition is over, the same numbers as JSON and CSV, and nothing that names a person or an
organisation; before the end only organisers, ops and provinces see a preview."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import date, timedelta

from tests.e2e.test_meetings import buyer, session_body, supplier
from tests.support.api import registration
from tests.support.waiting import eventually


def test_open_data_counts_an_ended_edition_for_anyone_and_names_nobody(api, organiser, new_edition):
    eid = new_edition(starts_on=date(2024, 8, 16))["id"]  # long over
    s1, s2 = supplier(api, organiser, eid, "nghe-an"), supplier(api, organiser, eid, "quang-binh")  # → quang-tri
    b1 = buyer(api, organiser, eid, interpreter=None)
    form = registration("ha-tinh", name=f"HTX Chờ duyệt {uuid.uuid4().hex[:5]}")  # submitted, never approved
    pending = api.request("POST", f"/v1/editions/{eid}/registrations", json=form)
    assert pending.status_code == 201, pending.text
    sid = api.request(
        "POST", f"/v1/editions/{eid}/b2b-sessions", organiser, json=session_body(interpreters={"en": 2})
    ).json()["id"]
    for s in (s1, s2):
        assert (
            api.request(
                "POST", f"/v1/b2b-sessions/{sid}/brokered-meetings", organiser, json={"supplier": s[0], "buyer": b1[0]}
            ).status_code
            == 201
        )
    assert api.request("POST", f"/v1/b2b-sessions/{sid}/schedule", organiser, json={}).json()["scheduled"] == 2
    assert (
        api.request(
            "POST",
            f"/v1/editions/{eid}/mous",
            organiser,
            json={
                "title": {"vi": "Biên bản ghi nhớ"},
                "parties": [{"organisation_id": s1[1]}, {"organisation_id": b1[1]}],
                "sector": "processed_food",
                "value": {"amount": 1_000_000_000, "currency": "VND"},
                "signed_on": "2024-08-16",
            },
        ).status_code
        == 201
    )

    found = eventually(
        lambda: api.request("GET", f"/v1/editions/{eid}/open-data"),  # anonymous
        ok=lambda r: r.status_code == 200 and r.json()["b2b"]["mous"]["total"] == 1,
    )
    assert found.status_code == 200, found.text
    data = found.json()
    assert data["published"] is True and data["published_after"] == "2024-08-18"
    people = data["participants"]
    assert people["total"] == 3  # the pending one is not counted
    assert people["by_role"] == {"buyer": 1, "exhibitor": 2}
    assert people["by_province"] == {"nghe-an": 1, "quang-tri": 1}  # the 2025 province
    assert people["by_country"] == {"JP": 1, "VN": 2}
    assert people["by_ocop_stars"] == {"4": 2, "none": 1}
    assert data["b2b"]["sessions"] == 1
    assert data["b2b"]["meetings"]["scheduled"] == 2
    assert data["b2b"]["meetings"]["by_supplier_province"] == {"nghe-an": 1, "quang-tri": 1}
    assert data["b2b"]["meetings"]["by_buyer_country"] == {"JP": 2}
    assert data["b2b"]["mous"]["value_by_currency"] == {"VND": 1_000_000_000}

    body = found.text
    for who in (
        form["organisation"],
        *(api.request("GET", f"/v1/organisations/{s[1]}", organiser).json() for s in (s1, s2)),
    ):
        assert who["legal_name"]["vi"] not in body
        for delegate in who["delegates"].values() if isinstance(who["delegates"], dict) else who["delegates"]:
            assert delegate["name"] not in body and delegate["email"] not in body
    assert "@" not in body and "+84" not in body

    sheet = api.request("GET", f"/v1/editions/{eid}/open-data.csv")
    assert sheet.status_code == 200 and sheet.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(sheet.text)))
    assert {r["edition_id"] for r in rows} == {eid}
    numbers = {(r["measure"], r["dimension"], r["key"]): int(r["value"]) for r in rows}
    assert numbers[("participants", "total", "all")] == 3
    assert numbers[("participants", "by_province", "quang-tri")] == 1
    assert numbers[("meetings", "scheduled", "all")] == 2
    assert numbers[("mous", "value_by_currency", "VND")] == 1_000_000_000
    assert numbers[("booths", "total", "all")] == data["booths"]["total"]
    assert len(numbers) == len(rows)  # one number per line, none twice


def test_before_the_edition_ends_only_organisers_and_provinces_see_a_preview(api, organiser, new_edition):
    eid = new_edition(starts_on=date.today() + timedelta(days=60))["id"]
    s1 = supplier(api, organiser, eid, "nghe-an")
    url = f"/v1/editions/{eid}/open-data"
    early = api.request("GET", url)
    assert early.status_code == 409 and early.json()["code"] == "open_data_not_yet", early.text
    assert api.request("GET", url, s1[2]).status_code == 409  # a member of a participant: not yet either
    assert api.request("GET", f"{url}.csv").status_code == 409
    for token in (organiser, api.token("province", province="nghe-an")):
        preview = api.request("GET", url, token)
        assert preview.status_code == 200, preview.text
        assert preview.json()["published"] is False and preview.json()["participants"]["total"] == 1
    assert api.request("GET", "/v1/editions/ed_nope/open-data").status_code == 404
    assert json.loads(api.request("GET", "/v1/openapi.json").text)["paths"]["/v1/editions/{edition_id}/open-data"][
        "get"
    ]["responses"]["200"]["content"]["application/json"]["schema"]
