"""Marshmallow schemas at the registration service's RPC edge.

They check shape and every rule that needs no stored state (tax code check
digit, phone numbers, languages, dates in order), and report every broken
field at once: rules that can fail are validators, never ``post_load``
(which runs only once every field of its schema is valid, so its error came a
submission later), and schema-level rules run beside the fields' own errors,
silent about a field that is itself wrong (:func:`shared.validation.failed`).
Rules that depend on a stored edition (its date decides which provinces
exist, its programme which site visits) run in the service, all together.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from marshmallow import Schema, ValidationError, fields, post_load, validate, validates, validates_schema

from registration.domain import reference as ref
from registration.domain.phone import InvalidPhone, normalise_phone
from registration.domain.taxcode import InvalidTaxCode, parse_tax_code, personal_id_allowed
from registration.domain.workflow import EDITION_STATUSES, PARTICIPATION_STATUSES
from shared.pages import PageQuery
from shared.validation import (
    current_province,
    failed,
    known_province,
    problem,
    problems,
    province_problem,
    public_name,
)

SLUG = validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", error="Use lower-case letters, digits and hyphens.")
LANGUAGES = ("vi", "en")
ORGANISATION_KINDS = tuple(kind.code for kind in ref.ORGANISATION_KINDS)
ROLES = tuple(ref.ROLES)
OCOP_STARS = validate.Range(min=ref.OCOP_STARS[0], max=ref.OCOP_STARS[1])
PROGRAMME_KINDS = ("main_session", "exhibition", "b2b_session", "site_visit", "livestream")
CERTIFICATIONS = ("vietgap", "globalgap", "organic", "haccp", "iso22000", "iso9001", "halal", "fsc", "brc", "other")
DECISIONS = ("approve", "reject", "waitlist", "cancel")
# why a registration is rejected, as provinces see it (the organiser's own words go only to the applicant)
REJECTION_REASONS = ("incomplete", "not_eligible", "out_of_scope", "duplicate", "other")


def _text(max_len: int = 300, required: bool = True, public: bool = False) -> fields.String:
    """``public``: the text is published to every province, so it may not carry contact details."""
    rules = [validate.Length(min=1, max=max_len)] + ([public_name] if public else [])
    return fields.String(required=required, validate=rules)


class Bilingual(Schema):
    """A name in Vietnamese and (optionally) English, as provinces see it."""

    vi = _text(public=True)
    en = _text(required=False, public=True)


class Venue(Schema):
    name = _text(public=True)
    address = _text(500, required=False, public=True)


class SeriesIn(Schema):
    key = fields.String(required=True, validate=[validate.Length(max=80), SLUG])
    name = fields.Nested(Bilingual, required=True)


class ProgrammeItem(Schema):
    key = fields.String(required=True, validate=[validate.Length(max=60), SLUG])
    kind = fields.String(required=True, validate=validate.OneOf(PROGRAMME_KINDS))
    title = fields.Nested(Bilingual, required=True)
    starts_at = fields.AwareDateTime(required=True)
    ends_at = fields.AwareDateTime(required=True)
    location = _text(required=False)
    capacity = fields.Integer(strict=True, validate=validate.Range(min=1, max=100_000), allow_none=True)

    @validates_schema(skip_on_field_errors=False)
    def _in_order(self, data: dict, **_: object) -> None:
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            raise problem("ends_before_start", "Must end after it starts.", field="ends_at")


class EditionBody(Schema):
    """Fields an organiser sets on an edition (all optional when patching)."""

    title = fields.Nested(Bilingual, required=True)
    host_province = fields.String(required=True, validate=known_province)
    partner_provinces = fields.List(fields.String(validate=known_province), load_default=list)
    venue = fields.Nested(Venue, required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    timezone = fields.String(load_default="Asia/Ho_Chi_Minh")
    theme = fields.Nested(Bilingual, allow_none=True)
    plan_reference = _text(120, required=False)
    registration_opens_at = fields.AwareDateTime(required=True)
    registration_closes_at = fields.AwareDateTime(required=True)
    capacity = fields.Dict(
        keys=fields.String(validate=validate.OneOf(ROLES)),
        values=fields.Integer(strict=True, validate=validate.Range(min=0, max=1_000_000)),
        load_default=dict,
    )
    programme = fields.List(fields.Nested(ProgrammeItem), load_default=list)

    @validates("timezone")
    def _zone(self, value: str, **_: object) -> None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise problem("unknown_timezone", "Unknown time zone.") from None

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _dates(self, data: dict, original: object, **_: object) -> None:
        """Every rule that is broken, each on its field; a wrong date is absent from ``data``, so no rule reads it."""
        found = []
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            found.append(
                problem("ends_before_start", "The edition must end on or after its first day.", field="ends_on")
            )
        opens, closes = data.get("registration_opens_at"), data.get("registration_closes_at")
        if opens and closes and closes <= opens:
            found.append(
                problem("ends_before_start", "Registration must close after it opens.", field="registration_closes_at")
            )
        keys = [item["key"] for item in data.get("programme") or [] if "key" in item]
        if len(keys) != len(set(keys)):  # keys that are valid and alike are alike whatever else is wrong
            found.append(problem("duplicate_key", "Programme item keys must be unique.", field="programme"))
        problems(found + self._provinces(data, original))

    @staticmethod
    def _provinces(data: dict, original: object) -> list[ValidationError]:
        """The provinces must exist on the edition's first day (the body says which day: no stored state).

        Only names of either list are read here (others have their own error); partners from the body as
        sent, for a wrong one is left out of ``data`` and the positions after it would shift.
        """
        first_day = data.get("starts_on")
        if first_day is None:
            return []  # wrong, or not sent in a patch: the merged edition is checked again
        named = [("host_province", data.get("host_province"))]
        partners = original.get("partner_provinces") if isinstance(original, Mapping) else None
        if isinstance(partners, list):
            named += [
                (f"partner_provinces.{i}", p)
                for i, p in enumerate(partners)
                if isinstance(p, str) and province_problem(p, None) is None
            ]
        return [
            ValidationError(found, field_name=field)
            for field, slug in named
            if slug is not None
            for found in [province_problem(slug, first_day)]
            if found
        ]


class EditionIn(EditionBody):
    series_id = fields.String(required=True)


class StatusChange(Schema):
    status = fields.String(required=True, validate=validate.OneOf(EDITION_STATUSES))


class ForeignRegistration(Schema):
    country = fields.String(required=True)
    registration_no = fields.String(required=True, validate=validate.Length(min=2, max=60))

    @validates("country")
    def _country(self, value: str, **_: object) -> None:
        if value.upper() not in phonenumbers.SUPPORTED_REGIONS or value.upper() == "VN":
            raise problem("unknown_country", "Use an ISO 3166 alpha-2 country code other than VN.")

    @post_load
    def _upper(self, data: dict, **_: object) -> dict:
        return {**data, "country": data["country"].upper()}


class DelegateIn(Schema):
    name = _text(120)
    position = _text(120, required=False)
    email = fields.Email(required=True)
    phone = fields.String(required=True)
    preferred_language = fields.String(load_default="vi", validate=validate.OneOf(LANGUAGES))
    interpreter_language = fields.String(allow_none=True, validate=validate.Regexp(r"^[a-z]{2}$"))

    @validates("phone")
    def _phone(self, value: str, **_: object) -> None:
        try:
            normalise_phone(value)
        except InvalidPhone:
            raise problem("invalid_phone", "Not a valid phone number.") from None

    @post_load
    def _normalise(self, data: dict, **_: object) -> dict:
        """Only reshapes what the validators passed (it runs once every field is valid, and never refuses)."""
        return {**data, "phone": normalise_phone(data["phone"]), "email": data["email"].strip().lower()}


_IDENTITY_MISSING = {
    "foreign": "A foreign buyer needs its country and registration number.",
    "tax_code": "A Vietnamese organisation needs its tax code.",
    "province": "A Vietnamese organisation needs its province.",
}


class OrganisationIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(ORGANISATION_KINDS))
    legal_name = fields.Nested(Bilingual, required=True)
    tax_code = fields.String(allow_none=True)
    foreign = fields.Nested(ForeignRegistration, allow_none=True)
    province = fields.String(
        allow_none=True,
        validate=known_province,
        metadata={"description": "checked against the edition's first day once it is read"},
    )
    sectors = fields.List(
        fields.String(validate=validate.Length(min=ref.SECTOR_LENGTH[0], max=ref.SECTOR_LENGTH[1])),
        load_default=list,
        validate=validate.Length(max=ref.SECTORS_MAX),
    )
    website = fields.URL(allow_none=True)
    delegates = fields.List(fields.Nested(DelegateIn), load_default=list, validate=validate.Length(max=50))

    @validates("tax_code")
    def _tax_code(self, value: str | None, **_: object) -> None:
        if value is None:
            return
        try:
            code = parse_tax_code(value)
        except InvalidTaxCode as exc:
            raise problem(f"tax_code_{exc.reason}", "Not a valid Vietnamese tax code.", reason=exc.reason) from None
        if code.kind == "personal" and not personal_id_allowed(date.today()):
            raise problem("tax_code_personal_not_yet", "Personal numbers serve as tax codes from 2025-07-01.")

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _identity(self, data: dict, original: object, partial: bool | tuple = False, **_: object) -> None:
        """Every identity field the kind needs and the form left empty; one sent but wrong has its own error."""
        if partial or data.get("kind") not in ref.KIND_BY_CODE:
            return  # a patch never changes identity (kind, tax code, registration); a bad kind: its own error
        problems(
            problem("required", _IDENTITY_MISSING[field], field=field)
            for field in ref.KIND_BY_CODE[data["kind"]].requires
            if not data.get(field) and not failed(self, data, original, field)
        )

    @post_load
    def _normalise(self, data: dict, **_: object) -> dict:
        if data.get("tax_code"):
            data["tax_code"] = parse_tax_code(data["tax_code"]).value
        data["sectors"] = sorted({s.strip().lower() for s in data.get("sectors", [])})
        return data


class OrganisationOnFile(OrganisationIn):
    """An organisation put on file outside any edition: its province is one of today's."""

    province = fields.String(allow_none=True, validate=current_province)


