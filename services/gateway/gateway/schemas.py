"""Marshmallow schemas of the public HTTP API: the shape clients send and get.

They validate structure at the edge (types, required fields, sizes) so that
malformed requests never cost an RPC, and they generate the OpenAPI
document.  Rules that need the domain (tax code check digits, provinces as
of an edition's date, capacity) are checked by the owning service, which
answers with the same field-level problem format.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

ROLES = ("exhibitor", "buyer", "visitor", "partner_agency")
KINDS = ("enterprise", "cooperative", "household_business", "association", "agency", "foreign_buyer")
LANG = validate.OneOf(("vi", "en"))


class Bilingual(Schema):
    vi = fields.String(required=True, metadata={"example": "Hội nghị kết nối cung cầu"})
    en = fields.String()


class Venue(Schema):
    name = fields.String(required=True)
    address = fields.String()


class SeriesBody(Schema):
    key = fields.String(required=True, metadata={"example": "thanh-hoa-ket-noi"})
    name = fields.Nested(Bilingual, required=True)


class ProgrammeItem(Schema):
    key = fields.String(required=True, metadata={"example": "b2b-morning"})
    kind = fields.String(required=True, validate=validate.OneOf(
        ("main_session", "exhibition", "b2b_session", "site_visit", "livestream")))
    title = fields.Nested(Bilingual, required=True)
    starts_at = fields.AwareDateTime(required=True, metadata={"example": "2024-08-16T08:00:00+07:00"})
    ends_at = fields.AwareDateTime(required=True)
    location = fields.String()
    capacity = fields.Integer(allow_none=True)


class EditionPatch(Schema):
    """Every field optional: send only what changes (with ``If-Match``)."""

    title = fields.Nested(Bilingual)
    host_province = fields.String(metadata={"example": "thanh-hoa"})
    partner_provinces = fields.List(fields.String())
    venue = fields.Nested(Venue)
    starts_on = fields.Date(metadata={"example": "2024-08-16"})
    ends_on = fields.Date()
    timezone = fields.String(metadata={"example": "Asia/Ho_Chi_Minh"})
    theme = fields.Nested(Bilingual, allow_none=True)
    plan_reference = fields.String(metadata={"example": "103/KH-UBND"})
    registration_opens_at = fields.AwareDateTime()
    registration_closes_at = fields.AwareDateTime()
    capacity = fields.Dict(keys=fields.String(validate=validate.OneOf(ROLES)), values=fields.Integer())
    programme = fields.List(fields.Nested(ProgrammeItem))


class EditionBody(EditionPatch):
    series_id = fields.String(required=True)
    title = fields.Nested(Bilingual, required=True)
    host_province = fields.String(required=True)
    venue = fields.Nested(Venue, required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    registration_opens_at = fields.AwareDateTime(required=True)
    registration_closes_at = fields.AwareDateTime(required=True)


class StatusBody(Schema):
    status = fields.String(required=True, validate=validate.OneOf(("draft", "open", "closed", "finished")))


class Delegate(Schema):
    name = fields.String(required=True)
    position = fields.String()
    email = fields.String(required=True, metadata={"example": "lan.nguyen@example.vn"})
    phone = fields.String(required=True, metadata={"example": "0912 345 678"})
    preferred_language = fields.String(validate=LANG)
    interpreter_language = fields.String(allow_none=True)


class ForeignRegistration(Schema):
    country = fields.String(required=True, metadata={"example": "JP"})
    registration_no = fields.String(required=True)


class OrganisationBody(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    legal_name = fields.Nested(Bilingual, required=True)
    tax_code = fields.String(allow_none=True, metadata={"example": "0101248141"})
    foreign = fields.Nested(ForeignRegistration, allow_none=True)
    province = fields.String(allow_none=True, metadata={"example": "thanh-hoa"})
    sectors = fields.List(fields.String())
    website = fields.String(allow_none=True)
    delegates = fields.List(fields.Nested(Delegate))


class OrganisationPatch(Schema):
    legal_name = fields.Nested(Bilingual)
    province = fields.String(allow_none=True)
    sectors = fields.List(fields.String())
    website = fields.String(allow_none=True)


class Ocop(Schema):
    stars = fields.Integer(required=True, validate=validate.Range(min=3, max=5))
    certificate_no = fields.String(required=True)
    year = fields.Integer(required=True)


class Product(Schema):
    name = fields.Nested(Bilingual, required=True)
    category = fields.String(required=True, metadata={"example": "processed_food"})
    ocop = fields.Nested(Ocop, allow_none=True)
    certifications = fields.List(fields.String())
    unit = fields.String()
    origin_province = fields.String(allow_none=True)
    photos = fields.List(fields.String())


class Wants(Schema):
    booths = fields.Integer()
    b2b = fields.Boolean()
    site_visits = fields.List(fields.String())
    livestream = fields.Boolean()


class RegistrationBody(Schema):
    organisation = fields.Nested(OrganisationBody, required=True)
    products = fields.List(fields.Nested(Product))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    wants = fields.Nested(Wants)


class ApplicationBody(Schema):
    organisation_id = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    wants = fields.Nested(Wants)


class DecisionBody(Schema):
    action = fields.String(required=True, validate=validate.OneOf(("approve", "reject", "waitlist", "cancel")))
    reason = fields.String(allow_none=True)


class BulkDecisionBody(DecisionBody):
    participation_ids = fields.List(fields.String(), required=True)


class CheckInBody(Schema):
    token = fields.String(required=True)
    gate = fields.String(required=True, metadata={"example": "gate-a"})


class DevTokenBody(Schema):
    role = fields.String(required=True, validate=validate.OneOf(("organiser", "member", "province", "ops")))
    series = fields.String(allow_none=True)
    organisation = fields.String(allow_none=True)
    province = fields.String(allow_none=True)
    subject = fields.String(allow_none=True)


class ParticipationQuery(Schema):
    province = fields.String()
    role = fields.String(validate=validate.OneOf(ROLES))
    status = fields.String(validate=validate.OneOf(("submitted", "approved", "rejected", "waitlisted", "cancelled")))
    ocop_stars = fields.Integer()
    sector = fields.String()
    q = fields.String(metadata={"description": "Diacritics-insensitive search: 'dak lak' finds 'Đắk Lắk'."})
    cursor = fields.String()
    limit = fields.Integer()


class Problem(Schema):
    """RFC 9457 problem details, with field-level errors."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String()
    code = fields.String()
    request_id = fields.String()
    errors = fields.List(fields.Dict())


