"""Every field a client got wrong is named in one answer, at each service's RPC edge on the real store.

Found from outside (issue 16): one registration form got ``ocop.stars`` first, then the e-mail, tax code and
``wants.booths``, then the phone.  The phone rule ran only once the rest of the delegate was valid, rules
across fields stopped at the first missing one or kept quiet while any field was wrong, and rules on stored
state (provinces on the edition's date, site visits of its programme) answered one after another.

For each main form: a valid body with a random set of fields broken (:mod:`tests.support.breaks`) is refused
once, naming exactly those fields: every field wrong on its own when there is one, else every field stored
state refuses.  Nothing is stored.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from nameko.testing.services import worker_factory

from booths.service import BoothsService
from booths.store import BoothsStore
from meetings.service import MeetingsService
from meetings.store import MeetingsStore
from registration.service import RegistrationService
from registration.store import RegistrationStore
from shared.auth import Principal
from shared.errors import InvalidInput, KetnoiError, NotFound
from shared.store import database, door_for
from tests.integration.test_booths_all_or_nothing import csv_of
from tests.integration.test_booths_all_or_nothing import new_edition as new_booth_edition
from tests.integration.test_meeting_events import participation
from tests.support.api import edition_body, organisation, registration
from tests.support.breaks import DELETE, Break, broken, expected_fields, named_fields, some_breaks
from tests.support.meetings import edition_created

pytestmark = pytest.mark.usefixtures("service_env")
OPS = Principal(role="ops", subject="it-ops").as_dict()
EXAMPLES = settings(
    max_examples=int(os.environ.get("KETNOI_HUNT_EXAMPLES", "30")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PHONE_IN_TEXT = "Gọi 0912 345 678"  # contact details are refused in text published to provinces


def refused_once(
    call: Callable[[dict[str, Any]], Any], body: dict[str, Any], breaks: list[Break], service: str, *unchanged: str
) -> KetnoiError:
    """One refusal naming exactly the broken fields; the service's ``unchanged`` collections hold as many
    documents as before."""
    before = counts(service, *unchanged)
    with pytest.raises((InvalidInput, NotFound)) as refused:
        call(broken(body, breaks))
    assert named_fields(refused.value) == expected_fields(breaks)
    assert counts(service, *unchanged) == before
    return refused.value


def registration_service() -> RegistrationService:
    store = RegistrationStore(door_for("registration"))
    store.ensure_indexes()
    return worker_factory(RegistrationService, store=store)


def meetings_service() -> MeetingsService:
    return worker_factory(MeetingsService, store=MeetingsStore(door_for("meetings")))


def booths_service() -> BoothsService:
    return worker_factory(BoothsService, store=BoothsStore(door_for("booths")))


def counts(service: str, *collections: str) -> dict[str, int]:
    db = database(service)
    return {name: db[name].count_documents({}) for name in collections}


# -- registration ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def series_key() -> str:
    key = f"fe-{uuid.uuid4().hex[:8]}"
    registration_service().create_series(OPS, {"key": key, "name": {"vi": "Kết nối"}})
    return key


@pytest.fixture(scope="module")
def open_edition(series_key: str) -> str:
    """From 2026-08-16: after the 2025 merger, so Quảng Bình and Hà Giang are provinces no more."""
    service = registration_service()
    created = service.create_edition(OPS, edition_body(series_key, date(2026, 8, 16), "thanh-hoa", ["nghe-an"]))
    service.set_edition_status(OPS, created["id"], created["version"], {"status": "open"})
    return created["id"]


FORM = {**registration("thanh-hoa"), "wants": {"booths": 1, "b2b": True, "site_visits": ["visit"], "livestream": False}}
FORM["products"][0]["origin_province"] = "nghe-an"
FORM_BREAKS = [
    Break("organisation.delegates.0.email", "not-an-email", "organisation.delegates.0.email"),
    Break("organisation.delegates.0.phone", "12", "organisation.delegates.0.phone"),
    Break("organisation.delegates.0.preferred_language", "fr", "organisation.delegates.0.preferred_language"),
    Break("organisation.tax_code", "0101248142", "organisation.tax_code"),
    Break("organisation.tax_code", DELETE, "organisation.tax_code"),  # an enterprise needs one
    Break("organisation.province", DELETE, "organisation.province"),  # and a province
    Break("organisation.province", "atlantis", "organisation.province"),
    Break("organisation.province", "quang-binh", "organisation.province", stored=True),  # merged into Quảng Trị
    Break("organisation.legal_name.vi", "", "organisation.legal_name.vi"),
    Break("organisation.website", "not a url", "organisation.website"),
    Break("products.0.ocop.stars", 7, "products.0.ocop.stars"),
    Break("products.0.category", "", "products.0.category"),
    Break("products.0.origin_province", "ha-giang", "products.0.origin_province", stored=True),  # Tuyên Quang
    Break("role", "spectator", "role"),
    Break("wants.booths", 25, "wants.booths"),
    Break("wants.site_visits", ["moon-trip"], "wants.site_visits.0", stored=True),
    Break("surprise", "field", "surprise"),
]


@EXAMPLES
@given(breaks=some_breaks(FORM_BREAKS))
def test_the_registration_form_names_every_wrong_field_at_once(open_edition, breaks):
    refused_once(
        lambda body: registration_service().register(None, open_edition, body),
        FORM,
        breaks,
        "registration",
        "organisations",
        "participations",
        "products",
    )


def test_the_reported_form_is_refused_once_with_all_five_fields(open_edition):
    """The body of the report: ``ocop.stars``, e-mail, tax code, ``wants.booths`` and phone in one answer."""
    breaks = [b for b in FORM_BREAKS if b.value in (7, "not-an-email", "0101248142", 25, "12")]
    refused = refused_once(
        lambda body: registration_service().register(None, open_edition, body),
        FORM,
        breaks,
        "registration",
        "organisations",
        "participations",
        "products",
    )
    assert len(refused.errors) == 5


def test_a_valid_form_still_registers(open_edition):
    """The neighbour of every refusal above: the same form, unbroken, is a registration."""
    body = registration("thanh-hoa")
    answer = registration_service().register(None, open_edition, body)
    assert answer["organisation_created"] and answer["participation"]["status"] == "submitted"


ORGANISATION = organisation("thanh-hoa")
ORGANISATION_BREAKS = [
    Break("tax_code", "12345", "tax_code"),
    Break("tax_code", DELETE, "tax_code"),
    Break("province", DELETE, "province"),
    Break("province", "quang-binh", "province"),  # merged today: no stored state needed to say so
    Break("legal_name.vi", "", "legal_name.vi"),
    Break("legal_name.en", PHONE_IN_TEXT, "legal_name.en"),
    Break("website", "not a url", "website"),
    Break("sectors", ["x" * 61], "sectors.0"),
    Break("delegates.0.name", "", "delegates.0.name"),
    Break("delegates.0.email", "no-at-sign", "delegates.0.email"),
    Break("delegates.0.phone", "12", "delegates.0.phone"),
]


@EXAMPLES
@given(breaks=some_breaks(ORGANISATION_BREAKS))
def test_an_organisation_names_every_wrong_field_at_once(breaks):
    refused_once(
        lambda body: registration_service().create_organisation(OPS, body),
        ORGANISATION,
        breaks,
        "registration",
        "organisations",
    )


def edition_form(series: str) -> dict[str, Any]:
    body = edition_body(series, date(2026, 8, 16), "thanh-hoa", ["nghe-an", "ha-tinh"])
    body["timezone"] = "Asia/Ho_Chi_Minh"
    return body


EDITION_BREAKS = [
    Break("ends_on", "2026-08-15", "ends_on"),  # before its first day
    Break("registration_closes_at", "2020-01-01T08:00:00+07:00", "registration_closes_at"),
    Break("host_province", "quang-binh", "host_province"),  # merged before the edition's date
    Break("partner_provinces.1", "atlantis", "partner_provinces.1"),
    Break("timezone", "Mars/Olympus", "timezone"),
    Break("title.vi", "", "title.vi"),
    Break("venue.name", PHONE_IN_TEXT, "venue.name"),
    Break("plan_reference", "x" * 121, "plan_reference"),
    Break("programme.0.ends_at", "2026-08-16T07:00:00+07:00", "programme.0.ends_at"),
    Break("programme.1.key", "main", "programme"),  # two items with one key
    Break("programme.1.kind", "party", "programme.1.kind"),
    Break("series_id", "no-such-series", "series_id", stored=True),
]


@EXAMPLES
@given(breaks=some_breaks(EDITION_BREAKS))
def test_an_edition_names_every_wrong_field_at_once(series_key, breaks):
    refused_once(
        lambda body: registration_service().create_edition(OPS, body),
        edition_form(series_key),
        breaks,
        "registration",
        "editions",
    )


def test_a_change_names_the_fields_sent_and_the_rules_across_the_whole_at_once(series_key):
    """A patch is checked alone (its errors name what was sent) and merged with what is stored (a last day
    before the stored first day): both in one answer; organisations and their products on file name today's
    provinces in the same answer as their other fields."""
    service = registration_service()
    edition = service.create_edition(OPS, edition_form(series_key))
    with pytest.raises(InvalidInput) as refused:
        service.update_edition(OPS, edition["id"], None, {"venue": {"name": ""}, "ends_on": "2026-08-10"})
    assert named_fields(refused.value) == {"venue.name", "ends_on"}
    org = service.create_organisation(OPS, organisation("thanh-hoa"))
    with pytest.raises(InvalidInput) as refused:
        service.update_organisation(OPS, org["id"], None, {"province": "quang-binh", "legal_name": {"vi": ""}})
    assert named_fields(refused.value) == {"province", "legal_name.vi"}
    with pytest.raises(InvalidInput) as refused:
        service.add_product(OPS, org["id"], {"name": {"vi": "Chè"}, "category": "", "origin_province": "ha-giang"})
    assert named_fields(refused.value) == {"category", "origin_province"}
    assert service.get_edition(OPS, edition["id"])["version"] == edition["version"]
    assert service.get_organisation(OPS, org["id"])["version"] == org["version"]
    assert service.get_organisation(OPS, org["id"])["products"] == []


# -- meetings -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def meetings_edition() -> dict[str, Any]:
    """An edition on 2025-07-10 with a supplier and a buyer, and a session the organisers' timetable fills."""
    edition_id = f"ed_{uuid.uuid4().hex[:8]}"
    service = meetings_service()
    service.on_edition(edition_created(edition_id, capacity={}))
    supplier, buyer = f"s-{edition_id}", f"b-{edition_id}"
    service.on_approved(participation(edition_id, supplier, "exhibitor"))
    service.on_approved(participation(edition_id, buyer, "buyer"))
    session = service.create_session(OPS, edition_id, {**SESSION, "mode": "optimise"})
    return {"id": edition_id, "supplier": supplier, "buyer": buyer, "session": session["id"]}


