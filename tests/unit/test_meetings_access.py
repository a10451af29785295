"""The meetings rules that moved out of the service class: who may do what, the live steps, MOU parties.

Plain functions, so each refusal and each step is checked without a broker or a store.
"""

from __future__ import annotations

import mongomock
import pytest

from meetings import access
from meetings.domain.lifecycle import may_become, meeting_id
from meetings.domain.mous import party_as_stated, roll_up_provinces
from shared.auth import Principal
from shared.errors import Forbidden, Unauthorized

ORGANISER = Principal("organiser", "o1", series="ser_a").as_dict()
OTHER_ORGANISER = Principal("organiser", "o2", series="ser_b").as_dict()
SUPPLIER = Principal("member", "m1", organisation="org_s").as_dict()
BUYER = Principal("member", "m2", organisation="org_b").as_dict()
OPS = Principal("ops", "x").as_dict()
MEETING = {"supplier": {"organisation_id": "org_s"}, "buyer": {"organisation_id": "org_b"}, "requested_by": "supplier"}


def test_organisers_of_the_series_and_ops_organise_others_are_refused_with_the_api_code():
    assert access.require_organiser(ORGANISER, "ser_a").subject == "o1"
    assert access.require_organiser(OPS, "ser_a").subject == "x"
    with pytest.raises(Forbidden) as refused:
        access.require_organiser(OTHER_ORGANISER, "ser_a")
    assert refused.value.code == "not_organiser"
    with pytest.raises(Unauthorized):
        access.require_organiser(None, "ser_a")


def test_only_the_side_that_did_not_ask_answers_and_either_side_or_an_organiser_sees_the_meeting():
    assert access.require_invitee(BUYER, MEETING).subject == "m2"
    with pytest.raises(Forbidden) as refused:
        access.require_invitee(SUPPLIER, MEETING)
    assert refused.value.code == "not_invitee"
    for actor in (SUPPLIER, BUYER, ORGANISER):
        access.require_party_or_organiser(actor, MEETING, "ser_a", "no")
    with pytest.raises(Forbidden) as refused:
        access.require_party_or_organiser(OTHER_ORGANISER, MEETING, "ser_a", "no")
    assert (refused.value.code, str(refused.value)) == ("not_your_meeting", "no")


def test_a_province_sees_mous_with_a_party_of_its_province_before_or_after_the_merger():
    """The rule is a store filter (so a page of MOUs is full and counted); run here by mongomock."""
    mous = mongomock.MongoClient().db.mous
    mous.insert_many(
        [
            {"_id": "old_name", "parties": [{"province": "Old", "province_2025": "New"}, {"province": "Else"}]},
            {"_id": "new_name", "parties": [{"organisation_id": "org_s", "province": "New"}]},
            {"_id": "other", "parties": [{"organisation_id": "org_b", "province": "Else", "province_2025": "Else"}]},
        ]
    )

    def seen(principal: Principal) -> list[str]:
        return sorted(m["_id"] for m in mous.find(access.visible_mous(principal, "ser_a")))

    assert seen(Principal("province", "p", province="New")) == ["new_name", "old_name"]
    assert seen(Principal("member", "m", organisation="org_s")) == ["new_name"]
    assert seen(Principal("organiser", "o", series="ser_a")) == ["new_name", "old_name", "other"]
    with pytest.raises(Forbidden):
        access.visible_mous(Principal("organiser", "o", series="ser_b"), "ser_a")


def test_live_steps_and_the_meeting_identity():
    assert may_become(None, "checked_in") and may_become("no_show", "done")
    assert not may_become("done", "no_show") and not may_become("in_progress", "checked_in")
    assert meeting_id("ses_1", "a", "b") == meeting_id("ses_1", "a", "b") != meeting_id("ses_1", "b", "a")


def test_an_unknown_province_is_a_field_error_and_the_others_are_rolled_up():
    parties = [
        party_as_stated({"kind": "company", "name": "X", "country": "JP"}),
        party_as_stated({"kind": "company", "name": "Y", "country": "VN", "province": "Nowhere"}),
    ]
    problems = roll_up_provinces(parties)
    assert parties[0]["province_2025"] is None
    assert [(p["field"], p["code"]) for p in problems] == [("parties.1.province", "unknown_province")]
