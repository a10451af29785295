"""Every Location a registration route sets names a real resource: a GET of it by a caller allowed to read it
is 200 (issue 16 item 7: the answer to ``POST /v1/series`` once pointed at nothing)."""

from __future__ import annotations

import copy
import uuid
from datetime import date

from tests.support.api import edition_body, organisation, registration


def _follow(api, created, token: str | None) -> dict:
    """GET the Location of a 201/202; the path it names must be this API's, under /v1."""
    location = created.headers.get("Location")
    assert location and location.startswith("/v1/"), created.headers
    answer = api.request("GET", location, token)
    assert answer.status_code == 200, (location, answer.text)
    return answer.json()


def test_every_location_of_the_registration_routes_is_readable(api, ops, organiser, series_id, new_edition):
    key = f"loc-{uuid.uuid4().hex[:8]}"
    series = api.request("POST", "/v1/series", ops, json={"key": key, "name": {"vi": "Chuỗi hội nghị"}})
    assert series.status_code == 201, series.text
    assert _follow(api, series, None)["id"] == key  # anyone reads a series

    edition_id = new_edition()["id"]
    body = edition_body(series_id, date(2024, 8, 16), "thanh-hoa", ["ha-noi"])
    edition = api.request("POST", "/v1/editions", organiser, json=body)
    assert edition.status_code == 201, edition.text
    assert _follow(api, edition, organiser)["id"] == edition.json()["id"]  # a draft: its organisers read it

    form = registration("thanh-hoa")
    registered = api.request("POST", f"/v1/editions/{edition_id}/registrations", json=form)
    assert registered.status_code == 201, registered.text
    assert _follow(api, registered, organiser)["id"] == registered.json()["participation"]["id"]

    org_id = registered.json()["organisation_id"]
    claimed = api.request(
        "POST", f"/v1/editions/{new_edition()['id']}/registrations", json=copy.deepcopy(form)
    )  # someone, anonymous, names the organisation on file: a claim
    assert claimed.status_code == 202, claimed.text
    assert _follow(api, claimed, organiser)["id"] == claimed.json()["claim_id"]

    on_file = api.request("POST", "/v1/organisations", json=organisation("nghe-an"))
    assert on_file.status_code == 201, on_file.text
    assert _follow(api, on_file, None)["id"] == on_file.json()["id"]  # the public profile

    member = api.token("member", organisation=on_file.json()["id"])
    applied = api.request(
        "POST",
        f"/v1/editions/{edition_id}/participations",
        member,
        json={"organisation_id": on_file.json()["id"], "role": "buyer"},
    )
    assert applied.status_code == 201, applied.text
    assert _follow(api, applied, member)["organisation_id"] == on_file.json()["id"]
    assert org_id != on_file.json()["id"]