SESSION = {
    "name": {"vi": "Kết nối B2B"},
    "date": "2025-07-10",
    "starts_at": "13:30",
    "slot_minutes": 20,
    "slots": 6,
    "tables": 4,
    "breaks": ["14:30"],
    "mode": "pick",
    "max_meetings": 5,
    "interpreters": {"ja": 1},
    "interpreter_people": [
        {"id": "lan", "name": "Nguyễn Thị Lan", "languages": ["ja"], "away": ["S02"]},
        {"id": "minh", "name": "Trần Minh", "languages": ["ja", "en"]},
    ],
}
SESSION_BREAKS = [
    Break("name.vi", "", "name.vi"),
    Break("starts_at", "13:32", "starts_at"),  # off the five-minute grid
    Break("slot_minutes", 22, "slot_minutes"),  # and so are these
    Break("tables", 0, "tables"),
    Break("mode", "random", "mode"),
    Break("max_meetings", 0, "max_meetings"),
    Break("interpreters", {"ja": -1}, "interpreters.ja.value"),
    Break("interpreter_people.1.id", "lan", "interpreter_people.1.id"),  # given twice
    Break("interpreter_people.0.away", ["S09"], "interpreter_people.0.away.0"),  # no such slot
    Break("interpreter_people.1.languages", ["japanese"], "interpreter_people.1.languages.0"),
    Break("objectives", {"fairness": "lottery"}, "objectives.fairness"),
    Break("date", "2025-07-12", "date", stored=True),  # not a day of the edition
    Break("breaks", ["13:35"], "breaks", stored=True),  # no slot starts then
]


