"""The B2B meetings part of the OpenAPI document: typed answers, declared query strings, descriptions, and
request examples the meetings service would take.

The answers are checked against what the service's views build (the end-to-end contract check does it again
for every answer a test meets); the examples are put together as a documentation page does (a field's
example, else its first allowed value) and loaded with the service's own schema of the body.
"""

from __future__ import annotations

from typing import Any

import pytest
from marshmallow import Schema

from gateway.answers import meetings as a
from gateway.meeting_routes import MeetingRoutes
from meetings import planning, views
from meetings import schemas as service
from meetings.domain.model import Meeting, Objectives, Session
from meetings.domain.timetable import schedule_meetings
from scripts.openapi_file import document, untyped_operations

DOC = document()
COMPONENTS = DOC["components"]["schemas"]
OPERATIONS = {op["operationId"]: (path, method, op) for path, ops in DOC["paths"].items() for method, op in ops.items()}
MEETING_OPERATIONS = sorted(
    name for name in vars(MeetingRoutes) if name in OPERATIONS and OPERATIONS[name][2]["tags"] == ["meetings"]
)


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    return COMPONENTS[ref.rsplit("/", 1)[-1]] if ref else schema


def _success(name: str, status: str) -> dict[str, Any]:
    return _resolve(OPERATIONS[name][2]["responses"][status]["content"]["application/json"]["schema"])


def _query(name: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in OPERATIONS[name][2]["parameters"] if p["in"] == "query"}


def test_every_meetings_operation_is_described_and_typed():
    assert len(MEETING_OPERATIONS) == 31
    assert not [n for n in MEETING_OPERATIONS if not OPERATIONS[n][2].get("description")]
    assert set(untyped_operations(DOC)).isdisjoint(MEETING_OPERATIONS)


@pytest.mark.parametrize(
    ("name", "item"),
    [
        ("b2b_sessions", "B2bSession"),
        ("b2b_suggestions", "Suggestion"),
        ("session_meetings", "Meeting"),
        ("list_mous", "Mou"),
    ],
)
def test_lists_name_their_rows(name, item):
    assert _success(name, "200")["properties"]["items"]["items"] == {"$ref": f"#/components/schemas/{item}"}


def test_a_queued_timetable_answers_its_job():
    responses = OPERATIONS["schedule_session"][2]["responses"]
    assert responses["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/TimetableRun")
    assert responses["202"]["content"]["application/json"]["schema"]["$ref"].endswith("/ScheduleJob")
    assert _success("schedule_job", "200") == COMPONENTS["ScheduleJob"]


@pytest.mark.parametrize(
    ("name", "wanted"),
    [
        ("get_meeting", {"lang"}),
        ("participant_calendar", {"lang"}),
        ("participant_agenda_page", {"lang"}),
        ("table_sheets", {"lang", "format"}),
        ("session_meetings", {"limit", "cursor", "participation_id", "status"}),
    ],
)
def test_query_strings_read_are_declared(name, wanted):
    declared = _query(name)
    assert set(declared) == wanted
    assert all(p.get("description") for p in declared.values())
    if "lang" in declared:
        assert declared["lang"]["schema"]["enum"] == ["vi", "en"]


# -- what the service builds matches the answers ---------------------------------------------------------

SESSION = {
    "_id": "ses_1",
    "edition_id": "ed_1",
    "series_id": "thanh-hoa-ket-noi",
    "name": {"vi": "Phiên B2B"},
    "date": "2025-07-10",
    "timezone": "Asia/Ho_Chi_Minh",
    "venue": "Cung Văn hóa",
    "slot_minutes": 20,
    "slots": [
        {"id": "S01", "starts_at": "2025-07-10T13:30:00+07:00", "ends_at": "2025-07-10T13:50:00+07:00"},
        {"id": "S02", "starts_at": "2025-07-10T13:50:00+07:00", "ends_at": "2025-07-10T14:10:00+07:00"},
    ],
    "breaks": ["S02"],
    "tables": ["T01", "T02"],
    "mode": "optimise",
    "settings": {"auto_accept": False},
    "request_ttl_hours": 48,
    "max_meetings": 12,
    "interpreters": {},
    "interpreter_people": [{"id": "ip1", "name": "Nguyễn Thị Lan", "languages": ["ja"], "away": []}],
    "objectives": {"fairness": "buyer", "keep_tables": True, "compact": True},
    "agenda": {"stage": "final", "version": 2, "published_at": "2025-07-09T10:00:00+07:00"},
    "scheduler": None,
    "created_at": "2025-07-01T09:00:00+07:00",
    "outbox": {},
    "outbox_n": 0,
}
RUN = {
    "_id": "run_1",
    "session_id": "ses_1",
    "edition_id": "ed_1",
    "mode": "full",
    "at": "2025-07-09T09:00:00+07:00",
    "meetings": 2,
    "scheduled": 1,
    "delta": 1,
    "slots_used": 1,
    "slots_available": 1,
    "unplaced": [{"meeting_id": "mtg_2", "reason": "no_interpreter"}],
    "moved": [],
    "solver_ms": 12.5,
    # a real solve's report: every objective's name, value, bound and method (not_asked: compact is off)
    "objectives": planning.scores(
        schedule_meetings(
            Session(("S01",), ("T01",)),
            [Meeting("mtg_1", "par_s", "par_b", "ja", 0), Meeting("mtg_2", "par_s", "par_c", None, 0)],
            {},
            {"ja": 1},
            [],
            Objectives(compact=False),
        )
    ),
}


