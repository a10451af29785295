"""Reference data through the gateway: what a form may offer, anonymous, typed, cacheable, and exactly what
registration accepts (every listed value goes through, values it does not list are refused)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gateway import schemas as s
from tests.support.api import edition_body, organisation

PROBLEM = "application/problem+json"
ENDPOINTS = {
    "/v1/reference/provinces": s.ProvinceList,
    "/v1/reference/organisation-kinds": s.OrganisationKindList,
    "/v1/reference/roles": s.RoleList,
    "/v1/reference/sectors": s.SectorRules,
    "/v1/reference/ocop": s.OcopRules,
}


def get(api, path: str, **params: str):
    response = api.request("GET", path, params=params or None)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert ENDPOINTS[path]().validate(response.json()) == {}  # the documented shape, exactly
    return response


def items(api, path: str, **params: str) -> list[dict]:
    return get(api, path, **params).json()["items"]


@pytest.mark.parametrize("path", sorted(ENDPOINTS))
def test_each_list_is_anonymous_typed_and_cacheable_with_a_strong_etag(api, ops, path):
    first = get(api, path, **({"on": "2025-07-10"} if path.endswith("provinces") else {}))
    etag = first.headers["ETag"]
    assert etag.startswith('"') and first.headers["Cache-Control"] == "public, max-age=3600"
    params = {"on": "2025-07-10"} if path.endswith("provinces") else None
    again = api.request("GET", path, params=params, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == etag
    assert api.request("GET", path, params=params, headers={"If-None-Match": '"stale"'}).content == first.content
    signed_in = api.request("GET", path, ops, params=params)  # the same for everyone: one cache entry serves all
    assert signed_in.content == first.content and signed_in.headers["ETag"] == etag


def test_the_provinces_of_a_day_before_and_after_the_2025_merger(api):
    before = get(api, "/v1/reference/provinces", on="2024-08-16")
    assert "Quảng Bình".encode() in before.content and "Thừa Thiên Huế".encode() in before.content  # not \\u-escaped
    old = {p["code"]: p for p in before.json()["items"]}
    assert before.json()["on"] == "2024-08-16" and len(old) == 63
    assert old["quang-binh"] == {
        "code": "quang-binh",
        "name": {"vi": "Quảng Bình", "en": "Quang Binh"},
        "kind": "province",
        "valid_from": None,
        "valid_to": "2025-06-30",
        "successor": {"code": "quang-tri", "name": {"vi": "Quảng Trị", "en": "Quang Tri"}},
        "merged_from": [],
    }
    assert old["hue"]["name"] == {"vi": "Thừa Thiên Huế", "en": "Thua Thien Hue"}
    after = get(api, "/v1/reference/provinces", on="2025-07-10")
    new = {p["code"]: p for p in after.json()["items"]}
    assert len(new) == 34 and "quang-binh" not in new
    assert new["lam-dong"]["name"] == {"vi": "Lâm Đồng", "en": "Lam Dong"}
    assert [(p["code"], p["name"]["vi"]) for p in new["lam-dong"]["merged_from"]] == [
        ("lam-dong", "Lâm Đồng"),
        ("dak-nong", "Đắk Nông"),
        ("binh-thuan", "Bình Thuận"),
    ]
    assert (new["lam-dong"]["valid_from"], new["lam-dong"]["valid_to"], new["lam-dong"]["successor"]) == (
        "2025-07-01",
        None,
        None,
    )
    assert new["ho-chi-minh"]["name"]["en"] == "Ho Chi Minh City"
    assert before.headers["ETag"] != after.headers["ETag"]


def test_without_a_day_the_list_is_today_s_in_vietnam_and_kept_only_until_midnight(api):
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    days = {datetime.now(zone).date().isoformat()}
    response = get(api, "/v1/reference/provinces")
    days.add(datetime.now(zone).date().isoformat())  # a request across midnight may answer either day
    assert response.json()["on"] in days
    assert len(response.json()["items"]) == (34 if response.json()["on"] >= "2025-07-01" else 63)
    now = datetime.now(zone)
    to_midnight = (datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), zone) - now).total_seconds()
    visibility, _, seconds = response.headers["Cache-Control"].partition(", max-age=")
    assert visibility == "public" and 1 <= int(seconds) <= min(3600, to_midnight + 5)


@pytest.mark.parametrize("bad", ["10/07/2025", "2025-02-30", "hôm nay"])
def test_a_day_that_is_not_a_date_is_a_422_naming_on(api, bad):
    response = api.request("GET", "/v1/reference/provinces", params={"on": bad}, headers={"Accept-Language": "vi"})
    assert response.status_code == 422 and response.headers["Content-Type"] == PROBLEM
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [("on", "invalid_date")]
    assert "ETag" not in response.headers and "Cache-Control" not in response.headers


def test_the_document_types_each_answer_and_says_it_is_cacheable(api):
    spec = api.request("GET", "/v1/openapi.json").json()
    for path, schema in ENDPOINTS.items():
        operation = spec["paths"][path]["get"]
        ok = operation["responses"]["200"]
        assert ok["content"]["application/json"]["schema"] == {"$ref": f"#/components/schemas/{schema.__name__}"}
        assert set(ok["headers"]) == {"ETag", "Cache-Control", "X-Request-ID"}
        assert ok["headers"]["ETag"] == {"$ref": "#/components/headers/CacheETag"}  # a hash, not a version
        assert "content" not in operation["responses"]["304"]
        assert "If-None-Match" in [p["name"] for p in operation["parameters"]] and "security" not in operation
        assert spec["components"]["schemas"][schema.__name__]["properties"]["items"]["type"] == "array"
    entry = spec["components"]["schemas"]["ProvinceEntry"]
    assert entry["additionalProperties"] is False and "successor" in entry["required"]


# -- the lists are what registration accepts ---------------------------------------------------------------


def edition_with(api, organiser: str, series_id: str, starts_on: date, provinces: list[str]):
    return api.request(
        "POST", "/v1/editions", organiser, json=edition_body(series_id, starts_on, provinces[0], provinces[1:])
    )


@pytest.mark.parametrize("day", [date(2024, 8, 16), date(2025, 3, 1), date(2025, 7, 10)])
def test_every_province_listed_for_a_day_is_accepted_for_an_edition_of_that_day(api, organiser, series_id, day):
    codes = [p["code"] for p in items(api, "/v1/reference/provinces", on=day.isoformat())]
    created = edition_with(api, organiser, series_id, day, codes)
    assert created.status_code == 201, created.text
    assert [created.json()["host_province"], *created.json()["partner_provinces"]] == codes


def test_a_province_not_listed_for_the_day_is_refused_with_its_successor(api, organiser, series_id):
    listed = {p["code"]: p for p in items(api, "/v1/reference/provinces", on="2024-08-16")}
    codes = [p["code"] for p in items(api, "/v1/reference/provinces", on="2025-07-10")]
    refused = edition_with(api, organiser, series_id, date(2025, 7, 10), [*codes, "quang-binh"])
    assert refused.status_code == 422, refused.text
    [error] = refused.json()["errors"]
    successor = listed["quang-binh"]["successor"]
    assert (error["field"], error["code"]) == (f"partner_provinces.{len(codes) - 1}", "province_merged")
    assert f"{successor['name']['vi']} ({successor['code']})" in error["message"]  # "Quảng Trị (quang-tri)"


@pytest.mark.parametrize(
    "kind", ["enterprise", "cooperative", "household_business", "association", "agency", "foreign_buyer"]
)
def test_every_listed_kind_is_accepted_with_what_it_requires_and_refused_without_it(api, kind):
    listed = {k["code"]: k for k in items(api, "/v1/reference/organisation-kinds")}
    body = organisation("thanh-hoa", kind=kind, sectors=["gỗ mỹ nghệ"])
    if kind == "foreign_buyer":
        body = {
            **{k: v for k, v in body.items() if k not in ("tax_code", "province")},
            "foreign": {"country": "JP", "registration_no": uuid.uuid4().hex[:12]},
        }
    for field in listed[kind]["requires"]:
        missing = api.request("POST", "/v1/organisations", json={k: v for k, v in body.items() if k != field})
        assert missing.status_code == 422, missing.text
        assert [(e["field"], e["code"]) for e in missing.json()["errors"]] == [(field, "required")]
    created = api.request("POST", "/v1/organisations", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["kind"] == kind


def test_the_kinds_roles_and_their_names_are_the_whole_lists(api):
    assert [k["code"] for k in items(api, "/v1/reference/organisation-kinds")] == [
        "enterprise",
        "cooperative",
        "household_business",
        "association",
        "agency",
        "foreign_buyer",
    ]
    roles = {r["code"]: r["name"] for r in items(api, "/v1/reference/roles")}
    assert roles["exhibitor"] == {"vi": "Đơn vị trưng bày", "en": "Exhibitor"}
    assert set(roles) == {"exhibitor", "buyer", "visitor", "partner_agency"}
    refused = api.request("POST", "/v1/organisations", json=organisation("thanh-hoa", kind="startup"))
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "kind"


def test_every_listed_role_registers_and_an_unlisted_one_is_refused(api, new_edition):
    edition_id = new_edition()["id"]
    for role in items(api, "/v1/reference/roles"):
        form = {"organisation": organisation("thanh-hoa"), "role": role["code"]}
        registered = api.request("POST", f"/v1/editions/{edition_id}/registrations", json=form)
        assert registered.status_code == 201, registered.text
        assert registered.json()["participation"]["role"] == role["code"]
    form = {"organisation": organisation("thanh-hoa"), "role": "speaker"}
    refused = api.request("POST", f"/v1/editions/{edition_id}/registrations", json=form)
    assert refused.status_code == 422 and [e["field"] for e in refused.json()["errors"]] == ["role"]


def test_every_listed_ocop_rating_is_accepted_on_a_product_and_the_ones_around_are_not(api):
    ocop = get(api, "/v1/reference/ocop").json()
    assert [level["stars"] for level in ocop["items"]] == [3, 4, 5]
    assert ocop["items"][2]["meaning"]["vi"] == "Sản phẩm OCOP cấp quốc gia, có thể xuất khẩu"
    org = api.request("POST", "/v1/organisations", json=organisation("thanh-hoa"))
    assert org.status_code == 201, org.text
    member = api.token("member", organisation=org.json()["id"])
    path = f"/v1/organisations/{org.json()['id']}/products"

    def product(stars: int, year: int) -> dict:
        return {
            "name": {"vi": f"Chè {stars} sao"},
            "category": "tea",
            "ocop": {"stars": stars, "certificate_no": "X" * ocop["certificate_no_max_length"], "year": year},
        }

    for level in ocop["items"]:
        added = api.request("POST", path, member, json=product(level["stars"], ocop["min_year"]))
        assert added.status_code == 201, added.text
    for stars, year, field in (
        (ocop["min_stars"] - 1, 2023, "ocop.stars"),
        (ocop["max_stars"] + 1, 2023, "ocop.stars"),
        (4, ocop["min_year"] - 1, "ocop.year"),
    ):
        refused = api.request("POST", path, member, json=product(stars, year))
        assert refused.status_code == 422 and [e["field"] for e in refused.json()["errors"]] == [field]
    names = [p["name"]["vi"] for p in api.request("GET", f"/v1/organisations/{org.json()['id']}").json()["products"]]
    assert names == ["Chè 3 sao", "Chè 4 sao", "Chè 5 sao"]  # the refused ones wrote nothing


def test_sectors_are_free_text_within_the_published_limits(api):
    rules = get(api, "/v1/reference/sectors").json()
    assert rules["controlled"] is False and rules["items"] == []
    most = [f"{n:02d}" + "ạ" * (rules["max_length"] - 2) for n in range(rules["max_items"])]
    accepted = api.request("POST", "/v1/organisations", json=organisation("thanh-hoa", sectors=most))
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["sectors"] == most
    for sectors in ([*most, "thêm"], ["x" * (rules["max_length"] + 1)]):
        refused = api.request("POST", "/v1/organisations", json=organisation("thanh-hoa", sectors=sectors))
        assert refused.status_code == 422 and refused.json()["errors"][0]["field"].startswith("sectors")
