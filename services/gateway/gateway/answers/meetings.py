"""What the B2B meetings part of the API answers (gateway/meeting_routes.py), and the query strings it reads.

Built from what the meetings service sends (services/meetings/meetings/views.py and its features): a field it
adds or renames fails the end-to-end contract check until it is described here.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from gateway.answers import local_time, utc_time

SLOT_ID = validate.Regexp(r"^S\d{2}$")
LANGUAGES = ("vi", "en")
MODES = ("pick", "optimise")
MEETING_STATUSES = ("requested", "accepted", "declined", "expired", "cancelled")
LIVE = ("checked_in", "in_progress", "done", "no_show")
LOCKED_BY = ("participant", "organiser")
REQUESTED_BY = ("supplier", "buyer", "organiser")
UNPLACED_REASONS = ("unavailable", "participant_busy", "no_table", "no_interpreter", "conflict")
UNPLACED_HINTS = ("change_availability", "free_a_slot", "add_tables", "add_interpreter", "run_again")
STAGES = ("preliminary", "final")
FAIRNESS = ("buyer", "participant", "none")
RESULTS = ("none", "follow_up", "quotation", "sample_order", "contract", "mou")


def _slot_id(description: str = "", **kwargs: Any) -> fields.String:
    return fields.String(validate=SLOT_ID, metadata={"description": description} if description else {}, **kwargs)


# -- query strings ---------------------------------------------------------------------------------------


class MeetingLanguageQuery(Schema):
    """``?lang=``: the language of what people read in the answer."""

    lang = fields.String(
        validate=validate.OneOf(LANGUAGES),
        metadata={"description": "vi or en; without it (or with another value) Accept-Language, then vi"},
    )


class TableSheetsQuery(MeetingLanguageQuery):
    format = fields.String(
        validate=validate.OneOf(("json", "html")),
        metadata={"description": "html: a printable page (text/html) in ?lang=; anything else: the JSON sheets"},
    )


# -- shared parts ----------------------------------------------------------------------------------------


class MeetingPartyName(Schema):
    """An organisation's public name (null for a household business, whose name is personal data)."""

    vi = fields.String(required=True)
    en = fields.String()


class B2bName(Schema):
    vi = fields.String(required=True)
    en = fields.String()


class MeetingParty(Schema):
    """How a meeting names a side: the organisation, never a person."""

    participation_id = fields.String(required=True)
    organisation_id = fields.String(required=True)
    name = fields.Nested(MeetingPartyName, required=True, allow_none=True)
    country = fields.String(required=True, metadata={"description": "ISO 3166-1 alpha-2", "example": "VN"})
    province = fields.String(
        required=True, allow_none=True, metadata={"description": "Province code as registered (null abroad)"}
    )


class MeetingInterpreter(Schema):
    """The named interpreter of a placed meeting (personal data: its parties and the organisers only)."""

    id = fields.String(required=True)
    name = fields.String(required=True)


class MeetingOutcome(Schema):
    result = fields.String(required=True, validate=validate.OneOf(RESULTS))
    notes = fields.String(allow_none=True)
    by = fields.String(required=True, metadata={"description": "Who recorded it (the caller's subject)"})
    at = local_time("When it was recorded", required=True)


# -- sessions -------------------------------------------------------------------------------------------


class SessionSlot(Schema):
    id = _slot_id("S01, S02, … in time order", required=True)
    starts_at = local_time("Start", required=True)
    ends_at = local_time("End", required=True)
    break_ = fields.Boolean(required=True, data_key="break", metadata={"description": "A break: no meetings"})


class PublicInterpreter(Schema):
    """A named interpreter as a session shows it to anyone: languages and slots away, never the name."""

    id = fields.String(required=True)
    languages = fields.List(fields.String(), required=True)
    away = fields.List(fields.String(validate=SLOT_ID), required=True)


class SessionSettings(Schema):
    auto_accept = fields.Boolean(required=True, metadata={"description": "Requests are accepted as they are made"})


class SessionObjectives(Schema):
    fairness = fields.String(required=True, validate=validate.OneOf(FAIRNESS))
    keep_tables = fields.Boolean(required=True)
    compact = fields.Boolean(required=True)


