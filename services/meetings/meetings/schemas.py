"""Marshmallow schemas at the meetings service's RPC edge.

Schema-level rules run beside the fields' own errors and name every broken
field at once, silent about a field that is itself wrong (see
:mod:`shared.validation`).
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate, validates_schema

from meetings.domain.model import FAIRNESS
from meetings.planning import GRID_MINUTES
from shared.pages import PageQuery
from shared.validation import failed, items_as_sent, known_province, problem, problems, public_name

LANGUAGE = validate.Regexp(r"^[a-z]{2}$")
COUNTRY = validate.Regexp(r"^[A-Z]{2}$")
CLOCK = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$")
MODES = ("pick", "optimise")
STAGES = ("preliminary", "final")
LIVE = ("checked_in", "in_progress", "done", "no_show")
RESULTS = ("none", "follow_up", "quotation", "sample_order", "contract", "mou")
MOU_KINDS = ("mou", "agreement")
PARTY_KINDS = ("alliance", "agency", "organisation")
MEETING_STATUSES = ("requested", "accepted", "declined", "expired", "cancelled")


def _words(max_items: int = 30) -> fields.List:
    return fields.List(
        fields.String(validate=validate.Length(min=1, max=60)),
        load_default=list,
        validate=validate.Length(max=max_items),
    )


class Bilingual(Schema):
    """Session names and MOU titles: published to every province, so no contact details."""

    vi = fields.String(required=True, validate=[validate.Length(min=1, max=300), public_name])
    en = fields.String(validate=[validate.Length(min=1, max=300), public_name])


class ProfileIn(Schema):
    """What a participant offers and seeks; anything left out falls back to its registration."""

    offers = _words()
    seeks = _words()
    volumes = fields.String(allow_none=True, validate=validate.Length(max=300))
    markets = fields.List(fields.String(validate=COUNTRY), load_default=list, validate=validate.Length(max=50))
    certifications_held = _words()
    certifications_required = _words()
    languages = fields.List(fields.String(validate=LANGUAGE), load_default=list, validate=validate.Length(max=10))
    priority = fields.Integer(
        strict=True, validate=validate.Range(min=0, max=10), metadata={"description": "Buyer priority; organisers only"}
    )


class ObjectivesIn(Schema):
    """What the optimiser aims for after placing the most meetings (see :class:`meetings.domain.model.Objectives`)."""

    fairness = fields.String(load_default="buyer", validate=validate.OneOf(FAIRNESS))
    keep_tables = fields.Boolean(load_default=True)
    compact = fields.Boolean(load_default=True)


class InterpreterIn(Schema):
    """One named interpreter of a session: personal data (the name), kept out of public events."""

    id = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,40}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    languages = fields.List(fields.String(validate=LANGUAGE), required=True, validate=validate.Length(min=1, max=8))
    away = fields.List(fields.String(validate=validate.Regexp(r"^S\d{2}$")), load_default=list)


class SessionIn(Schema):
    name = fields.Nested(Bilingual, required=True)
    date = fields.Date(required=True)
    starts_at = fields.String(required=True, validate=CLOCK)
    slot_minutes = fields.Integer(strict=True, load_default=20, validate=validate.Range(min=5, max=120))
    slots = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=96))
    tables = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=500))
    breaks = fields.List(fields.String(validate=CLOCK), load_default=list)
    mode = fields.String(load_default="optimise", validate=validate.OneOf(MODES))
    auto_accept = fields.Boolean(load_default=False)
    request_ttl_hours = fields.Integer(strict=True, load_default=48, validate=validate.Range(min=1, max=24 * 30))
    max_meetings = fields.Integer(strict=True, load_default=12, validate=validate.Range(min=1, max=96))
    interpreters = fields.Dict(
        keys=fields.String(validate=LANGUAGE),
        values=fields.Integer(strict=True, validate=validate.Range(min=0, max=100)),
        load_default=dict,
    )
    interpreter_people = fields.List(fields.Nested(InterpreterIn), load_default=list, validate=validate.Length(max=200))
    objectives = fields.Nested(ObjectivesIn, load_default=lambda: ObjectivesIn().load({}))

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _interpreters_are_distinct(self, data: dict, original: object, **_: object) -> None:
        """Ids are hold keys (one person, one meeting a slot); more than 8 languages would make the optimiser's
        language groups (:mod:`meetings.domain.interpreters`) too many.  Each rule reads the valid fields of
        each person only, at the person's place in the body; slots away against a valid number of slots."""
        person_schema = self.fields["interpreter_people"].inner.schema
        people = items_as_sent(self, original, "interpreter_people")
        found, seen = [], set()
        for i, _, person in people:
            if "id" in person and person["id"] in seen:
                found.append(
                    problem(
                        "duplicate_interpreter",
                        f"Interpreter id {person['id']} is given twice.",
                        field=f"interpreter_people.{i}.id",
                    )
                )
            seen.add(person.get("id"))
        if "slots" in data:
            found += [
                problem("not_found", f"No slot {slot}.", field=f"interpreter_people.{i}.away.{j}")
                for i, sent, person in people
                if not failed(person_schema, person, sent, "away")
                for j, slot in enumerate(person.get("away") or [])
                if not 1 <= int(slot[1:]) <= data["slots"]
            ]
        languages = {
            language
            for _, sent, person in people
            if not failed(person_schema, person, sent, "languages")
            for language in person.get("languages") or []
        }
        if len(languages) > 8:
            found.append(
                problem("out_of_range", "At most 8 interpreter languages in a session.", field="interpreter_people")
            )
        problems(found)

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _breaks_leave_room(self, data: dict, original: object, **_: object) -> None:
        if failed(self, data, original, "breaks"):
            return
        if len(set(data.get("breaks") or [])) >= data.get("slots", 0) > 0:
            raise problem("out_of_range", "Breaks may not take every slot.", field="breaks")

    @validates_schema(skip_on_field_errors=False)
    def _on_the_grid(self, data: dict, **_: object) -> None:
        """Sessions of one edition may overlap; a shared five-minute grid is how one person's time is
        compared across them (see :func:`meetings.planning.busy_steps`).  A wrong time is absent from ``data``."""
        found = []
        if int(data.get("starts_at", "00:00")[3:]) % GRID_MINUTES:
            found.append(
                problem(
                    "off_grid", f"Sessions start on a {GRID_MINUTES}-minute mark (09:00, 09:05…).", field="starts_at"
                )
            )
        if data.get("slot_minutes", GRID_MINUTES) % GRID_MINUTES:
            found.append(problem("off_grid", f"Slots last a multiple of {GRID_MINUTES} minutes.", field="slot_minutes"))
        problems(found)


