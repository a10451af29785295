"""Through the gateway, every field a client got wrong is named in one 422, and nothing is stored.

Found from outside (issue 16): one registration body got ``ocop.stars`` first (the gateway's own check), then
the e-mail, tax code and ``wants.booths`` (the service's), then the phone.  The gateway now checks only that
a body a service loads is an object; the service names every broken field (tests/contract/test_service_seam.py
holds each route to that).
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings

from tests.e2e.test_booths import booth, booth_edition, exhibitor, floor_plan  # noqa: F401 (a fixture)
from tests.integration.test_field_errors import APPLICATION_BREAKS, FORM, FORM_BREAKS
from tests.support.api import registration
from tests.support.breaks import broken, expected_fields, some_breaks
from tests.support.waiting import eventually

EXAMPLES = settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
RULES = {"groups": [{"name": "all", "booths": 3, "provinces": None}]}


def participations(api, organiser: str, edition_id: str) -> list[dict]:
    return api.request("GET", f"/v1/editions/{edition_id}/participations", organiser).json()["items"]


def test_the_reported_body_gets_one_422_naming_all_five_fields(api, organiser, new_edition):
    edition_id = new_edition()["id"]
    body = registration("thanh-hoa")
    body["products"][0]["ocop"]["stars"] = 7  # the gateway's schema knows this rule
    delegate = body["organisation"]["delegates"][0]
    delegate["email"], delegate["phone"] = "lan.nguyen(at)example.vn", "0912 345"  # these only the service knows
    body["organisation"]["tax_code"] = "0101248142"
    body["wants"]["booths"] = 25
    response = api.request("POST", f"/v1/editions/{edition_id}/registrations", json=body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert {(e["field"], e["code"]) for e in problem["errors"]} == {
        ("products.0.ocop.stars", "out_of_range"),
        ("organisation.delegates.0.email", "invalid_email"),
        ("organisation.tax_code", "tax_code_check_digit"),
        ("wants.booths", "out_of_range"),
        ("organisation.delegates.0.phone", "invalid_phone"),
    }
    assert len(problem["errors"]) == 5 and response.headers["Content-Language"] == "vi"
    assert "Mã số thuế sai chữ số kiểm tra." in {e["message"] for e in problem["errors"]}  # in Vietnamese
    assert participations(api, organiser, edition_id) == []
    fixed = registration("thanh-hoa")  # the neighbour: the same edition takes a good form
    assert api.request("POST", f"/v1/editions/{edition_id}/registrations", json=fixed).status_code == 201
    assert len(participations(api, organiser, edition_id)) == 1


@pytest.fixture
def edition_after_the_merger(new_edition) -> str:
    """From 2026-08-16, as the breaks of :data:`FORM_BREAKS` that need the edition's date assume."""
    return new_edition(starts_on=date(2026, 8, 16), partners=("nghe-an",))["id"]


@EXAMPLES
@given(breaks=some_breaks(FORM_BREAKS))
def test_a_registration_names_every_wrong_field_in_one_answer(api, organiser, edition_after_the_merger, breaks):
    response = api.request("POST", f"/v1/editions/{edition_after_the_merger}/registrations", json=broken(FORM, breaks))
    assert response.status_code == 422, response.text
    assert {e["field"] for e in response.json()["errors"]} == expected_fields(breaks)
    assert participations(api, organiser, edition_after_the_merger) == []


@pytest.fixture
def applicant(api, organiser, booth_edition) -> tuple[str, str, str]:  # noqa: F811 (booth_edition: a fixture)
    """An approved exhibitor the booths service knows, on a floor with booth A01 and zone A."""
    edition_id = booth_edition(floor_plan(booth("A01"), booth("A02", x=3), booth("A03", x=6)), RULES)
    pid, member = exhibitor(api, organiser, edition_id, "thanh-hoa")
    known = eventually(lambda: api.request("GET", f"/v1/editions/{edition_id}/booth-applications/{pid}", member))
    assert known.status_code == 200, known.text
    return edition_id, pid, member


@EXAMPLES
@given(breaks=some_breaks(APPLICATION_BREAKS))
def test_a_booth_application_names_every_wrong_field_in_one_answer(api, applicant, breaks):
    """The gateway's schema knows preference types; booths wanted, needs and empty values only the service."""
    edition_id, pid, member = applicant
    body = {
        "participation_id": pid,
        "booths_wanted": 2,
        "needs": ["power"],
        "preferences": [{"type": "booth", "value": "A01"}, {"type": "zone", "value": "A"}],
    }
    response = api.request("POST", f"/v1/editions/{edition_id}/booth-applications", member, json=broken(body, breaks))
    assert response.status_code == 422, response.text
    assert {e["field"] for e in response.json()["errors"]} == expected_fields(breaks)
    mine = api.request("GET", f"/v1/editions/{edition_id}/booth-applications/{pid}", member).json()
    assert not mine.get("application")