class PublishedAgenda(Schema):
    stage = fields.String(required=True, validate=validate.OneOf(STAGES))
    version = fields.Integer(required=True, metadata={"description": "1, 2, … : raised by every publication"})
    published_at = local_time("When it was published", required=True)


class UnplacedMeeting(Schema):
    meeting_id = fields.String(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(UNPLACED_REASONS))


class ObjectiveScore(Schema):
    """One objective of a timetable, in the order they were optimised."""

    name = fields.String(
        required=True,
        metadata={
            "description": "placed, buyers_served (or participants_served), min_per_buyer (or min_per_participant), "
            "priority, idle_gaps, table_changes",
            "example": "placed",
        },
    )
    value = fields.Integer(required=True)
    bound = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "The best any timetable could do (a lower bound for a minimised objective)"},
    )
    optimal = fields.Boolean(required=True, metadata={"description": "The value is proven to reach the bound"})
    method = fields.String(
        required=True,
        validate=validate.OneOf(("exact", "heuristic", "incremental", "not_asked")),
        metadata={
            "description": "exact: an integer program; heuristic: too large for one (the bound may be loose); "
            "incremental: a run that moved as few meetings as possible; not_asked: an objective the session "
            "does not ask for (no bound)"
        },
    )


class TimetableRun(Schema):
    """One optimiser run of a session: what it placed, left out and moved."""

    id = fields.String(required=True)
    session_id = fields.String(required=True)
    mode = fields.String(
        required=True,
        validate=validate.OneOf(("full", "incremental")),
        metadata={"description": "full: computed from scratch (locks kept); incremental: as few moves as possible"},
    )
    at = local_time("When it ran", required=True)
    meetings = fields.Integer(required=True, metadata={"description": "Accepted meetings considered"})
    scheduled = fields.Integer(required=True, metadata={"description": "Meetings with a place after the run"})
    delta = fields.Integer(
        required=True, metadata={"description": "Δ: the most meetings any one participant has (fewest slots needed)"}
    )
    slots_used = fields.Integer(required=True)
    slots_available = fields.Integer(required=True, metadata={"description": "Slots meetings may use (no breaks)"})
    unplaced = fields.List(fields.Nested(UnplacedMeeting), required=True)
    moved = fields.List(fields.String(), required=True, metadata={"description": "Meetings whose place changed"})
    solver_ms = fields.Float(required=True)
    objectives = fields.List(fields.Nested(ObjectiveScore), required=True)


class B2bSession(Schema):
    """A B2B session: one day's slots and tables in an edition (public: no interpreter names)."""

    id = fields.String(required=True)
    edition_id = fields.String(required=True)
    series_id = fields.String(required=True)
    name = fields.Nested(B2bName, required=True)
    date = fields.String(required=True, metadata={"description": "YYYY-MM-DD", "example": "2025-07-10"})
    timezone = fields.String(required=True, metadata={"example": "Asia/Ho_Chi_Minh"})
    venue = fields.String(required=True, allow_none=True, metadata={"description": "The edition's venue"})
    slot_minutes = fields.Integer(required=True)
    slots = fields.List(fields.Nested(SessionSlot), required=True)
    breaks = fields.List(
        fields.String(validate=SLOT_ID), required=True, metadata={"description": "Slots that are breaks"}
    )
    tables = fields.List(fields.String(), required=True, metadata={"example": ["T01", "T02"]})
    mode = fields.String(required=True, validate=validate.OneOf(MODES))
    settings = fields.Nested(SessionSettings, required=True)
    request_ttl_hours = fields.Integer(required=True)
    max_meetings = fields.Integer(required=True, metadata={"description": "Meetings and requests per participant"})
    interpreters = fields.Dict(
        keys=fields.String(), values=fields.Integer(), required=True, metadata={"description": "language -> seats"}
    )
    interpreter_people = fields.List(fields.Nested(PublicInterpreter), required=True)
    objectives = fields.Nested(SessionObjectives, required=True)
    agenda = fields.Nested(PublishedAgenda, required=True, allow_none=True, metadata={"description": "null: none yet"})
    supplier_tables = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={"description": "Supplier participation id -> its own table"},
    )
    created_at = local_time("When it was created", required=True)
    last_run = fields.Nested(
        TimetableRun,
        required=True,
        allow_none=True,
        metadata={"description": "The last timetable run (null before the first, and in lists and writes)"},
    )