@EXAMPLES
@given(breaks=some_breaks(SESSION_BREAKS))
def test_a_b2b_session_names_every_wrong_field_at_once(meetings_edition, breaks):
    refused_once(
        lambda body: meetings_service().create_session(OPS, meetings_edition["id"], body),
        SESSION,
        breaks,
        "meetings",
        "sessions",
    )


REQUEST_BREAKS = [
    Break("note", "x" * 1001, "note"),
    Break("slot", "X1", "slot"),
    Break("surprise", 1, "surprise"),
    Break("from", "par_nobody", "from", stored=True),
    Break("to", "par_nobody_either", "to", stored=True),
    Break("slot", "S01", "slot", stored=True),  # the organisers' timetable gives this session's slots
]


@EXAMPLES
@given(breaks=some_breaks(REQUEST_BREAKS))
def test_a_meeting_request_names_every_wrong_field_at_once(meetings_edition, breaks):
    body = {"from": meetings_edition["supplier"], "to": meetings_edition["buyer"], "note": "Xin gặp"}
    refused_once(
        lambda b: meetings_service().request_meeting(OPS, meetings_edition["session"], b),
        body,
        breaks,
        "meetings",
        "meetings",
        "holds",
    )


MOU = {
    "title": {"vi": "Biên bản ghi nhớ hợp tác tiêu thụ nông sản"},
    "kind": "mou",
    "sector": "nông sản",
    "products": ["gạo", "cà phê"],
    "value": {"amount": 5_000_000_000, "currency": "VND"},
    "signed_on": "2025-07-10",
    "signed_at_event": "Hội nghị kết nối cung cầu Quảng Trị",
    "parties": [
        {"name": {"vi": "Liên minh HTX tỉnh Hà Tĩnh"}, "kind": "alliance", "province": "ha-tinh"},
        {"name": {"vi": "Liên minh HTX tỉnh Nghệ An"}, "kind": "alliance", "province": "nghe-an"},
    ],
}
MOU_BREAKS = [
    Break("title.vi", PHONE_IN_TEXT, "title.vi"),
    Break("kind", "treaty", "kind"),
    Break("sector", "", "sector"),
    Break("products.1", "", "products.1"),
    Break("value.amount", -1, "value.amount"),
    Break("value.currency", "dong", "value.currency"),
    Break("signed_on", "10/07/2025", "signed_on"),
    Break("parties.0.kind", "club", "parties.0.kind"),
    Break("parties.0.province", "atlantis", "parties.0.province"),
    Break("parties.1.name", DELETE, "parties.1.organisation_id"),  # neither on file nor named
    Break("parties.1.country", "vn", "parties.1.country"),
    Break("meeting_ids", ["mtg_nowhere"], "meeting_ids.0", stored=True),
    Break("parties.0.name", DELETE, "parties.0.organisation_id"),
]