class QuotaGroup(Schema):
    name = fields.String(required=True, metadata={"example": "host"})
    booths = fields.Integer(required=True, metadata={"example": 36})
    provinces = fields.List(fields.String(), allow_none=True,
                            metadata={"description": "null: every province no other group lists"})
    province_cap = fields.Integer(allow_none=True)
    province_caps = fields.Dict(keys=fields.String(), values=fields.Integer())


class BoothRulesBody(Schema):
    groups = fields.List(fields.Nested(QuotaGroup), required=True)
    organisation_max = fields.Integer(allow_none=True)
    priorities = fields.Dict(metadata={"description": "base, per_ocop_star, cooperative, returning, earliness"})
    offer_hours = fields.Integer(metadata={"example": 48})
    livestream = fields.Dict(metadata={"description": "slot_minutes, per_organisation, opens, closes"})


class FloorPlanBody(Schema):
    csv = fields.String(required=True, metadata={"description": "record,code,name,hall,zone,size,kind,features,"
                                                                "price_vnd,x,y,w,h (see the booths README)"})


class BoothPreference(Schema):
    type = fields.String(required=True, validate=validate.OneOf(("booth", "zone", "kind")))
    value = fields.String(required=True)


class BoothApplicationBody(Schema):
    participation_id = fields.String(required=True)
    booths_wanted = fields.Integer()
    preferences = fields.List(fields.Nested(BoothPreference))
    needs = fields.List(fields.String())


class AllocationRunBody(Schema):
    keep_current = fields.Boolean()


class ClaimBody(Schema):
    participation_id = fields.String(required=True)


class OverrideBody(Schema):
    action = fields.String(required=True, validate=validate.OneOf(("assign", "move", "release")))
    participation_id = fields.String(allow_none=True)
    to_booth = fields.String(allow_none=True)
    reason = fields.String(required=True)


class OfferReplyBody(Schema):
    accept = fields.Boolean(required=True)


class SlotBody(Schema):
    participation_id = fields.String(required=True)
    starts_at = fields.AwareDateTime(required=True, metadata={"example": "2024-08-16T09:00:00+07:00"})
