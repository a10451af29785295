"""Answers that were 500s, and input that was stored though it should not be (found from outside)."""

from __future__ import annotations

import pytest
from nameko.testing.services import worker_factory

from booths import events as booth_events
from booths.service import BoothsService
from booths.store import BoothsStore
from shared.auth import Principal
from shared.errors import Conflict, InvalidInput, NotFound
from shared.store import door_for
from tests.integration.test_booths_all_or_nothing import OPS, booths_of, new_edition, with_applicants

pytestmark = pytest.mark.usefixtures("service_env")
MEMBER = Principal(role="member", subject="someone", organisation="org_other").as_dict()


def service():
    return worker_factory(BoothsService, store=BoothsStore(door_for("booths")))


@pytest.mark.parametrize("actor", [OPS, MEMBER])
def test_a_registration_cancelled_before_its_approval_is_not_found_on_every_booth_route(actor):
    edition_id = new_edition()
    BoothsStore(door_for("booths")).cancel_applicant("par_cancelled_early", edition_id)  # a tombstone only
    calls = {
        "application": lambda s: s.application(actor, edition_id, "par_cancelled_early"),
        "apply": lambda s: s.apply(actor, edition_id, {"participation_id": "par_cancelled_early", "booths_wanted": 1}),
        "claim": lambda s: s.claim(actor, edition_id, "A01", {"participation_id": "par_cancelled_early"}),
        "slots": lambda s: s.book_slot(
            actor,
            edition_id,
            "L01",
            {"participation_id": "par_cancelled_early", "starts_at": "2026-08-16T09:00:00+07:00"},
        ),
    }
    for call in calls.values():
        with pytest.raises(NotFound, match="No approved exhibitor"):  # not a KeyError from the tombstone
            call(service())


@pytest.mark.parametrize(
    ("provinces", "caps", "field", "code"),
    [
        ([""], {}, "groups.0.provinces.0", "unknown_province"),
        (["atlantis"], {}, "groups.0.provinces.0", "unknown_province"),
        (["thanh-hoa", "quang-binh"], {}, "groups.0.provinces.1", "province_merged"),  # part of Quảng Trị since 2025
        (["thanh-hoa"], {"ha-giang": 1}, "groups.0.province_caps.ha-giang", "province_merged"),  # Tuyên Quang
    ],
)
def test_rules_name_only_provinces_of_the_edition_s_date(provinces, caps, field, code):
    edition_id = new_edition()  # starts 2026-08-16: after the 2025 merger
    rules = {
        "groups": [
            {"name": "host", "booths": 10, "provinces": provinces, "province_caps": caps},
            {"name": "others", "booths": 10, "provinces": None},
        ]
    }
    with pytest.raises(InvalidInput) as refused:
        service().set_rules(OPS, edition_id, rules)
    assert (refused.value.errors[0]["field"], refused.value.errors[0]["code"]) == (field, code)
    assert BoothsStore(door_for("booths")).plan(edition_id)["quotas"]["groups"][0]["name"] == "all"  # unchanged


def test_rules_may_name_buyers_from_abroad():
    edition_id = new_edition()
    rules = {
        "groups": [
            {"name": "host", "booths": 10, "provinces": ["thanh-hoa", "foreign"]},
            {"name": "others", "booths": 10, "provinces": None},
        ]
    }
    assert service().set_rules(OPS, edition_id, rules)["rules"]["groups"][0]["provinces"] == ["thanh-hoa", "foreign"]


def test_runs_are_listed_and_read_back_and_only_the_newest_unchanged_one_commits():
    """Found from outside: an older run committed after a newer one was accepted, and a stored dry run could
    not be read back."""
    edition_id = new_edition()
    older = with_applicants(edition_id)
    newer = service().run_allocation(OPS, edition_id, {"keep_current": False})
    listed = service().allocation_runs(OPS, edition_id)["items"]
    assert [r["id"] for r in listed] == [newer["id"], older["id"]] and "explanations" not in listed[0]
    read = service().allocation_run(OPS, edition_id, older["id"])
    assert read["assignments"] == older["assignments"] and "inputs" not in read
    with pytest.raises(NotFound):
        service().allocation_run(OPS, new_edition(), older["id"])  # another edition's id

    with pytest.raises(Conflict) as outdated:
        service().commit_allocation(OPS, edition_id, older["id"])
    assert (outdated.value.code, outdated.value.extra["newest_run"]) == ("run_outdated", newer["id"])

    store = BoothsStore(door_for("booths"))
    pid = f"{edition_id}-p1"
    wish = {**store.applicant(pid)["application"], "booths_wanted": 1}
    store.set_application(pid, wish, booth_events.application_submitted(store.applicant(pid), wish))
    with pytest.raises(Conflict) as stale:
        service().commit_allocation(OPS, edition_id, newer["id"])
    assert stale.value.code == "run_stale"
    assert not any(b["holder"] for b in booths_of(edition_id).values())  # nothing applied

    fresh = service().run_allocation(OPS, edition_id, {"keep_current": False})
    assert service().commit_allocation(OPS, edition_id, fresh["id"])["committed"] is True