class SupplierTablesSet(B2bSession):
    moves_on_next_run = fields.Integer(
        required=True, metadata={"description": "Placed meetings the next timetable run will move to another table"}
    )


# -- profiles and suggestions ----------------------------------------------------------------------------


class StatedProfile(Schema):
    """What the participant stated (empty until it does); the rest of the profile falls back on registration."""

    offers = fields.List(fields.String())
    seeks = fields.List(fields.String())
    volumes = fields.String(allow_none=True)
    markets = fields.List(fields.String())
    certifications_held = fields.List(fields.String())
    certifications_required = fields.List(fields.String())
    languages = fields.List(fields.String())
    priority = fields.Integer()


class B2bProfile(Schema):
    participation_id = fields.String(required=True)
    organisation_id = fields.String(required=True)
    name = fields.Nested(MeetingPartyName, required=True, allow_none=True)
    side = fields.String(required=True, validate=validate.OneOf(("supplier", "buyer")))
    country = fields.String(required=True)
    province = fields.String(required=True, metadata={"description": "Empty for an organisation abroad"})
    offers = fields.List(fields.String(), required=True, metadata={"description": "Categories a supplier offers"})
    seeks = fields.List(fields.String(), required=True, metadata={"description": "Categories a buyer seeks"})
    markets = fields.List(fields.String(), required=True)
    certifications_held = fields.List(fields.String(), required=True)
    certifications_required = fields.List(fields.String(), required=True)
    languages = fields.List(fields.String(), required=True)
    volumes = fields.String(required=True, allow_none=True)
    priority = fields.Integer(required=True, metadata={"description": "Buyer priority 0–10 (set by organisers)"})
    stated = fields.Nested(StatedProfile, required=True)


class Suggestion(MeetingParty):
    """A counterpart to meet, with its score and the reasons for it."""

    score = fields.Float(required=True)
    reasons = fields.List(
        fields.String(), required=True, metadata={"example": ["categories: processed_food", "shared language: en"]}
    )


# -- meetings --------------------------------------------------------------------------------------------


class Meeting(Schema):
    """A meeting or a request between a supplier and a buyer."""

    id = fields.String(required=True)
    session_id = fields.String(required=True)
    edition_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(MEETING_STATUSES))
    live = fields.String(
        required=True, allow_none=True, validate=validate.OneOf(LIVE), metadata={"description": "On the day"}
    )
    supplier = fields.Nested(MeetingParty, required=True)
    buyer = fields.Nested(MeetingParty, required=True)
    requested_by = fields.String(required=True, validate=validate.OneOf(REQUESTED_BY))
    brokered = fields.Boolean(required=True, metadata={"description": "Proposed by the organisers"})
    slot = _slot_id("null: not placed", required=True, allow_none=True)
    table = fields.String(required=True, allow_none=True)
    starts_at = local_time("The slot's start (null: not placed)", required=True, allow_none=True)
    ends_at = local_time("The slot's end (null: not placed)", required=True, allow_none=True)
    timezone = fields.String(required=True, metadata={"example": "Asia/Ho_Chi_Minh"})
    locked = fields.String(
        required=True,
        allow_none=True,
        validate=validate.OneOf(LOCKED_BY),
        metadata={"description": "Who fixed its place; the optimiser leaves a locked meeting where it is"},
    )
    language = fields.String(
        required=True, allow_none=True, metadata={"description": "The interpreter language it needs (null: none)"}
    )
    sequence = fields.Integer(required=True, metadata={"description": "Its calendar SEQUENCE: raised by every move"})
    expires_at = utc_time("A request's deadline for an answer (null once answered)", required=True, allow_none=True)
    unplaced_reason = fields.String(
        required=True,
        allow_none=True,
        validate=validate.OneOf(UNPLACED_REASONS),
        metadata={"description": "Why the last timetable run left it without a place"},
    )
    unplaced_hint = fields.String(
        required=True,
        allow_none=True,
        validate=validate.OneOf(UNPLACED_HINTS),
        metadata={"description": "What would give it a place"},
    )
    version = fields.Integer(required=True)
    interpreter = fields.Nested(MeetingInterpreter, allow_none=True)
    note = fields.String(allow_none=True, metadata={"description": "What the requester wrote"})
    outcome = fields.Nested(MeetingOutcome, allow_none=True)


