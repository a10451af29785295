"""Every bad request gets a 4xx problem document with field details, and changes nothing."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import timedelta

import pytest

from shared.auth import Principal, mint_token
from shared.config import DEV_JWT_SECRET
from tests.support.api import registration

PROBLEM = "application/problem+json"


@pytest.fixture
def edition_id(new_edition) -> str:
    return new_edition()["id"]


def count(api, organiser, edition_id) -> int:
    return len(api.request("GET", f"/v1/editions/{edition_id}/participations", organiser).json()["items"])


def mutated(path: str, value) -> dict:
    """A valid registration with one field replaced (``None`` deletes it)."""
    body = copy.deepcopy(registration("thanh-hoa"))
    *parents, last = path.split(".")
    target = body
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    if value is None:
        del target[last]
    else:
        target[last] = value
    return body


@pytest.mark.parametrize(
    ("path", "value", "field", "code"),
    [
        ("role", 42, "role", "invalid_type"),
        ("role", "spectator", "role", "out_of_range"),
        ("organisation", None, "organisation", "required"),
        ("organisation.legal_name", None, "organisation.legal_name", "required"),
        ("organisation.tax_code", "0101248142", "organisation.tax_code", "tax_code_check_digit"),
        ("organisation.tax_code", "12345", "organisation.tax_code", "tax_code_format"),
        ("organisation.delegates.0.phone", "12", "organisation.delegates.0.phone", "invalid_phone"),
        ("organisation.delegates.0.email", "not-an-email", "organisation.delegates.0.email", "invalid_email"),
        ("organisation.province", "atlantis", "organisation.province", "unknown_province"),
        ("organisation.kind", "cartel", "organisation.kind", "out_of_range"),
        (
            "products",
            [{"name": {"vi": "Chè"}, "category": "tea", "ocop": {"stars": 7, "certificate_no": "x", "year": 2023}}],
            "products.0.ocop.stars",
            "out_of_range",
        ),
        ("wants", {"site_visits": ["moon-trip"]}, "wants.site_visits.0", "unknown_site_visit"),
        ("surprise", "field", "surprise", "unknown_field"),
    ],
)
def test_invalid_registration_is_422_with_the_field_and_writes_nothing(
    api, organiser, edition_id, path, value, field, code
):
    response = api.request(
        "POST", f"/v1/editions/{edition_id}/registrations", json=mutated(path, value), headers={"Accept-Language": "en"}
    )
    assert response.status_code == 422, response.text
    assert response.headers["Content-Type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == 422 and problem["instance"].endswith("/registrations")
    assert {"field": field, "code": code} in [{"field": e["field"], "code": e["code"]} for e in problem["errors"]]
    assert "Traceback" not in response.text
    assert count(api, organiser, edition_id) == 0


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        (b"{not json", {"Content-Type": "application/json"}, 400, "malformed_json"),
        (b"[1, 2]", {"Content-Type": "application/json"}, 422, "body_not_object"),
        (b'"text"', {"Content-Type": "application/json"}, 422, "body_not_object"),
        (b"role=exhibitor", {"Content-Type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"),
        (b"{" + b" " * (1024 * 1024 + 10) + b"}", {"Content-Type": "application/json"}, 413, "payload_too_large"),
        (b"[" * 50_000 + b"]" * 50_000, {"Content-Type": "application/json"}, 400, "malformed_json"),  # too deep
        (
            b'{"role": "exhibitor", "organisation": {"legal_name": {"vi": "x\\ud800"}}}',
            {"Content-Type": "application/json"},
            400,
            "malformed_json",
        ),  # a lone surrogate is no text
        (
            b'{"role": "exhibitor", "organisation": {"legal_name": {"vi": "x\xed\xa0\x80"}}}',
            {"Content-Type": "application/json"},
            400,
            "malformed_json",
        ),  # nor is its UTF-8-style encoding
    ],
)
def test_unreadable_bodies(api, organiser, edition_id, body, headers, status, code):
    response = api.request("POST", f"/v1/editions/{edition_id}/registrations", data=body, headers=headers)
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert response.headers["Content-Type"] == PROBLEM
    assert count(api, organiser, edition_id) == 0


def test_auth_failures(api, organiser, edition_id):
    path = f"/v1/editions/{edition_id}/participations"
    expired = mint_token(Principal(role="ops", subject="x"), DEV_JWT_SECRET, ttl=timedelta(seconds=-5))
    forged = mint_token(Principal(role="ops", subject="x"), "an-attacker-guessing-the-signing-secret")
    cases = [
        (None, 401, "unauthorized"),
        ("garbage", 401, "token_invalid"),
        (expired, 401, "token_expired"),
        (forged, 401, "token_invalid"),
        (api.token("member", organisation="org_x"), 403, "forbidden_role"),
        (api.token("organiser", series="some-other-series"), 403, "not_organiser"),
    ]
    for token, status, code in cases:
        response = api.request("GET", path, token)
        assert (response.status_code, response.json()["code"]) == (status, code), token
    decision = api.request(
        "POST", "/v1/series", api.token("organiser", series="x"), json={"key": "hijack", "name": {"vi": "X"}}
    )
    assert decision.status_code == 403
    assert api.request("GET", "/v1/series/hijack").status_code == 404


def test_unknown_province_filter_is_a_field_error(api, organiser, edition_id):
    for path, token in (
        (f"/v1/editions/{edition_id}/directory", None),
        (f"/v1/editions/{edition_id}/participations", organiser),
    ):
        response = api.request("GET", path, token, params={"province": "atlantis"})
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["code"] == "unknown_province"


def test_unknown_routes_and_methods_are_problems_too(api):
    missing = api.request("GET", "/v1/nothing-here", headers={"Accept-Language": "en"})
    assert (missing.status_code, missing.headers["Content-Type"]) == (404, PROBLEM)
    assert missing.json()["title"] == "Not found"
    wrong = api.request("DELETE", "/v1/series")
    assert wrong.status_code == 405 and "GET" in wrong.headers["Allow"]
    assert api.request("GET", "/v1/editions/ed_nope").json()["code"] == "edition_not_found"


def test_vietnamese_by_default_english_on_request(api, edition_id):
    body = mutated("organisation.tax_code", "0101248142")
    vi = api.request("POST", f"/v1/editions/{edition_id}/registrations", json=body)
    en = api.request(
        "POST",
        f"/v1/editions/{edition_id}/registrations",
        json=body,
        headers={"Accept-Language": "en-GB,en;q=0.9,vi;q=0.5"},
    )
    assert vi.json()["title"] == "Dữ liệu không hợp lệ" and vi.headers["Content-Language"] == "vi"
    assert en.json()["title"] == "Some fields are not valid" and en.headers["Content-Language"] == "en"
    assert vi.json()["errors"][0]["message"] == "Mã số thuế sai chữ số kiểm tra."


def test_cors_preflight_and_request_id(api):
    for origin in ("http://localhost:3000", "http://localhost:5173", "http://127.0.0.1:4173"):  # dev servers
        preflight = api.request(
            "OPTIONS", "/v1/series", headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
        )
        assert preflight.status_code == 204
        assert preflight.headers["Access-Control-Allow-Origin"] == origin
        assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    stranger = api.request("GET", "/v1/series", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in stranger.headers
    traced = api.request("GET", "/v1/editions/ed_nope", headers={"X-Request-ID": "trace-123"})
    assert traced.headers["X-Request-ID"] == "trace-123" and traced.json()["request_id"] == "trace-123"
    assert len(api.request("GET", "/healthz").headers["X-Request-ID"]) == 32


def test_a_created_series_location_is_a_real_route(api, ops):
    key = f"loc-{uuid.uuid4().hex[:8]}"
    created = api.request("POST", "/v1/series", ops, json={"key": key, "name": {"vi": "Kết nối"}})
    assert created.status_code == 201, created.text
    found = api.request("GET", created.headers["Location"])
    assert found.status_code == 200 and found.json() == created.json()
    missing = api.request("GET", "/v1/series/no-such-series")
    assert missing.status_code == 404 and missing.json()["code"] == "series_not_found"


@pytest.mark.parametrize("tag", ['"v\u00b2"', '"v999999999999999999999999999999"', '"1"', "**"])
def test_if_match_that_is_no_etag_of_ours(api, organiser, edition_id, tag):
    response = api.request(
        "PATCH", f"/v1/editions/{edition_id}", organiser, json={"venue": {"name": "X"}}, headers={"If-Match": tag}
    )
    assert response.status_code == 422 and response.headers["Content-Type"] == PROBLEM, response.text
    assert response.json()["errors"][0]["field"] == "If-Match"


def test_if_match_star_updates_whatever_version_is_current(api, organiser, edition_id):
    """RFC 9110: ``If-Match: *`` matches any current representation (it was a 422)."""
    before = int(api.request("GET", f"/v1/editions/{edition_id}").headers["ETag"].strip('"v'))
    response = api.request(
        "PATCH",
        f"/v1/editions/{edition_id}",
        organiser,
        json={"venue": {"name": "Nhà văn hóa"}},
        headers={"If-Match": "*"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["venue"]["name"] == "Nhà văn hóa" and response.headers["ETag"] == f'"v{before + 1}"'
    missing = api.request(
        "PATCH", "/v1/editions/ed_nope", organiser, json={"venue": {"name": "X"}}, headers={"If-Match": "*"}
    )
    assert missing.status_code == 404


def test_a_chunked_body_is_read(api, organiser, edition_id):
    """Found from outside: a body sent with Transfer-Encoding: chunked was read as empty (422 "required")."""
    body = json.dumps(registration("thanh-hoa")).encode()
    response = api.request(
        "POST",
        f"/v1/editions/{edition_id}/registrations",
        data=iter([body[:50], body[50:]]),
        headers={"Content-Type": "application/json"},
    )
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert response.status_code == 201, response.text
    assert count(api, organiser, edition_id) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("wants.booths", 3.5), ("wants.booths", "2"), ("products.0.ocop.stars", 4.9), ("products.0.ocop.stars", True)],
)
def test_numbers_that_are_not_integers_are_refused_not_truncated(api, organiser, edition_id, field, value):
    """Found from outside: ``wants.booths: 3.5`` was stored as 3 and ``"2"`` as 2."""
    response = api.request(
        "POST",
        f"/v1/editions/{edition_id}/registrations",
        json=mutated(field, value),
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422, response.text
    assert {"field": field, "code": "invalid_type"} in [
        {"field": e["field"], "code": e["code"]} for e in response.json()["errors"]
    ]
    assert count(api, organiser, edition_id) == 0


def test_pages_follow_signed_cursors_and_a_forged_one_is_a_400(api, organiser, edition_id):
    """Found from outside: a cursor the API never issued restarted the list."""
    for _ in range(3):
        assert (
            api.request("POST", f"/v1/editions/{edition_id}/registrations", json=registration("thanh-hoa")).status_code
            == 201
        )
    path = f"/v1/editions/{edition_id}/participations"
    first = api.request("GET", path, organiser, params={"limit": "2"}).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = api.request("GET", path, organiser, params={"limit": "2", "cursor": first["next_cursor"]}).json()
    assert len(second["items"]) == 1 and second["next_cursor"] is None
    assert len({p["id"] for p in first["items"] + second["items"]}) == 3
    edited = first["next_cursor"][:-1] + ("0" if first["next_cursor"][-1] != "0" else "1")  # never the same one
    for forged in (first["items"][0]["id"], "par_zzzz", edited, "not a cursor"):
        response = api.request("GET", path, organiser, params={"cursor": forged})
        assert response.status_code == 400, (forged, response.text)
        assert response.json()["errors"][0] == {
            **response.json()["errors"][0],
            "field": "cursor",
            "code": "invalid_cursor",
        }


def test_every_problem_type_resolves_to_a_page_in_both_languages(api, organiser, edition_id):
    """A problem's ``type`` (``/problems/<code>``) is a page saying what the code means, in vi and en; the index
    lists every code; an unknown one is itself a 404 problem."""
    answers = [
        api.request("POST", f"/v1/editions/{edition_id}/registrations", json={"role": "nobody"}),
        api.request("GET", "/v1/editions/ed_nope"),
        api.request("GET", "/v1/editions", "not-a-token"),
        api.request("DELETE", "/v1/editions"),
    ]
    types = {a.json()["type"] for a in answers}
    assert len(types) == 4, [a.text for a in answers]
    for problem_type in types:
        page = api.request("GET", problem_type)
        assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html"), problem_type
        code = problem_type.rsplit("/", 1)[1]
        assert f"<code>{code}</code>" in page.text and 'lang="vi"' in page.text and 'lang="en"' in page.text
        again = api.request("GET", problem_type, headers={"If-None-Match": page.headers["ETag"]})
        assert again.status_code == 304
    validation = api.request("GET", "/problems/validation_failed").text
    assert "<code>invalid_phone</code>" in validation  # the field-level codes, where they occur
    index = api.request("GET", "/problems").text
    assert all(f'href="{t}"' in index for t in types)
    missing = api.request("GET", "/problems/no_such_code")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
