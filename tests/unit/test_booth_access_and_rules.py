"""The booths service's object-level access rules and its booth rules on stored documents, without a service.

They were methods of the service class; now plain functions, they are
checked here directly (the integration tests check them through the RPCs).
"""

from __future__ import annotations

from datetime import date

import pytest

from booths import access
from booths.rules import booth_limit, check_eligible, check_rule_provinces, group_name
from shared.auth import Principal
from shared.errors import Forbidden, InvalidInput, Unauthorized

PLAN = {
    "_id": "ed_1",
    "series_id": "ser_1",
    "quotas": {"organisation_max": 2, "groups": [{"name": "host", "booths": 4, "provinces": ["thanh-hoa"]}]},
}


def applicant(**overrides):
    return {
        "_id": "par_1",
        "organisation_id": "org_1",
        "organisation_kind": "enterprise",
        "province": "thanh-hoa",
        "application": {"booths_wanted": 3},
        **overrides,
    }


def test_organisers_of_the_series_and_ops_pass_and_others_are_refused():
    assert access.require_organiser({"role": "ops", "subject": "o"}, PLAN).role == "ops"
    assert access.require_organiser({"role": "organiser", "subject": "a", "series": "ser_1"}, PLAN).subject == "a"
    with pytest.raises(Forbidden) as refused:
        access.require_organiser({"role": "organiser", "subject": "b", "series": "ser_2"}, PLAN)
    assert refused.value.code == "not_organiser"
    with pytest.raises(Unauthorized):
        access.require_organiser(None, PLAN)


def test_only_members_of_the_organisation_and_ops_act_for_it():
    assert access.acts_for(Principal("member", "m", organisation="org_1"), "org_1")
    assert access.acts_for(Principal("ops", "o"), "org_1")
    with pytest.raises(Forbidden) as refused:
        access.require_acts_for(Principal("member", "m", organisation="org_2"), "org_1")
    assert refused.value.code == "not_your_organisation"


def test_booth_limit_is_what_was_asked_within_the_organisation_maximum():
    assert booth_limit(PLAN, applicant()) == 2
    assert booth_limit(PLAN, applicant(application={"booths_wanted": 1})) == 1
    assert booth_limit({"quotas": {}}, applicant(application=None)) == 1


def test_group_name_and_eligibility_follow_the_quota_groups():
    assert group_name(PLAN, applicant()) == "host"
    assert group_name(PLAN, applicant(province="ha-noi")) is None
    check_eligible(PLAN, applicant(), {"kind": "standard"})
    for who, booth in (
        (applicant(), {"kind": "agency"}),
        (applicant(), {"kind": "ocop"}),
        (applicant(province="ha-noi"), {"kind": "standard"}),
    ):
        with pytest.raises(Forbidden):
            check_eligible(PLAN, who, booth)


def test_rule_provinces_must_exist_on_the_editions_date():
    check_rule_provinces({"groups": [{"provinces": ["thanh-hoa", "foreign"]}]}, date(2026, 3, 1))
    with pytest.raises(InvalidInput) as refused:
        check_rule_provinces(
            {"groups": [{"provinces": ["atlantis"], "province_caps": {"narnia": 1}}]}, date(2026, 3, 1)
        )
    assert [e["field"] for e in refused.value.errors] == ["groups.0.provinces.0", "groups.0.province_caps.narnia"]
