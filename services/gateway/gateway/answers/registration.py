"""What the registration routes answer: series and editions, organisations, registrations and their claims,
lists, statistics, badges and check-ins (services/registration/registration/views.py shapes them).

Names are in Vietnamese and, optionally, English (``{vi, en}``, the body's :class:`gateway.schemas.Bilingual`);
a household business's name is ``null`` wherever its owner's name would be published.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from gateway import schemas as s
from gateway.answers import local_time, utc_time
from shared.pages import PageQuery

ROLES = validate.OneOf(s.ROLES)
KINDS = validate.OneOf(s.KINDS)
PARTICIPATION_STATUSES = ("submitted", "approved", "rejected", "waitlisted", "cancelled")
EDITION_STATUSES = ("draft", "open", "closed", "finished")
CLAIM_STATUSES = ("pending", "confirming", "confirmed", "declined", "expired")
REJECTION_REASONS = ("incomplete", "not_eligible", "out_of_scope", "duplicate", "other")


def _names(description: str, **kwargs) -> fields.Nested:
    return fields.Nested(s.Bilingual, metadata={"description": description}, **kwargs)


def _counts(description: str) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(), values=fields.Integer(), required=True, metadata={"description": description}
    )


# -- query strings -----------------------------------------------------------------------------------------


class EditionListQuery(PageQuery):
    series_id = fields.String(
        validate=validate.Length(max=100), metadata={"description": "Only the editions of this series."}
    )


class ParticipationListQuery(PageQuery):
    province = fields.String(
        metadata={
            "description": "A province slug of either registry (before or since 2025-07-01); an old one "
            "finds its 2025 successor's organisations too ('lam-dong' finds Đắk Nông)."
        }
    )
    role = fields.String(validate=ROLES)
    status = fields.String(validate=validate.OneOf(PARTICIPATION_STATUSES))
    ocop_stars = fields.Integer(
        validate=validate.Range(min=3, max=5),
        metadata={"description": "Organisations with a product of at least this many OCOP stars."},
    )
    sector = fields.String(metadata={"description": "One sector the organisation names (lower case)."})
    q = fields.String(
        validate=validate.Length(max=100),
        metadata={"description": "Diacritics-insensitive search in names: 'dak lak' finds 'Đắk Lắk'."},
    )


class DirectoryQuery(ParticipationListQuery):
    status = fields.String(
        validate=validate.OneOf(PARTICIPATION_STATUSES),
        metadata={"description": "Accepted and ignored: the directory lists approved registrations only."},
    )


class ClaimLinkQuery(Schema):
    token = fields.String(
        validate=validate.Length(max=100),
        metadata={
            "description": "The token of the link in the e-mail (or send a member's or organiser's bearer token)."
        },
    )


# -- series and editions -------------------------------------------------------------------------------------


class Series(Schema):
    id = fields.String(required=True, metadata={"description": "The series' key", "example": "thanh-hoa-ket-noi"})
    name = _names("The series' name", required=True)
    version = fields.Integer(required=True)
    created_at = local_time("When the series was created", required=True)
    updated_at = local_time("When it last changed")


class EditionProgrammeItem(Schema):
    key = fields.String(required=True, metadata={"example": "b2b-morning"})
    kind = fields.String(
        required=True,
        validate=validate.OneOf(("main_session", "exhibition", "b2b_session", "site_visit", "livestream")),
    )
    title = _names("What the programme calls it", required=True)
    starts_at = local_time("Starts", required=True)
    ends_at = local_time("Ends", required=True)
    location = fields.String()
    capacity = fields.Integer(allow_none=True, metadata={"description": "Seats, where limited"})


class RolePlaces(Schema):
    limit = fields.Integer(required=True, metadata={"description": "Places of the role"})
    taken = fields.Integer(required=True, metadata={"description": "Approved registrations holding one"})


class Edition(Schema):
    id = fields.String(required=True)
    series_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(EDITION_STATUSES))
    title = _names("The edition's title", required=True)
    host_province = fields.String(required=True, metadata={"example": "thanh-hoa"})
    partner_provinces = fields.List(fields.String(), required=True)
    venue = fields.Nested(s.Venue, required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    timezone = fields.String(required=True, metadata={"example": "Asia/Ho_Chi_Minh"})
    theme = _names("The edition's theme", allow_none=True)
    plan_reference = fields.String(
        metadata={"description": "The provincial plan it carries out", "example": "103/KH-UBND"}
    )
    registration_opens_at = local_time("Registration opens", required=True)
    registration_closes_at = local_time("Registration closes", required=True)
    capacity = fields.Dict(
        keys=fields.String(validate=ROLES),
        values=fields.Integer(),
        required=True,
        metadata={"description": "Places per role as the organisers set them; a role not named is unlimited"},
    )
    programme = fields.List(fields.Nested(EditionProgrammeItem), required=True, metadata={"description": "By start"})
    places = fields.Dict(
        keys=fields.String(validate=ROLES),
        values=fields.Nested(RolePlaces),
        metadata={"description": "Limited roles' places and how many are taken (not in lists)"},
    )
    version = fields.Integer(required=True, metadata={"description": 'Also the ETag ("v3"): send it as If-Match'})
    created_at = local_time("When the edition was created", required=True)
    updated_at = local_time("When it last changed")


# -- organisations ------------------------------------------------------------------------------------------


class OrganisationDelegate(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    position = fields.String(allow_none=True)
    email = fields.String(metadata={"description": "Only for the organisation itself, ops and its organisers"})
    phone = fields.String(metadata={"description": "E.164; only for the organisation itself, ops and its organisers"})
    preferred_language = fields.String(required=True, validate=s.LANG)
    interpreter_language = fields.String(allow_none=True)


class OrganisationProduct(Schema):
    id = fields.String(required=True)
    organisation_id = fields.String(required=True)
    name = _names("The product's name", required=True)
    category = fields.String(required=True, metadata={"example": "processed_food"})
    ocop = fields.Nested(s.Ocop, allow_none=True)
    certifications = fields.List(fields.String(), required=True)
    unit = fields.String()
    origin_province = fields.String(allow_none=True)
    photos = fields.List(fields.String(), required=True)
    created_at = local_time("When it was put on file", required=True)


class Organisation(Schema):
    """The whole record (its members, ops and its editions' organisers) or the public profile (anyone
    else: no delegates' contacts, no registration numbers, no household's name)."""

    id = fields.String(required=True)
    kind = fields.String(required=True, validate=KINDS)
    legal_name = _names("Null in a household business's public profile", required=True, allow_none=True)
    tax_code = fields.String(allow_none=True, metadata={"description": "Not in the public profile"})
    foreign = fields.Nested(
        s.ForeignRegistration, allow_none=True, metadata={"description": "Not in the public profile"}
    )
    country = fields.String(metadata={"description": "ISO 3166 alpha-2 (public profile only)", "example": "VN"})
    province = fields.String(allow_none=True)
    sectors = fields.List(fields.String(), required=True)
    website = fields.String(allow_none=True)
    delegates = fields.List(fields.Nested(OrganisationDelegate), metadata={"description": "Not in the public profile"})
    products = fields.List(fields.Nested(OrganisationProduct), metadata={"description": "Only from GET"})
    version = fields.Integer(required=True, metadata={"description": "Also the ETag: send it as If-Match"})
    created_at = local_time("When it was put on file")
    updated_at = local_time("When it last changed")


class AddedDelegate(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    position = fields.String()
    email = fields.String(required=True)
    phone = fields.String(required=True, metadata={"description": "E.164", "example": "+84912345678"})
    preferred_language = fields.String(required=True, validate=s.LANG)
    interpreter_language = fields.String(allow_none=True)


# -- registrations -------------------------------------------------------------------------------------------


class Wanted(Schema):
    booths = fields.Integer(required=True)
    b2b = fields.Boolean(required=True)
    site_visits = fields.List(fields.String(), required=True, metadata={"description": "Programme keys"})
    livestream = fields.Boolean(required=True)


class ParticipantSnapshot(Schema):
    """What lists filter on, copied from the organisation and kept current."""

    kind = fields.String(required=True, validate=KINDS)
    legal_name = _names("Null for a household business when a province reads it", required=True, allow_none=True)
    public_name = _names("The name the public sees; null for a household business", required=True, allow_none=True)
    province = fields.String(allow_none=True)
    province_2025 = fields.String(allow_none=True, metadata={"description": "The province since 2025-07-01"})
    country = fields.String(required=True)
    sectors = fields.List(fields.String(), required=True)
    ocop_max_stars = fields.Integer(allow_none=True)
    languages = fields.List(fields.String(), required=True, metadata={"description": "Delegates' languages"})
    interpreter_languages = fields.List(fields.String(), required=True)


class Participation(Schema):
    id = fields.String(required=True)
    edition_id = fields.String(required=True)
    organisation_id = fields.String(required=True)
    role = fields.String(required=True, validate=ROLES)
    status = fields.String(required=True, validate=validate.OneOf(PARTICIPATION_STATUSES))
    wants = fields.Nested(Wanted, required=True)
    org = fields.Nested(ParticipantSnapshot, required=True)
    form = fields.String(metadata={"description": "Fingerprint of the form that made it, when a form did"})
    reason = fields.String(allow_none=True, metadata={"description": "The organiser's words, when rejected"})
    reason_code = fields.String(validate=validate.OneOf(REJECTION_REASONS))
    submitted_at = local_time("Submitted", required=True)
    decided_at = local_time("Last decided")
    waitlisted_at = local_time("Put on the waitlist")
    version = fields.Integer(required=True, metadata={"description": "Also the ETag"})
    updated_at = local_time("When it last changed")


class Registered(Schema):
    participation = fields.Nested(Participation, required=True)
    organisation_id = fields.String(required=True)
    organisation_created = fields.Boolean(
        required=True, metadata={"description": "False when the form named an organisation on file"}
    )


class AwaitingConfirmation(Schema):
    status = fields.String(required=True, validate=validate.OneOf(("awaiting_confirmation",)))
    claim_id = fields.String(required=True)
    organisation_id = fields.String(required=True)
    expires_at = utc_time("The confirmation link's expiry", required=True)
    message = fields.String(required=True, metadata={"description": "What to tell the person who sent the form"})


class ClaimDelegate(Schema):
    name = fields.String(required=True)
    position = fields.String(allow_none=True)
    email = fields.String(required=True)


class ClaimProduct(Schema):
    name = _names("The product's name", required=True)
    category = fields.String(required=True)


class ClaimLinks(Schema):
    confirm = fields.String(required=True, metadata={"description": "POST here to confirm"})
    decline = fields.String(required=True, metadata={"description": "POST here to decline"})


class RegistrationClaim(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(CLAIM_STATUSES))
    edition_id = fields.String(required=True)
    edition_title = _names("The edition's title", required=True)
    organisation_id = fields.String(required=True)
    organisation_name = _names("The organisation's legal name", required=True)
    role = fields.String(required=True, validate=ROLES)
    wants = fields.Nested(Wanted, required=True)
    delegates = fields.List(fields.Nested(ClaimDelegate), required=True, metadata={"description": "Whom it adds"})
    products = fields.List(fields.Nested(ClaimProduct), required=True)
    created_at = local_time("When the form was sent", required=True)
    expires_at = utc_time("The link's expiry", required=True)
    participation_id = fields.String(required=True, allow_none=True, metadata={"description": "Once confirmed"})
    decided_at = local_time("Confirmed or declined", required=True, allow_none=True)
    links = fields.Nested(ClaimLinks, metadata={"description": "Only from GET (with the token it was read with)"})


class ClaimConfirmed(Schema):
    status = fields.String(required=True, validate=validate.OneOf(("confirmed",)))
    claim_id = fields.String(required=True)
    organisation_id = fields.String(required=True)
    participation = fields.Nested(Participation, required=True)


class DecisionOutcome(Schema):
    id = fields.String(required=True, metadata={"description": "The participation"})
    ok = fields.Boolean(required=True)
    status = fields.String(validate=validate.OneOf(PARTICIPATION_STATUSES), metadata={"description": "When ok"})
    code = fields.String(metadata={"description": "Problem code when not ok (illegal_transition, …)"})
    detail = fields.String(metadata={"description": "When not ok"})


class BulkDecision(Schema):
    results = fields.List(fields.Nested(DecisionOutcome), required=True, metadata={"description": "In the given order"})
    succeeded = fields.Integer(required=True)
    failed = fields.Integer(required=True)


class DirectoryEntry(Schema):
    participation_id = fields.String(required=True)
    organisation_id = fields.String(required=True)
    name = _names("Null for a household business", required=True, allow_none=True)
    kind = fields.String(required=True, validate=KINDS)
    province = fields.String(allow_none=True)
    province_2025 = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    sectors = fields.List(fields.String(), required=True)
    ocop_max_stars = fields.Integer(allow_none=True)
    role = fields.String(required=True, validate=ROLES)


class EditionStats(Schema):
    edition_id = fields.String(required=True)
    for_province = fields.String(
        required=True, allow_none=True, metadata={"description": "A province's own counts; null for organisers"}
    )
    province = _counts("Registrations by province (as registered; 'none' for foreign buyers)")
    province_2025 = _counts("Registrations by province since 2025-07-01")
    role = _counts("Registrations by role")
    status = _counts("Registrations by status")
    places = fields.Dict(keys=fields.String(validate=ROLES), values=fields.Nested(RolePlaces), required=True)
    checked_in = fields.Integer(required=True, metadata={"description": "Delegates scanned at a gate"})


# -- badges and check-in -----------------------------------------------------------------------------------


class Badge(Schema):
    token = fields.String(
        required=True,
        metadata={"description": "The QR code's payload: send it as `token` to POST /v1/checkins"},
    )
    edition_id = fields.String(required=True)
    participation_id = fields.String(required=True)
    delegate_id = fields.String(required=True)


class CheckIn(Schema):
    id = fields.String(required=True)
    edition_id = fields.String(required=True)
    participation_id = fields.String(required=True)
    delegate_id = fields.String(required=True)
    gate = fields.String(required=True, metadata={"description": "The gate of the first scan"})
    at = local_time("The first scan", required=True)
    first_scan = fields.Boolean(required=True, metadata={"description": "False when scanned before (answer 200)"})