def _party(pid: str, name: dict | None) -> dict[str, Any]:
    return {"participation_id": pid, "organisation_id": f"org_{pid}", "name": name, "country": "VN", "province": None}


MEETING = {
    "_id": "mtg_1",
    "session_id": "ses_1",
    "edition_id": "ed_1",
    "supplier": _party("par_s", {"vi": "Công ty TNHH Cà phê Lam Sơn"}),
    "buyer": _party("par_b", None),
    "requested_by": "buyer",
    "note": None,
    "brokered": "no",
    "status": "accepted",
    "expires_at": None,
    "slot": "S01",
    "table": "T01",
    "locked": "organiser",
    "live": "done",
    "outcome": {"result": "quotation", "notes": None, "by": "usr_1", "at": "2025-07-10T13:50:00+07:00"},
    "language": "ja",
    "interpreter": "ip1",
    "sequence": 1,
    "version": 3,
    "unplaced_reason": None,
}


def _loads(schema: type[Schema], answer: dict[str, Any]) -> None:
    errors = schema().validate(answer)
    assert not errors, errors


def test_sessions_and_runs_match_their_answers():
    _loads(a.B2bSession, views.session(SESSION, RUN))
    _loads(a.B2bSession, views.session(SESSION))
    _loads(a.SupplierTablesSet, {**views.session(SESSION), "moves_on_next_run": 0})


def test_meetings_agendas_and_sheets_match_their_answers():
    _loads(a.Meeting, views.meeting(MEETING, SESSION))
    _loads(a.Meeting, views.meeting({**MEETING, "slot": None, "unplaced_reason": "no_table"}, SESSION))
    _loads(a.MeetingSeen, {**views.meeting(MEETING, SESSION), "unplaced_explanation": None})
    participant = {"_id": "par_b", "organisation_id": "org_par_b", "name": None}
    cancelled = {**MEETING, "_id": "mtg_3", "status": "cancelled", "slot": None, "last_slot": "S01"}
    _loads(a.ParticipantAgenda, views.agenda(SESSION, participant, [MEETING, cancelled]))
    _loads(a.TableSheets, {"session_id": "ses_1", "tables": views.table_sheets(SESSION, [MEETING])})


def test_a_private_field_the_service_adds_fails_the_answer():
    """Answers are closed: a field the meetings service starts sending fails until it is described."""
    assert a.Meeting().validate({**views.meeting(MEETING, SESSION), "priority": 3}) == {"priority": ["Unknown field."]}


# -- request examples ------------------------------------------------------------------------------------

BODIES = {
    "set_b2b_profile": service.ProfileIn,
    "create_b2b_session": service.SessionIn,
    "set_availability": service.AvailabilityIn,
    "set_supplier_tables": service.SupplierTablesIn,
    "set_time_away": service.TimeAwayIn,
    "request_meeting": service.RequestIn,
    "broker_meeting": service.BrokerIn,
    "accept_meeting": service.AcceptIn,
    "decline_meeting": service.ReasonIn,
    "cancel_meeting": service.ReasonIn,
    "lock_meeting": service.LockIn,
    "meeting_status": service.LiveIn,
    "schedule_session": service.ScheduleIn,
    "publish_agenda": service.AgendaIn,
    "register_mou": service.MouIn,
}


def _example(schema: dict[str, Any]) -> Any:
    """What a documentation page shows: the example, else one built from the members, else the first value."""
    if "example" in schema:
        return schema["example"]
    resolved = _resolve(schema)
    if resolved.get("type") == "array" and "items" in resolved:
        item = _example(resolved["items"])
        return None if item is None else [item]
    if resolved.get("properties"):
        required = set(resolved.get("required", []))
        built = {}
        for name, member in resolved["properties"].items():
            value = _example(member)
            assert value is not None or name not in required, f"{name} is required and has no example"
            if value is not None:
                built[name] = value
        return built or None
    return resolved.get("enum", [None])[0]


def test_every_meetings_body_is_covered():
    assert sorted(BODIES) == sorted(n for n in MEETING_OPERATIONS if "requestBody" in OPERATIONS[n][2])


@pytest.mark.parametrize("name", sorted(BODIES))
def test_request_examples_are_what_the_service_takes(name):
    body = OPERATIONS[name][2]["requestBody"]["content"]["application/json"]["schema"]
    example = _example(body) or {}
    assert BODIES[name]().validate(example) == {}, example


def test_the_mou_example_names_each_party_one_way():
    parties = _example(OPERATIONS["register_mou"][2]["requestBody"]["content"]["application/json"]["schema"])["parties"]
    assert [bool(p.get("organisation_id")) != bool(p.get("name")) for p in parties] == [True, True]