@EXAMPLES
@given(breaks=some_breaks(MOU_BREAKS))
def test_an_mou_names_every_wrong_field_at_once(meetings_edition, breaks):
    refused_once(
        lambda body: meetings_service().register_mou(OPS, meetings_edition["id"], body), MOU, breaks, "meetings", "mous"
    )


# -- booths ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def booth_applicant() -> dict[str, str]:
    edition_id = new_booth_edition()
    booths_service().import_floor_plan(OPS, edition_id, {"csv": csv_of(["A01", "A02", "A03"])})
    pid = f"{edition_id}-p1"
    BoothsStore(door_for("booths")).upsert_applicant(
        {
            "participation_id": pid,
            "edition_id": edition_id,
            "organisation_id": "o-p1",
            "organisation_kind": "enterprise",
            "organisation_name": None,
            "province": "ha-noi",
            "province_2025": "ha-noi",
            "ocop_max_stars": None,
        },
        returning=False,
    )
    return {"edition_id": edition_id, "participation_id": pid}


APPLICATION_BREAKS = [
    Break("booths_wanted", 25, "booths_wanted"),
    Break("preferences.0.type", "row", "preferences.0.type"),
    Break("preferences.1.value", "", "preferences.1.value"),
    Break("needs", ["jacuzzi"], "needs.0"),
    Break("preferences.0.value", "Z99", "preferences.0.value", stored=True),  # on no floor plan
    Break("preferences.1.value", "B", "preferences.1.value", stored=True),
]


@EXAMPLES
@given(breaks=some_breaks(APPLICATION_BREAKS))
def test_a_booth_application_names_every_wrong_field_at_once(booth_applicant, breaks):
    body = {
        "participation_id": booth_applicant["participation_id"],
        "booths_wanted": 2,
        "needs": ["power"],
        "preferences": [{"type": "booth", "value": "A01"}, {"type": "zone", "value": "A"}],
    }
    refused_once(lambda b: booths_service().apply(OPS, booth_applicant["edition_id"], b), body, breaks, "booths")
    stored = BoothsStore(door_for("booths")).applicant(booth_applicant["participation_id"])
    assert not stored.get("application")  # the one document an application would change