class OrganisationPatch(OrganisationOnFile):
    """Everything but identity (kind, tax code, foreign registration) may change."""

    class Meta:
        exclude = ("kind", "tax_code", "foreign", "delegates")


class Ocop(Schema):
    stars = fields.Integer(strict=True, required=True, validate=OCOP_STARS)
    certificate_no = _text(ref.OCOP_CERTIFICATE_MAX)
    year = fields.Integer(
        strict=True, required=True, validate=validate.Range(min=ref.OCOP_YEARS[0], max=ref.OCOP_YEARS[1])
    )


class ProductIn(Schema):
    name = fields.Nested(Bilingual, required=True)
    category = _text(60)
    ocop = fields.Nested(Ocop, allow_none=True)
    certifications = fields.List(fields.String(validate=validate.OneOf(CERTIFICATIONS)), load_default=list)
    unit = _text(30, required=False)
    origin_province = fields.String(
        allow_none=True,
        validate=known_province,
        metadata={"description": "checked against the edition's first day once it is read"},
    )
    photos = fields.List(fields.URL(), load_default=list, validate=validate.Length(max=10))


class ProductOnFile(ProductIn):
    """A product added to an organisation on file, outside any edition: its province is one of today's."""

    origin_province = fields.String(allow_none=True, validate=current_province)