class MeetingSeen(Meeting):
    """One meeting as GET /v1/meetings/{id} shows it: with the reason it has no place, in words."""

    unplaced_explanation = fields.String(
        required=True, allow_none=True, metadata={"description": "unplaced_hint in ?lang= (null: it has a place)"}
    )


# -- the timetable ---------------------------------------------------------------------------------------


class ScheduleRequest(Schema):
    full = fields.Boolean(required=True)
    rebook_no_shows = fields.Boolean(required=True)
    now = fields.String(validate=SLOT_ID, allow_none=True)


class ScheduleJobError(Schema):
    code = fields.String(required=True, metadata={"example": "locks_conflict"})
    detail = fields.String(required=True)


class ScheduleJob(Schema):
    """A timetable computed in the background."""

    id = fields.String(required=True)
    session_id = fields.String(required=True)
    request = fields.Nested(ScheduleRequest, required=True, metadata={"description": "The body it was asked with"})
    status = fields.String(required=True, validate=validate.OneOf(("queued", "running", "done", "failed")))
    requested_at = utc_time("Queued", required=True)
    started_at = utc_time("Last started (null: still queued)", required=True, allow_none=True)
    finished_at = utc_time(required=True, allow_none=True)
    attempts = fields.Integer(required=True)
    run = fields.Nested(TimetableRun, required=True, allow_none=True, metadata={"description": "Once done"})
    error = fields.Nested(ScheduleJobError, required=True, allow_none=True, metadata={"description": "Once failed"})


# -- the planning aid ------------------------------------------------------------------------------------


class InterpreterNeed(Schema):
    meetings = fields.Integer(required=True, metadata={"description": "Meetings needing this language"})
    per_slot = fields.Integer(required=True, metadata={"description": "⌈meetings / usable slots⌉"})
    peak = fields.Integer(required=True, metadata={"description": "Its busiest slot in the current timetable"})
    available = fields.Integer(required=True, metadata={"description": "Interpreters of the session who speak it"})


class TablesAndSlots(Schema):
    meetings = fields.Integer(required=True)
    tables_needed = fields.Integer(required=True)
    min_slots = fields.Integer(required=True, metadata={"description": "Δ: the fewest slots any timetable needs"})
    fits = fields.Boolean(required=True, metadata={"description": "The session has at least min_slots slots"})
    interpreters_needed = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(InterpreterNeed),
        required=True,
        metadata={"description": "by language"},
    )


class WhatIf(Schema):
    """The smallest change that would place more meetings, tried by solving the session again."""

    change = fields.String(required=True, validate=validate.OneOf(("interpreter", "table", "slot")))
    add = fields.Integer(required=True, metadata={"description": "How many of it (one)"})
    language = fields.String(metadata={"description": "For an interpreter: the language"})
    slots = fields.List(fields.String(validate=SLOT_ID), required=True, metadata={"description": "Where it is used"})
    places = fields.Integer(required=True, metadata={"description": "How many more meetings it places"})
    text = fields.String(required=True, metadata={"example": "one more table in slots S03–S05 would place 2 more"})
    text_vi = fields.String(required=True)


class PlacingHint(Schema):
    meeting_id = fields.String(required=True)
    hint = fields.Nested(WhatIf, required=True)


class B2bPlan(Schema):
    session_id = fields.String(required=True)
    slots_available = fields.Integer(required=True)
    tables_booked = fields.Integer(required=True)
    accepted = fields.Nested(TablesAndSlots, required=True)
    if_all_pending_accepted = fields.Nested(TablesAndSlots, required=True)
    hints = fields.List(
        fields.Nested(PlacingHint),
        required=True,
        metadata={"description": "For each meeting the last run left out that a change could place"},
    )


# -- agendas and table sheets ----------------------------------------------------------------------------


class AgendaPublished(PublishedAgenda):
    session_id = fields.String(required=True)
    participants = fields.Integer(required=True, metadata={"description": "Participants notified"})
    meetings = fields.Integer(required=True, metadata={"description": "Placed meetings in it"})