class MeetingQuery(PageQuery):
    participation_id = fields.String(
        validate=validate.Length(max=100),
        metadata={"description": "A participant's own meetings (organisers see every meeting without it)"},
    )
    status = fields.String(validate=validate.OneOf(MEETING_STATUSES))


class AvailabilityIn(Schema):
    away = fields.List(fields.String(validate=validate.Regexp(r"^S\d{2}$")), required=True)
    reason = fields.String(allow_none=True, validate=validate.Length(max=200))


class SupplierTablesIn(Schema):
    """Suppliers with a table of their own for the whole session (samples, a banner): replaces the last list."""

    tables = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=64)),
        values=fields.String(validate=validate.Regexp(r"^T\d{2,3}$")),
        required=True,
        validate=validate.Length(max=500),
    )


AWAY_KINDS = ("booth_duty", "site_visit", "other")


class PeriodIn(Schema):
    """A time a participant is away from the B2B hall, in the edition's clock (with its offset)."""

    kind = fields.String(required=True, validate=validate.OneOf(AWAY_KINDS))
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)

    @validates_schema(skip_on_field_errors=False)
    def _ends_after_start(self, data: dict, **_: object) -> None:
        if "starts_at" in data and "ends_at" in data and data["ends_at"] <= data["starts_at"]:
            raise problem("out_of_range", "A period ends after it starts.", field="ends_at")


class TimeAwayIn(Schema):
    """Every period a participant is away during the edition (booth duty, a visit of its own): it replaces
    what was said before, and every B2B session of the edition keeps the participant out of overlapping slots."""

    periods = fields.List(fields.Nested(PeriodIn), required=True, validate=validate.Length(max=50))