class Wants(Schema):
    booths = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=20))
    b2b = fields.Boolean(load_default=False)
    site_visits = fields.List(fields.String(), load_default=list)
    livestream = fields.Boolean(load_default=False)


def _no_wants() -> dict:
    """What an applicant wants when the form says nothing: a place and nothing more."""
    return {"booths": 0, "b2b": False, "site_visits": [], "livestream": False}


class RegistrationIn(Schema):
    """The one form an enterprise, cooperative or buyer fills in for an edition."""

    organisation = fields.Nested(OrganisationIn, required=True)
    products = fields.List(fields.Nested(ProductIn), load_default=list, validate=validate.Length(max=200))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    wants = fields.Nested(Wants, load_default=_no_wants)


class ParticipationIn(Schema):
    """An organisation already on file applies for an edition."""

    organisation_id = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    wants = fields.Nested(Wants, load_default=_no_wants)


class DecisionIn(Schema):
    action = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    reason = fields.String(
        validate=validate.Length(max=1000),
        allow_none=True,
        metadata={"description": "The organiser's words to the applicant (never published)"},
    )
    reason_code = fields.String(
        validate=validate.OneOf(REJECTION_REASONS),
        load_default="other",
        metadata={"description": "What provinces are told about a rejection"},
    )

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _reason(self, data: dict, original: object, **_: object) -> None:
        if (
            data.get("action") == "reject"
            and not (data.get("reason") or "").strip()
            and not failed(self, data, original, "reason")
        ):
            raise problem("reason_required", "Say why the registration is rejected.", field="reason")


class BulkDecisionIn(DecisionIn):
    participation_ids = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=500))


class ClaimDecisionIn(Schema):
    """Confirming or declining a registration made in an organisation's name: the link's token, unless the
    caller is signed in as the organisation (or an organiser of the edition)."""

    token = fields.String(validate=validate.Length(max=100), load_default=None, allow_none=True)


class CheckInIn(Schema):
    token = fields.String(required=True, validate=validate.Length(max=500))
    gate = _text(40)


class EditionQuery(PageQuery):
    series_id = fields.String(validate=validate.Length(max=100))


class ParticipationQuery(PageQuery):
    province = fields.String(
        validate=known_province, metadata={"description": "a province of either registry; old ones roll up"}
    )
    role = fields.String(validate=validate.OneOf(ROLES))
    status = fields.String(validate=validate.OneOf(PARTICIPATION_STATUSES))
    ocop_stars = fields.Integer(validate=OCOP_STARS)
    sector = fields.String()
    q = fields.String(validate=validate.Length(max=100))


class ProvincesOn(Schema):
    """The day a list of provinces is asked for (``YYYY-MM-DD``)."""

    on = fields.Date(required=True)