class AgendaItem(Schema):
    meeting_id = fields.String(required=True)
    slot = fields.String(required=True, allow_none=True, validate=SLOT_ID)
    table = fields.String(required=True, allow_none=True)
    starts_at = local_time(required=True, allow_none=True)
    ends_at = local_time(required=True, allow_none=True)
    counterpart = fields.Nested(MeetingParty, required=True)
    language = fields.String(required=True, allow_none=True)
    interpreter = fields.Nested(MeetingInterpreter, required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(MEETING_STATUSES))
    live = fields.String(required=True, allow_none=True, validate=validate.OneOf(LIVE))
    sequence = fields.Integer(required=True)


class AgendaParticipant(Schema):
    participation_id = fields.String(required=True)
    organisation_id = fields.String(required=True)
    name = fields.Nested(MeetingPartyName, required=True, allow_none=True)


class ParticipantAgenda(Schema):
    session_id = fields.String(required=True)
    session_name = fields.Nested(B2bName, required=True)
    date = fields.String(required=True, metadata={"description": "YYYY-MM-DD"})
    timezone = fields.String(required=True)
    venue = fields.String(required=True, allow_none=True)
    agenda = fields.Nested(PublishedAgenda, required=True, allow_none=True)
    participant = fields.Nested(AgendaParticipant, required=True)
    meetings = fields.List(fields.Nested(AgendaItem), required=True, metadata={"description": "Placed, in time order"})
    not_yet_scheduled = fields.List(fields.Nested(AgendaItem), required=True)
    cancelled = fields.List(
        fields.Nested(AgendaItem), required=True, metadata={"description": "Called off after they had a place"}
    )


class TableSheetRow(Schema):
    slot = fields.String(required=True, validate=SLOT_ID)
    starts_at = local_time(required=True)
    ends_at = local_time(required=True)
    break_ = fields.Boolean(required=True, data_key="break")
    meeting_id = fields.String(required=True, allow_none=True, metadata={"description": "null: the table is free"})
    supplier = fields.Nested(MeetingParty, required=True, allow_none=True)
    buyer = fields.Nested(MeetingParty, required=True, allow_none=True)
    language = fields.String(required=True, allow_none=True)
    interpreter = fields.Nested(MeetingInterpreter, required=True, allow_none=True)
    live = fields.String(required=True, allow_none=True, validate=validate.OneOf(LIVE))


class TableSheet(Schema):
    table = fields.String(required=True)
    rows = fields.List(fields.Nested(TableSheetRow), required=True, metadata={"description": "One per slot"})
    meetings = fields.Integer(required=True)


class TableSheets(Schema):
    session_id = fields.String(required=True)
    tables = fields.List(fields.Nested(TableSheet), required=True)


# -- MOUs ------------------------------------------------------------------------------------------------


class MouAmount(Schema):
    amount = fields.Integer(required=True)
    currency = fields.String(required=True, metadata={"example": "VND"})


class MouSignatory(Schema):
    """A party to an MOU: an organisation on file (named as registered), or one named by the registrar."""

    organisation_id = fields.String(required=True, allow_none=True)
    kind = fields.String(required=True)
    name = fields.Nested(MeetingPartyName, required=True, allow_none=True)
    province = fields.String(required=True, allow_none=True)
    country = fields.String(required=True)
    province_2025 = fields.String(
        required=True, allow_none=True, metadata={"description": "The province after the 2025 mergers"}
    )


class Mou(Schema):
    id = fields.String(required=True)
    edition_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(("mou", "agreement")))
    title = fields.Nested(B2bName, required=True)
    parties = fields.List(fields.Nested(MouSignatory), required=True)
    sector = fields.String(required=True)
    products = fields.List(fields.String(), required=True)
    value = fields.Nested(MouAmount, required=True, allow_none=True)
    signed_on = fields.String(required=True, metadata={"description": "YYYY-MM-DD"})
    signed_at_event = fields.String(required=True, allow_none=True)
    meeting_ids = fields.List(fields.String(), required=True)
    document_ref = fields.String(required=True, allow_none=True)
    registered_by = fields.String(
        required=True, allow_none=True, metadata={"description": "Who registered it (null in lists)"}
    )
    registered_at = local_time("When it was registered", required=True)
