"""Reference data: the lists registration publishes are the ones its validators accept, a bad day is a field
error, and the gateway's answers are cacheable (strong ETag from the body, 304, Cache-Control)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest
from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from gateway.http import ApiHandler, json_response
from gateway.reference_routes import until_midnight
from registration.schemas import OrganisationIn, ParticipationQuery, ProductIn, RegistrationIn
from registration.service import RegistrationService
from shared.errors import InvalidInput
from shared.validation import load
from tests.support.api import organisation

SERVICE = worker_factory(RegistrationService)
FOREIGN = {"country": "JP", "registration_no": "0100-01-123456"}


def codes(answer: dict) -> list[str]:
    return [item["code"] for item in answer["items"]]


def errors_of(schema, body: dict) -> dict:
    return schema().validate(body)


def organisation_of(kind: str) -> dict:
    body = organisation("thanh-hoa", kind=kind)
    if kind == "foreign_buyer":
        body = {**{k: v for k, v in body.items() if k not in ("tax_code", "province")}, "foreign": FOREIGN}
    return body


@pytest.mark.parametrize("bad", ["10/07/2025", "2025-02-30", "", "2025-07-10T00:00:00+07:00", "hôm nay"])
def test_a_day_that_is_not_yyyy_mm_dd_is_a_field_error_on_on(bad):
    with pytest.raises(InvalidInput) as refused:
        SERVICE.reference_provinces(bad)
    assert refused.value.status == 422
    assert [(e["field"], e["code"]) for e in refused.value.errors] == [("on", "invalid_date")]


def test_the_provinces_of_a_day_with_names_validity_and_the_merger():
    before, after = SERVICE.reference_provinces("2025-06-30"), SERVICE.reference_provinces("2025-07-01")
    assert (before["on"], len(before["items"]), after["on"], len(after["items"])) == (
        "2025-06-30",
        63,
        "2025-07-01",
        34,
    )
    quang_binh = next(item for item in before["items"] if item["code"] == "quang-binh")
    assert quang_binh == {
        "code": "quang-binh",
        "name": {"vi": "Quảng Bình", "en": "Quang Binh"},
        "kind": "province",
        "valid_from": None,
        "valid_to": "2025-06-30",
        "successor": {"code": "quang-tri", "name": {"vi": "Quảng Trị", "en": "Quang Tri"}},
        "merged_from": [],
    }
    quang_tri = next(item for item in after["items"] if item["code"] == "quang-tri")
    assert (quang_tri["valid_from"], quang_tri["valid_to"], quang_tri["successor"]) == ("2025-07-01", None, None)
    assert [old["code"] for old in quang_tri["merged_from"]] == ["quang-tri", "quang-binh"]


def test_every_listed_kind_is_accepted_with_the_fields_it_requires_and_refused_without_each():
    kinds = SERVICE.reference_organisation_kinds()["items"]
    assert codes({"items": kinds}) == [
        "enterprise",
        "cooperative",
        "household_business",
        "association",
        "agency",
        "foreign_buyer",
    ]
    for kind in kinds:
        body = organisation_of(kind["code"])
        assert errors_of(OrganisationIn, body) == {}, kind
        assert kind["name"]["vi"] and kind["name"]["en"]
        for field in kind["requires"]:
            with pytest.raises(InvalidInput) as refused:
                load(OrganisationIn, {k: v for k, v in body.items() if k != field})
            assert [(e["field"], e["code"]) for e in refused.value.errors] == [(field, "required")], kind
    assert {k["code"]: k["requires"] for k in kinds}["foreign_buyer"] == ["foreign"]
    assert "kind" in errors_of(OrganisationIn, {**organisation_of("enterprise"), "kind": "startup"})


def test_every_listed_role_is_accepted_and_no_other():
    roles = SERVICE.reference_roles()["items"]
    form = {"organisation": organisation_of("enterprise"), "role": "exhibitor"}
    for role in roles:
        assert errors_of(RegistrationIn, {**form, "role": role["code"]}) == {}
        assert errors_of(ParticipationQuery, {"role": role["code"]}) == {}
    assert {r["code"] for r in roles} == {"exhibitor", "buyer", "visitor", "partner_agency"}
    assert "role" in errors_of(RegistrationIn, {**form, "role": "speaker"})


def test_the_ocop_stars_and_certificate_rules_are_the_ones_products_are_checked_by():
    ocop = SERVICE.reference_ocop()
    stars = [level["stars"] for level in ocop["items"]]
    assert stars == list(range(ocop["min_stars"], ocop["max_stars"] + 1)) == [3, 4, 5]
    product = {
        "name": {"vi": "Nem chua Thanh Hóa"},
        "category": "processed_food",
        "ocop": {"stars": 3, "certificate_no": "x" * ocop["certificate_no_max_length"], "year": ocop["min_year"]},
    }
    for star in stars:
        assert errors_of(ProductIn, {**product, "ocop": {**product["ocop"], "stars": star}}) == {}
        assert errors_of(ParticipationQuery, {"ocop_stars": star}) == {}
    for refused in (
        {"stars": ocop["min_stars"] - 1},
        {"stars": ocop["max_stars"] + 1},
        {"year": ocop["min_year"] - 1},
        {"year": ocop["max_year"] + 1},
        {"certificate_no": "x" * (ocop["certificate_no_max_length"] + 1)},
    ):
        assert "ocop" in errors_of(ProductIn, {**product, "ocop": {**product["ocop"], **refused}}), refused
    points = [(level["min_points"], level["max_points"]) for level in ocop["items"]]
    assert points == [(50, 69), (70, 89), (90, 100)]
    assert [level["level"] for level in ocop["items"]] == ["provincial", "provincial", "national"]


def test_sectors_are_free_text_within_the_limits_organisations_are_checked_by():
    rules = SERVICE.reference_sectors()
    assert rules["controlled"] is False and rules["items"] == []
    body = organisation_of("enterprise")
    longest, most = "a" * rules["max_length"], [f"sector {n}" for n in range(rules["max_items"])]
    assert errors_of(OrganisationIn, {**body, "sectors": [longest, *most[1:]]}) == {}
    assert "sectors" in errors_of(OrganisationIn, {**body, "sectors": [longest + "a"]})
    assert "sectors" in errors_of(OrganisationIn, {**body, "sectors": [*most, "one more"]})
    assert "sectors" in errors_of(OrganisationIn, {**body, "sectors": [""]})
    assert OrganisationIn().load({**body, "sectors": [" Gỗ ", "gỗ"]})["sectors"] == ["gỗ"]  # "normalised"


@pytest.mark.parametrize(
    "rpc", ["reference_organisation_kinds", "reference_roles", "reference_sectors", "reference_ocop"]
)
def test_an_answer_shares_nothing_with_the_tables_the_validators_read(rpc):
    """Changing an answer (a caller in this process) must not change what the validators accept or name."""
    answer, kept = getattr(SERVICE, rpc)(), copy.deepcopy(getattr(SERVICE, rpc)())
    for item in [answer, *answer["items"]]:
        for value in item.values():
            if isinstance(value, dict):
                value["vi"] = "?"
            elif isinstance(value, list) and value and isinstance(value[0], str):
                value.append("?")
    assert getattr(SERVICE, rpc)() == kept


# -- the gateway: cacheable answers ------------------------------------------------------------------------


def answer(headers: dict[str, str] | None = None, body: dict | None = None, seconds: int = 60):
    handler = ApiHandler("GET", "/v1/reference/x", cache_seconds=seconds)
    request = Request(EnvironBuilder(path="/v1/reference/x", headers=headers or {}).get_environ())
    response = json_response(body or {"items": [{"name": {"vi": "Đắk Lắk"}}]})
    handler._make_cacheable(response, request)
    return response


def test_a_cacheable_answer_has_a_strong_etag_of_its_body_and_is_public():
    first, same, other = answer(), answer(), answer(body={"items": []})
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/") and len(etag) == 34
    assert same.headers["ETag"] == etag != other.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, max-age=60" and first.status_code == 200
    assert "Đắk Lắk" in first.get_data(as_text=True)


@pytest.mark.parametrize("header", ["{etag}", "W/{etag}", '"other", {etag}', "*"])
def test_if_none_match_naming_the_current_etag_is_a_304_without_a_body(header):
    etag = answer().headers["ETag"]
    again = answer({"If-None-Match": header.format(etag=etag)})
    assert again.status_code == 304 and again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == "public, max-age=60"
    assert b"".join(again({"REQUEST_METHOD": "GET", "SERVER_PROTOCOL": "HTTP/1.1"}, lambda *a: None)) == b""


def test_a_stale_etag_gets_the_whole_answer():
    stale = answer({"If-None-Match": '"0123456789abcdef0123456789abcdef"'})
    assert stale.status_code == 200 and stale.get_data()


def test_a_route_s_own_cache_control_is_kept():
    handler = ApiHandler("GET", "/v1/reference/x", cache_seconds=3600)
    response = json_response({}, headers={"Cache-Control": "public, max-age=5"})
    handler._make_cacheable(response, Request(EnvironBuilder(path="/v1/reference/x").get_environ()))
    assert response.headers["Cache-Control"] == "public, max-age=5" and response.headers["ETag"]


@pytest.mark.parametrize(
    "now, seconds",
    [
        (datetime(2025, 6, 30, 16, 59, 0, tzinfo=UTC), 60),  # 23:59 in Vietnam: the merger is a minute away
        (datetime(2025, 6, 30, 17, 0, 0, tzinfo=UTC), 86400),  # midnight in Vietnam
        (datetime(2025, 7, 10, 5, 0, 0, tzinfo=UTC), 43200),  # noon
    ],
)
def test_today_s_list_is_kept_no_later_than_midnight_in_vietnam(now, seconds):
    assert until_midnight(now) == seconds