class RequestIn(Schema):
    from_participation = fields.String(required=True, data_key="from")
    to_participation = fields.String(required=True, data_key="to")
    note = fields.String(allow_none=True, validate=validate.Length(max=1000))
    slot = fields.String(allow_none=True, validate=validate.Regexp(r"^S\d{2}$"))


class BrokerIn(Schema):
    supplier = fields.String(required=True)
    buyer = fields.String(required=True)
    note = fields.String(allow_none=True, validate=validate.Length(max=1000))
    slot = fields.String(allow_none=True, validate=validate.Regexp(r"^S\d{2}$"))
    table = fields.String(allow_none=True)


class AcceptIn(Schema):
    slot = fields.String(allow_none=True, validate=validate.Regexp(r"^S\d{2}$"))
    table = fields.String(allow_none=True)


class ReasonIn(Schema):
    reason = fields.String(allow_none=True, validate=validate.Length(max=500))


class LockIn(Schema):
    slot = fields.String(required=True, validate=validate.Regexp(r"^S\d{2}$"))
    table = fields.String(allow_none=True)


class ScheduleIn(Schema):
    full = fields.Boolean(load_default=False, metadata={"description": "Recompute from scratch (locks kept)"})
    rebook_no_shows = fields.Boolean(load_default=False)
    now = fields.String(
        allow_none=True,
        validate=validate.Regexp(r"^S\d{2}$"),
        metadata={"description": "Last slot that has started: nothing moves into or before it"},
    )


class AgendaIn(Schema):
    stage = fields.String(required=True, validate=validate.OneOf(STAGES))


class Outcome(Schema):
    result = fields.String(required=True, validate=validate.OneOf(RESULTS))
    notes = fields.String(allow_none=True, validate=validate.Length(max=2000))


class LiveIn(Schema):
    status = fields.String(required=True, validate=validate.OneOf(LIVE))
    outcome = fields.Nested(Outcome, allow_none=True)

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _outcome_when_done(self, data: dict, original: object, **_: object) -> None:
        if failed(self, data, original, "outcome"):
            return
        if data.get("outcome") and "status" in data and data["status"] != "done":  # a wrong status is left out
            raise problem("invalid", "An outcome is recorded when the meeting is done.", field="outcome")


class Money(Schema):
    amount = fields.Integer(strict=True, required=True, validate=validate.Range(min=0, max=10**16))
    currency = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{3}$"))


class PartyIn(Schema):
    """An organisation on file, or an alliance or agency named here (e.g. a provincial cooperative alliance)."""

    organisation_id = fields.String(allow_none=True)
    name = fields.Nested(Bilingual, allow_none=True)
    kind = fields.String(load_default="organisation", validate=validate.OneOf(PARTY_KINDS))
    province = fields.String(allow_none=True, validate=known_province)
    country = fields.String(load_default="VN", validate=COUNTRY)

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _one_identity(self, data: dict, original: object, **_: object) -> None:
        if failed(self, data, original, "organisation_id", "name"):
            return
        if bool(data.get("organisation_id")) == bool(data.get("name")):
            raise problem("invalid", "Give either organisation_id or a name.", field="organisation_id")


class MouIn(Schema):
    title = fields.Nested(Bilingual, required=True)
    kind = fields.String(load_default="mou", validate=validate.OneOf(MOU_KINDS))
    parties = fields.List(fields.Nested(PartyIn), required=True, validate=validate.Length(min=2, max=20))
    sector = fields.String(required=True, validate=[validate.Length(min=1, max=60), public_name])
    products = fields.List(
        fields.String(validate=[validate.Length(min=1, max=60), public_name]),
        load_default=list,
        validate=validate.Length(max=50),
    )
    value = fields.Nested(Money, allow_none=True)
    signed_on = fields.Date(required=True)
    signed_at_event = fields.String(allow_none=True, validate=validate.Length(max=200))
    meeting_ids = fields.List(fields.String(), load_default=list, validate=validate.Length(max=50))
    document_ref = fields.String(allow_none=True, validate=[validate.Length(max=100), public_name])
