"""Marshmallow schemas of the public HTTP API: the shape clients send and get.

They generate the OpenAPI document.  A body the gateway hands to a service
is checked there only, by the service's own schema of the same fields and
types (tests/contract/test_service_seam.py): the service knows every rule
(tax code check digits, phone numbers, dates in order) and answers every
broken field at once, where a check here first would answer the part it
knows and leave the rest for the next submission.  Bodies the gateway reads
itself (``reads_body``) and query strings are checked here.
"""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, validate

from gateway.answers import utc_time
from shared import pages

Page = pages.Page  # what every list answers: one component of the OpenAPI document
PageQuery = pages.PageQuery  # ?limit= and ?cursor=, which every list's query schema extends
ROLES = ("exhibitor", "buyer", "visitor", "partner_agency")
KINDS = ("enterprise", "cooperative", "household_business", "association", "agency", "foreign_buyer")
LANG = validate.OneOf(("vi", "en"))


COMPANY_NAME = {"vi": "Công ty TNHH Thực phẩm Nem chua Thanh Hóa", "en": "Thanh Hoa Nem Chua Food Co., Ltd."}
EDITION_TITLE = {
    "vi": "Hội nghị kết nối cung cầu Thanh Hóa 2024",
    "en": "Thanh Hoa supply–demand connection conference 2024",
}


class Bilingual(Schema):
    vi = fields.String(required=True, metadata={"example": "Hội nghị kết nối cung cầu"})
    en = fields.String()


class Venue(Schema):
    name = fields.String(required=True, metadata={"example": "Cung Văn hóa Thiếu nhi Thanh Hóa"})
    address = fields.String(metadata={"example": "Đại lộ Lê Lợi, phường Điện Biên, Thanh Hóa"})


class SeriesBody(Schema):
    key = fields.String(required=True, metadata={"example": "thanh-hoa-ket-noi"})
    name = fields.Nested(
        Bilingual,
        required=True,
        metadata={
            "example": {
                "vi": "Hội nghị kết nối cung cầu Thanh Hóa",
                "en": "Thanh Hoa supply–demand connection conference",
            }
        },
    )


class ProgrammeItem(Schema):
    key = fields.String(required=True, metadata={"example": "b2b-morning"})
    kind = fields.String(
        required=True,
        validate=validate.OneOf(("main_session", "exhibition", "b2b_session", "site_visit", "livestream")),
        metadata={"example": "b2b_session"},
    )
    title = fields.Nested(
        Bilingual, required=True, metadata={"example": {"vi": "Phiên kết nối B2B", "en": "B2B matchmaking session"}}
    )
    starts_at = fields.AwareDateTime(required=True, metadata={"example": "2024-08-16T08:00:00+07:00"})
    ends_at = fields.AwareDateTime(required=True, metadata={"example": "2024-08-16T11:30:00+07:00"})
    location = fields.String(metadata={"example": "Hội trường B"})
    capacity = fields.Integer(strict=True, allow_none=True, metadata={"example": 200})


class EditionPatch(Schema):
    """Every field optional: send only what changes (with ``If-Match``)."""

    title = fields.Nested(Bilingual, metadata={"example": EDITION_TITLE})
    host_province = fields.String(metadata={"example": "thanh-hoa"})
    partner_provinces = fields.List(fields.String(), metadata={"example": ["ha-noi", "nghe-an"]})
    venue = fields.Nested(Venue)
    starts_on = fields.Date(metadata={"example": "2024-08-16"})
    ends_on = fields.Date(metadata={"example": "2024-08-18"})
    timezone = fields.String(metadata={"example": "Asia/Ho_Chi_Minh"})
    theme = fields.Nested(
        Bilingual,
        allow_none=True,
        metadata={"example": {"vi": "Nông sản an toàn, kết nối bền vững", "en": "Safe produce, lasting links"}},
    )
    plan_reference = fields.String(metadata={"example": "103/KH-UBND"})
    registration_opens_at = fields.AwareDateTime(metadata={"example": "2024-07-01T08:00:00+07:00"})
    registration_closes_at = fields.AwareDateTime(metadata={"example": "2024-08-09T17:00:00+07:00"})
    capacity = fields.Dict(
        keys=fields.String(validate=validate.OneOf(ROLES)),
        values=fields.Integer(strict=True),
        metadata={"example": {"exhibitor": 120, "buyer": 60}},
    )
    programme = fields.List(fields.Nested(ProgrammeItem))


class EditionBody(EditionPatch):
    series_id = fields.String(required=True, metadata={"example": "thanh-hoa-ket-noi"})
    title = fields.Nested(Bilingual, required=True, metadata={"example": EDITION_TITLE})
    host_province = fields.String(required=True, metadata={"example": "thanh-hoa"})
    venue = fields.Nested(Venue, required=True)
    starts_on = fields.Date(required=True, metadata={"example": "2024-08-16"})
    ends_on = fields.Date(required=True, metadata={"example": "2024-08-18"})
    registration_opens_at = fields.AwareDateTime(required=True, metadata={"example": "2024-07-01T08:00:00+07:00"})
    registration_closes_at = fields.AwareDateTime(required=True, metadata={"example": "2024-08-09T17:00:00+07:00"})


class StatusBody(Schema):
    status = fields.String(required=True, validate=validate.OneOf(("draft", "open", "closed", "finished")))


class Delegate(Schema):
    name = fields.String(required=True, metadata={"example": "Nguyễn Thị Lan"})
    position = fields.String(metadata={"example": "Giám đốc kinh doanh"})
    email = fields.String(required=True, metadata={"example": "lan.nguyen@example.vn"})
    phone = fields.String(required=True, metadata={"example": "0912 345 678"})
    preferred_language = fields.String(validate=LANG)
    interpreter_language = fields.String(allow_none=True)


class ForeignRegistration(Schema):
    country = fields.String(required=True, metadata={"example": "JP"})
    registration_no = fields.String(required=True, metadata={"example": "0104-01-123456"})


class OrganisationBody(Schema):
    """A Vietnamese organisation sends ``tax_code`` and ``province``; a foreign buyer ``foreign`` instead."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS), metadata={"example": "enterprise"})
    legal_name = fields.Nested(Bilingual, required=True, metadata={"example": COMPANY_NAME})
    tax_code = fields.String(
        allow_none=True,
        metadata={"description": "A Vietnamese organisation's tax code (10 or 13 digits)", "example": "0101248141"},
    )
    foreign = fields.Nested(
        ForeignRegistration,
        allow_none=True,
        metadata={"description": "A foreign buyer's registration, instead of tax_code and province", "example": None},
    )
    province = fields.String(allow_none=True, metadata={"example": "thanh-hoa"})
    sectors = fields.List(fields.String(), metadata={"example": ["processed_food"]})
    website = fields.String(allow_none=True, metadata={"example": "https://nemchuathanhhoa.vn"})
    delegates = fields.List(fields.Nested(Delegate))


class OrganisationPatch(Schema):
    legal_name = fields.Nested(Bilingual, metadata={"example": COMPANY_NAME})
    province = fields.String(allow_none=True, metadata={"example": "thanh-hoa"})
    sectors = fields.List(fields.String(), metadata={"example": ["processed_food", "handicrafts"]})
    website = fields.String(allow_none=True, metadata={"example": "https://nemchuathanhhoa.vn"})


class Ocop(Schema):
    stars = fields.Integer(strict=True, required=True, validate=validate.Range(min=3, max=5), metadata={"example": 4})
    certificate_no = fields.String(required=True, metadata={"example": "TH-2023-015"})
    year = fields.Integer(strict=True, required=True, metadata={"example": 2023})


class Product(Schema):
    name = fields.Nested(
        Bilingual,
        required=True,
        metadata={"example": {"vi": "Nem chua Thanh Hóa", "en": "Thanh Hoa fermented pork roll"}},
    )
    category = fields.String(required=True, metadata={"example": "processed_food"})
    ocop = fields.Nested(Ocop, allow_none=True)
    certifications = fields.List(fields.String(), metadata={"example": ["vietgap"]})
    unit = fields.String(metadata={"example": "hộp 500 g"})
    origin_province = fields.String(allow_none=True, metadata={"example": "thanh-hoa"})
    photos = fields.List(fields.String(), metadata={"example": ["https://nemchuathanhhoa.vn/anh/nem-chua.jpg"]})


class Wants(Schema):
    booths = fields.Integer(strict=True, metadata={"example": 1})
    b2b = fields.Boolean(metadata={"example": True})
    site_visits = fields.List(
        fields.String(), metadata={"description": "Keys of the edition's site visits", "example": []}
    )
    livestream = fields.Boolean(metadata={"example": False})


class RegistrationBody(Schema):
    organisation = fields.Nested(OrganisationBody, required=True)
    products = fields.List(fields.Nested(Product))
    role = fields.String(required=True, validate=validate.OneOf(ROLES), metadata={"example": "exhibitor"})
    wants = fields.Nested(Wants)


class ClaimDecisionBody(Schema):
    token = fields.String(
        metadata={
            "description": "The token of the link in the e-mail; or send a member's (or the "
            "edition's organiser's) bearer token instead"
        }
    )


class ApplicationBody(Schema):
    organisation_id = fields.String(required=True, metadata={"example": "org_0190f3a2b4c1a1b2c3d4e5f6"})
    role = fields.String(required=True, validate=validate.OneOf(ROLES), metadata={"example": "exhibitor"})
    wants = fields.Nested(Wants)


class DecisionBody(Schema):
    action = fields.String(
        required=True,
        validate=validate.OneOf(("approve", "reject", "waitlist", "cancel")),
        metadata={"example": "reject"},
    )
    reason = fields.String(
        allow_none=True,
        metadata={
            "description": "The organiser's words to the applicant (never published to provinces); required to reject",
            "example": "Hồ sơ thiếu giấy chứng nhận OCOP của sản phẩm.",
        },
    )
    reason_code = fields.String(
        validate=validate.OneOf(("incomplete", "not_eligible", "out_of_scope", "duplicate", "other")),
        metadata={
            "description": "Why a registration is rejected, as provinces are told (default other)",
            "example": "incomplete",
        },
    )


class BulkDecisionBody(DecisionBody):
    participation_ids = fields.List(
        fields.String(), required=True, metadata={"example": ["par_0190f3a2b4c1a1b2c3d4e5f6"]}
    )


class CheckInBody(Schema):
    token = fields.String(
        required=True,
        metadata={
            "description": "The `token` of the delegate's badge (GET …/badges/{delegate_id}), as its QR code holds it",
            "example": "eyJkIjoiZGxnXzAxIiwiZSI6ImVkXzAxIiwicCI6InBhcl8wMSIsInYiOjF9.q5b3Jx0aQe2l8Ycz0mK1VA",
        },
    )
    gate = fields.String(required=True, metadata={"example": "gate-a"})


class DevTokenBody(Schema):
    role = fields.String(
        required=True,
        validate=validate.OneOf(("organiser", "member", "province", "ops")),
        metadata={"example": "organiser"},
    )
    series = fields.String(
        allow_none=True, metadata={"description": "An organiser's series (its key)", "example": "thanh-hoa-ket-noi"}
    )
    organisation = fields.String(
        allow_none=True, metadata={"description": "A member's organisation (its id)", "example": None}
    )
    province = fields.String(allow_none=True, metadata={"description": "A province's key", "example": None})
    subject = fields.String(allow_none=True, metadata={"description": "Default: dev-<role>", "example": None})


class FieldProblem(Schema):
    """One broken input field: where (a dotted path, ``body`` for the whole document), what rule, in words."""

    field = fields.String(required=True, metadata={"example": "delegates.0.phone"})
    code = fields.String(required=True, metadata={"example": "invalid_phone"})
    message = fields.String(required=True, metadata={"description": "In the language asked for (Accept-Language)"})
    params = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        metadata={"description": "The rule's values (a limit, the allowed choices) for a client's own wording"},
    )


class Problem(Schema):
    """RFC 9457 problem details, with field-level errors.

    Open to extension members (RFC 9457 §3.2): a conflict says what it met
    (``existing_id``, ``target``, ``current_version``…) so a client can act on it.
    """

    class Meta:
        unknown = INCLUDE

    type = fields.String()
    title = fields.String()
    status = fields.Integer(strict=True)
    detail = fields.String()
    instance = fields.String()
    code = fields.String()
    request_id = fields.String()
    errors = fields.List(fields.Nested(FieldProblem))


class QuotaGroup(Schema):
    name = fields.String(required=True, metadata={"example": "host"})
    booths = fields.Integer(strict=True, required=True, metadata={"example": 36})
    provinces = fields.List(
        fields.String(),
        allow_none=True,
        metadata={"description": "null: every province no other group lists", "example": ["thanh-hoa"]},
    )
    province_cap = fields.Integer(strict=True, allow_none=True, metadata={"example": 12})
    province_caps = fields.Dict(
        keys=fields.String(), values=fields.Integer(strict=True), metadata={"example": {"thanh-hoa": 36}}
    )


class Priorities(Schema):
    """Weights of an applicant's priority in an allocation run."""

    base = fields.Float(metadata={"example": 1.0})
    per_ocop_star = fields.Float(metadata={"example": 0.1})
    cooperative = fields.Float(metadata={"example": 0.2})
    returning = fields.Float(metadata={"example": 0.2})
    earliness = fields.Float(metadata={"example": 0.01})


class LivestreamRules(Schema):
    slot_minutes = fields.Integer(strict=True, metadata={"example": 30})
    per_organisation = fields.Integer(strict=True, metadata={"example": 2})
    opens = fields.String(metadata={"example": "08:00"})
    closes = fields.String(metadata={"example": "20:00"})


class BoothRulesBody(Schema):
    groups = fields.List(fields.Nested(QuotaGroup), required=True)
    organisation_max = fields.Integer(strict=True, allow_none=True, metadata={"example": 2})
    priorities = fields.Nested(Priorities)
    offer_hours = fields.Integer(strict=True, metadata={"example": 48})
    livestream = fields.Nested(LivestreamRules)


class FloorPlanBody(Schema):
    csv = fields.String(
        required=True,
        metadata={
            "description": "record,code,name,hall,zone,size,kind,features,price_vnd,x,y,w,h (see the booths README)",
            "example": "record,code,name,hall,zone,size,kind,features,price_vnd,x,y,w,h\n"
            "hall,H1,Nhà thi đấu,,,,,,,,,,\n"
            "zone,A,Khu A,H1,,,,,,,,,\n"
            "booth,A01,,,A,standard,standard,power,10000000,0,0,3,3\n"
            "booth,A02,,,A,standard,standard,power,10000000,3,0,3,3\n",
        },
    )


class BoothPreference(Schema):
    type = fields.String(
        required=True, validate=validate.OneOf(("booth", "zone", "kind")), metadata={"example": "booth"}
    )
    value = fields.String(required=True, metadata={"example": "A01"})


class BoothApplicationBody(Schema):
    participation_id = fields.String(required=True, metadata={"example": "par_01a21d4c36d57c6b7dad836d"})
    booths_wanted = fields.Integer(strict=True, metadata={"example": 1})
    preferences = fields.List(
        fields.Nested(BoothPreference),
        metadata={
            "description": "Best first",
            "example": [{"type": "booth", "value": "A01"}, {"type": "zone", "value": "A"}],
        },
    )
    needs = fields.List(fields.String(), metadata={"example": ["power"]})


class AllocationRunBody(Schema):
    keep_current = fields.Boolean()


class ClaimBody(Schema):
    participation_id = fields.String(required=True, metadata={"example": "par_01a21d4c36d57c6b7dad836d"})


class OverrideBody(Schema):
    action = fields.String(
        required=True, validate=validate.OneOf(("assign", "move", "release")), metadata={"example": "move"}
    )
    participation_id = fields.String(
        allow_none=True,
        metadata={"description": "Whom to assign the booth to (assign only)", "example": None},
    )
    to_booth = fields.String(allow_none=True, metadata={"description": "Where to move (move only)", "example": "A02"})
    reason = fields.String(required=True, metadata={"example": "Gần cửa cho xe lăn"})


class OfferQuery(PageQuery):
    participation_id = fields.String(
        validate=validate.Length(max=100),
        metadata={"description": "An exhibitor's own offers (organisers see every offer without it)"},
    )


class OfferReplyBody(Schema):
    accept = fields.Boolean(required=True)


class SlotBody(Schema):
    participation_id = fields.String(required=True, metadata={"example": "par_01a21d4c36d57c6b7dad836d"})
    starts_at = fields.AwareDateTime(required=True, metadata={"example": "2024-08-16T09:00:00+07:00"})


# -- meetings ----------------------------------------------------------------------------------------

SLOT_ID = validate.Regexp(r"^S\d{2}$")
SUPPLIER_EXAMPLE = "par_0193a2f4c5d6e7f8a9b0c1d2"  # ids are a prefix, then 24 hex digits (shared.ids)
BUYER_EXAMPLE = "par_0193a2f4c9e8d7c6b5a4f3e2"


class Names(Schema):
    vi = fields.String(required=True)
    en = fields.String()


class B2bProfileBody(Schema):
    offers = fields.List(fields.String(), metadata={"example": ["processed_food"]})
    seeks = fields.List(fields.String(), metadata={"example": []})
    volumes = fields.String(allow_none=True, metadata={"example": "2 containers / month"})
    markets = fields.List(fields.String(), metadata={"example": ["JP", "TH"]})
    certifications_held = fields.List(fields.String(), metadata={"example": ["HACCP", "VietGAP"]})
    certifications_required = fields.List(fields.String(), metadata={"example": []})
    languages = fields.List(fields.String(), metadata={"example": ["vi", "en"]})
    priority = fields.Integer(strict=True, metadata={"description": "Buyer priority 0–10 (organisers only)"})


class B2bObjectives(Schema):
    fairness = fields.String(
        validate=validate.OneOf(("buyer", "participant", "none")),
        metadata={
            "example": "buyer",
            "description": "After the most meetings: as many buyers (or participants) as possible "
            "get one, then two, ... (default buyer); none: buyer priority decides",
        },
    )
    keep_tables = fields.Boolean(metadata={"description": "Each supplier keeps one table (default true)"})
    compact = fields.Boolean(
        metadata={"description": "Fewest idle slots between a participant's meetings (default true)"}
    )


class B2bInterpreter(Schema):
    id = fields.String(required=True, metadata={"example": "ip1", "description": "Unique in the session"})
    name = fields.String(
        required=True,
        metadata={
            "example": "Nguyễn Thị Lan",
            "description": "Personal data: shown to the meeting's parties and organisers only, never in events",
        },
    )
    languages = fields.List(fields.String(), required=True, metadata={"example": ["ja", "en"]})
    away = fields.List(fields.String(validate=SLOT_ID), metadata={"example": ["S01"]})


class B2bSessionBody(Schema):
    name = fields.Nested(
        Names,
        required=True,
        metadata={"example": {"vi": "Phiên kết nối B2B nông sản chế biến", "en": "Processed agri-food B2B session"}},
    )
    date = fields.Date(required=True, metadata={"example": "2025-07-10"})
    starts_at = fields.String(
        required=True,
        metadata={
            "example": "13:30",
            "description": "Local time on a 5-minute mark; sessions of one edition may overlap, "
            "and a participant is never in two meetings at once across them",
        },
    )
    slot_minutes = fields.Integer(strict=True, metadata={"example": 20, "description": "A multiple of 5"})
    slots = fields.Integer(strict=True, required=True, metadata={"example": 12})
    tables = fields.Integer(strict=True, required=True, metadata={"example": 16})
    breaks = fields.List(fields.String(), metadata={"example": ["15:10"]})
    mode = fields.String(
        validate=validate.OneOf(("pick", "optimise")),
        metadata={
            "example": "optimise",
            "description": "pick: participants pick slots when they accept; optimise: the "
            "organisers schedule all accepted meetings at once",
        },
    )
    auto_accept = fields.Boolean()
    request_ttl_hours = fields.Integer(strict=True, metadata={"example": 48})
    max_meetings = fields.Integer(strict=True, metadata={"example": 10})
    interpreters = fields.Dict(
        keys=fields.String(), values=fields.Integer(strict=True), metadata={"example": {"ja": 2}}
    )
    interpreter_people = fields.List(
        fields.Nested(B2bInterpreter),
        metadata={
            "description": "Named interpreters; when given, the optimiser plans with them (a person speaking two "
            "languages is one seat at a time) and each meeting needing a language gets one of them"
        },
    )
    objectives = fields.Nested(
        B2bObjectives,
        metadata={"description": "What the optimiser aims for; the run report gives each one's value and bound"},
    )


class AvailabilityBody(Schema):
    away = fields.List(fields.String(validate=SLOT_ID), required=True, metadata={"example": ["S01", "S02"]})
    reason = fields.String(allow_none=True, metadata={"example": "site visit"})


class SupplierTablesBody(Schema):
    tables = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=64)),
        values=fields.String(validate=validate.Regexp(r"^T\d{2,3}$")),
        required=True,
        validate=validate.Length(max=500),
        metadata={"description": "Supplier participation id -> its table", "example": {SUPPLIER_EXAMPLE: "T01"}},
    )


class AwayPeriod(Schema):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(("booth_duty", "site_visit", "other")),
        metadata={"example": "booth_duty"},
    )
    starts_at = fields.AwareDateTime(required=True, metadata={"example": "2025-07-10T08:00:00+07:00"})
    ends_at = fields.AwareDateTime(required=True, metadata={"example": "2025-07-10T10:30:00+07:00"})


class TimeAwayBody(Schema):
    periods = fields.List(
        fields.Nested(AwayPeriod),
        required=True,
        validate=validate.Length(max=50),
        metadata={"description": "Every period away; replaces what was said before"},
    )


class MeetingQuery(PageQuery):
    participation_id = fields.String(
        validate=validate.Length(max=100),
        metadata={"description": "A participant's own meetings (organisers see every meeting without it)"},
    )
    status = fields.String(
        validate=validate.OneOf(("requested", "accepted", "declined", "expired", "cancelled")),
        metadata={"description": "Only meetings in this status"},
    )


class MeetingRequestBody(Schema):
    from_ = fields.String(
        required=True,
        data_key="from",
        metadata={"description": "Your participation id (a supplier or a buyer)", "example": BUYER_EXAMPLE},
    )
    to = fields.String(
        required=True,
        metadata={"description": "The participation you want to meet, on the other side", "example": SUPPLIER_EXAMPLE},
    )
    note = fields.String(
        allow_none=True,
        validate=validate.Length(max=1000),
        metadata={"example": "Chúng tôi tìm nhà cung cấp cà phê rang xay đạt chuẩn HACCP cho thị trường Nhật Bản."},
    )
    slot = fields.String(
        allow_none=True,
        validate=SLOT_ID,
        metadata={"description": "Pick sessions only: the slot to hold (leave it out elsewhere)", "example": "S03"},
    )


class BrokerBody(Schema):
    supplier = fields.String(
        required=True, metadata={"description": "An exhibitor's participation id", "example": SUPPLIER_EXAMPLE}
    )
    buyer = fields.String(
        required=True, metadata={"description": "A buyer's participation id", "example": BUYER_EXAMPLE}
    )
    note = fields.String(
        allow_none=True, validate=validate.Length(max=1000), metadata={"example": "Đề xuất của Ban tổ chức"}
    )
    slot = fields.String(
        allow_none=True,
        validate=SLOT_ID,
        metadata={"description": "Place and lock it there (else the next timetable run places it)", "example": "S04"},
    )
    table = fields.String(allow_none=True, metadata={"description": "With slot: the table", "example": "T02"})


class AcceptBody(Schema):
    slot = fields.String(
        allow_none=True,
        validate=SLOT_ID,
        metadata={"description": "Pick sessions: a free slot (default: the one the request holds)", "example": "S03"},
    )
    table = fields.String(
        allow_none=True, metadata={"description": "Pick sessions: a table (default: any free one)", "example": "T05"}
    )


class ReasonBody(Schema):
    reason = fields.String(
        allow_none=True,
        validate=validate.Length(max=500),
        metadata={"description": "Kept with the meeting", "example": "Trùng lịch tham quan vùng nguyên liệu"},
    )


class LockBody(Schema):
    slot = fields.String(required=True, validate=SLOT_ID, metadata={"example": "S05"})
    table = fields.String(allow_none=True, metadata={"description": "Default: a free table", "example": "T03"})


class ScheduleBody(Schema):
    full = fields.Boolean(metadata={"description": "Recompute from scratch, locks kept (default false: few moves)"})
    rebook_no_shows = fields.Boolean(metadata={"description": "Place no-show meetings again later (default false)"})
    now = fields.String(
        allow_none=True,
        validate=SLOT_ID,
        metadata={"description": "The last slot that has started: nothing moves into or before it", "example": "S04"},
    )


class AgendaBody(Schema):
    stage = fields.String(
        required=True,
        validate=validate.OneOf(("preliminary", "final")),
        metadata={"description": "preliminary (any number of times), then final", "example": "preliminary"},
    )


class Outcome(Schema):
    result = fields.String(
        required=True,
        validate=validate.OneOf(("none", "follow_up", "quotation", "sample_order", "contract", "mou")),
        metadata={"example": "quotation"},
    )
    notes = fields.String(
        allow_none=True,
        validate=validate.Length(max=2000),
        metadata={"example": "Gửi báo giá 2 container cà phê rang xay trong tháng 8"},
    )


class LiveBody(Schema):
    status = fields.String(
        required=True,
        validate=validate.OneOf(("checked_in", "in_progress", "done", "no_show")),
        metadata={"description": "The next step: checked_in, in_progress, then done or no_show", "example": "done"},
    )
    outcome = fields.Nested(
        Outcome, allow_none=True, metadata={"description": "With done only (422 with another status)"}
    )


class Money(Schema):
    amount = fields.Integer(strict=True, required=True, metadata={"example": 2500000000})
    currency = fields.String(required=True, metadata={"example": "VND"})


class MouParty(Schema):
    organisation_id = fields.String(
        allow_none=True,
        metadata={"description": "An organisation on file (named as registered); or leave it out and give name"},
    )
    name = fields.Nested(
        Names,
        allow_none=True,
        metadata={
            "description": "A party not on file (an alliance, an agency, a partner abroad); then no organisation_id",
        },
    )
    kind = fields.String(
        validate=validate.OneOf(("alliance", "agency", "organisation")),
        metadata={"description": "A party not on file: what it is (default organisation)"},
    )
    province = fields.String(allow_none=True, metadata={"description": "A party not on file: its province code"})
    country = fields.String(metadata={"description": "A party not on file: ISO 3166-1 alpha-2 (default VN)"})


class MouBody(Schema):
    title = fields.Nested(
        Names,
        required=True,
        metadata={
            "example": {
                "vi": "Biên bản ghi nhớ hợp tác tiêu thụ cà phê rang xay",
                "en": "MOU on the supply of roasted coffee",
            }
        },
    )
    kind = fields.String(validate=validate.OneOf(("mou", "agreement")), metadata={"example": "mou"})
    parties = fields.List(
        fields.Nested(MouParty),
        required=True,
        validate=validate.Length(min=2, max=20),
        metadata={
            "description": "Two to twenty: each an organisation on file, or a name with its kind and place",
            "example": [
                {"organisation_id": "org_0193a2f4c5d6e7f8a9b0c1d2"},
                {
                    "name": {"vi": "Liên minh Hợp tác xã tỉnh Thanh Hóa", "en": "Thanh Hoa Cooperative Alliance"},
                    "kind": "alliance",
                    "province": "thanh-hoa",
                    "country": "VN",
                },
            ],
        },
    )
    sector = fields.String(required=True, metadata={"example": "processed_food"})
    products = fields.List(fields.String(), metadata={"example": ["roasted coffee", "instant coffee"]})
    value = fields.Nested(Money, allow_none=True)
    signed_on = fields.Date(required=True, metadata={"example": "2025-07-10"})
    signed_at_event = fields.String(allow_none=True, metadata={"example": "B2B session, 10 July 2025"})
    meeting_ids = fields.List(fields.String(), metadata={"description": "The meetings it came out of"})
    document_ref = fields.String(allow_none=True, metadata={"example": "15/2025/BGH-TH"})


# -- notifications ------------------------------------------------------------------------------------


class NotificationPreferencesBody(Schema):
    email = fields.Boolean(metadata={"example": True})
    sms = fields.Boolean(metadata={"example": True})
    zalo = fields.Boolean(metadata={"example": False})
    unsubscribed_non_essential = fields.Boolean(metadata={"example": False})


# -- reference data (answers) --------------------------------------------------------------------------


class ProvincesQuery(Schema):
    on = fields.Date(
        metadata={
            "example": "2025-07-10",
            "description": "The day (YYYY-MM-DD) the list is for; default: today in Asia/Ho_Chi_Minh",
        }
    )


class BothNames(Schema):
    vi = fields.String(required=True)
    en = fields.String(required=True)


class ProvinceRef(Schema):
    code = fields.String(required=True, metadata={"example": "quang-tri"})
    name = fields.Nested(BothNames, required=True)


class ProvinceEntry(ProvinceRef):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(("province", "city")),
        metadata={"description": "city: a centrally-run city"},
    )
    valid_from = fields.Date(
        required=True,
        allow_none=True,
        metadata={"description": "First day this code names this unit (null: the registry sets no bound)"},
    )
    valid_to = fields.Date(
        required=True,
        allow_none=True,
        metadata={"description": "Last day (inclusive) this code names this unit; null: still current"},
    )
    successor = fields.Nested(
        ProvinceRef,
        required=True,
        allow_none=True,
        metadata={
            "description": "Before 2025-07-01: the unit it is part of since the merger (itself if it kept its code)"
        },
    )
    merged_from = fields.List(
        fields.Nested(ProvinceRef),
        required=True,
        metadata={"description": "From 2025-07-01: the units it was formed from; empty before"},
    )


class ProvinceList(Schema):
    on = fields.Date(required=True, metadata={"example": "2025-07-10"})
    items = fields.List(fields.Nested(ProvinceEntry), required=True)


class OrganisationKind(Schema):
    code = fields.String(required=True, validate=validate.OneOf(KINDS))
    name = fields.Nested(BothNames, required=True)
    requires = fields.List(
        fields.String(validate=validate.OneOf(("tax_code", "province", "foreign"))),
        required=True,
        metadata={"description": "Fields a form for this kind must fill"},
    )


class OrganisationKindList(Schema):
    items = fields.List(fields.Nested(OrganisationKind), required=True)


class RoleEntry(Schema):
    code = fields.String(required=True, validate=validate.OneOf(ROLES))
    name = fields.Nested(BothNames, required=True)


class RoleList(Schema):
    items = fields.List(fields.Nested(RoleEntry), required=True)


class SectorEntry(Schema):
    code = fields.String(required=True)
    name = fields.Nested(BothNames, required=True)


class SectorRules(Schema):
    controlled = fields.Boolean(
        required=True,
        metadata={"description": "false: sectors are free text meeting the rules below, and items is empty"},
    )
    items = fields.List(fields.Nested(SectorEntry), required=True)
    min_length = fields.Integer(required=True)
    max_length = fields.Integer(required=True)
    max_items = fields.Integer(required=True, metadata={"description": "Sectors per organisation"})
    normalised = fields.Nested(BothNames, required=True, metadata={"description": "What is done to a value"})


class OcopLevel(Schema):
    stars = fields.Integer(required=True, metadata={"example": 4})
    name = fields.Nested(BothNames, required=True)
    level = fields.String(
        required=True,
        validate=validate.OneOf(("provincial", "national")),
        metadata={"description": "Who recognises the rating: the province, or nationally"},
    )
    min_points = fields.Integer(required=True, metadata={"description": "Of 100 in the OCOP assessment"})
    max_points = fields.Integer(required=True)
    meaning = fields.Nested(BothNames, required=True)


class OcopRules(Schema):
    min_stars = fields.Integer(required=True)
    max_stars = fields.Integer(required=True)
    min_year = fields.Integer(required=True, metadata={"description": "Of the certificate"})
    max_year = fields.Integer(required=True)
    certificate_no_max_length = fields.Integer(required=True)
    items = fields.List(fields.Nested(OcopLevel), required=True)


def _counts(description: str) -> fields.Dict:
    return fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        metadata={"description": description, "example": {"quang-tri": 42}},
    )


class OpenDataParticipants(Schema):
    total = fields.Integer(required=True, metadata={"description": "Approved registrations"})
    by_role = _counts("role -> registrations")
    by_kind = _counts("organisation kind -> registrations")
    by_province = _counts("2025 province of Vietnamese organisations -> registrations")
    by_country = _counts("country (ISO 3166 alpha-2) -> registrations")
    by_sector = _counts("sector -> registrations giving it (an organisation may give several)")
    by_ocop_stars = _counts("most OCOP stars among an organisation's products (or none) -> registrations")


class OpenDataBooths(Schema):
    total = fields.Integer(required=True)
    by_status = _counts("taken, on_offer or free -> booths")
    by_zone = _counts("zone -> booths")
    by_kind = _counts("booth kind -> booths")
    taken_by_quota_group = _counts("quota group of the holder -> booths taken")
    taken_by_province = _counts("2025 province of the holder -> booths taken")


class OpenDataMeetingCounts(Schema):
    total = fields.Integer(required=True, metadata={"description": "Every meeting request"})
    by_status = _counts("requested, accepted, declined, expired, cancelled -> meetings")
    scheduled = fields.Integer(required=True, metadata={"description": "Accepted and given a slot"})
    by_outcome = _counts("what happened on the day (done, no_show, …, not_recorded) -> scheduled meetings")
    by_supplier_province = _counts("2025 province of the supplier -> scheduled meetings")
    by_buyer_country = _counts("country of the buyer -> scheduled meetings")


class OpenDataMous(Schema):
    total = fields.Integer(required=True)
    value_by_currency = _counts("currency -> total estimated value (never converted)")
    by_sector = _counts("sector -> MOUs")
    by_province = _counts("province of a party -> MOUs")
    by_country = _counts("country of a party -> MOUs")


class OpenDataMeetings(Schema):
    sessions = fields.Integer(required=True)
    meetings = fields.Nested(OpenDataMeetingCounts, required=True)
    mous = fields.Nested(OpenDataMous, required=True)


class OpenData(Schema):
    edition_id = fields.String(required=True)
    published = fields.Boolean(
        required=True,
        metadata={"description": "False: a preview for organisers, ops and provinces before the edition ends"},
    )
    published_after = fields.Date(required=True, metadata={"description": "The edition's last day"})
    participants = fields.Nested(OpenDataParticipants, required=True)
    booths = fields.Nested(OpenDataBooths, required=True)
    b2b = fields.Nested(OpenDataMeetings, required=True)


class WebhookBody(Schema):
    url = fields.String(
        required=True,
        validate=validate.Length(max=2000),
        metadata={
            "description": "https:// (development: 127.0.0.1 or localhost)",
            "example": "https://so-cong-thuong.quangtri.gov.vn/ketnoi/webhook",
        },
    )
    event_types = fields.List(
        fields.String(),
        required=True,
        validate=validate.Length(min=1, max=50),
        metadata={
            "description": "Public event types, or patterns with *",
            "example": ["vn.ketnoi.registration.participation.approved.v1", "vn.ketnoi.booths.*"],
        },
    )
    province = fields.String(
        metadata={"description": "Ops only: whose events (none: every province's)", "example": "quang-tri"}
    )


class Webhook(Schema):
    id = fields.String(required=True)
    url = fields.String(required=True)
    event_types = fields.List(fields.String(), required=True, metadata={"description": "Types or * patterns"})
    province = fields.String(required=True, metadata={"description": "Whose events it gets (or every province)"})
    status = fields.String(required=True)
    created_at = utc_time(required=True)
    previous_secret_valid_until = utc_time(
        "While the secret it replaced still signs deliveries too (a second v1)", required=True, allow_none=True
    )


class WebhookWithSecret(Webhook):
    secret = fields.String(required=True, metadata={"description": "Shown once: keep it to verify signatures"})


class WebhookAttempt(Schema):
    at = utc_time(required=True)
    status_code = fields.Integer(
        required=True, allow_none=True, metadata={"description": "The endpoint's HTTP status, if it answered"}
    )
    error = fields.String(required=True, allow_none=True)
    ms = fields.Integer(required=True, metadata={"description": "How long the attempt took"})


class WebhookDelivery(Schema):
    id = fields.String(required=True)
    webhook_id = fields.String(required=True)
    event_id = fields.String(required=True)
    event_type = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": "pending, sending, delivered or dead"})
    attempts = fields.Integer(required=True)
    next_at = utc_time(required=True, allow_none=True)
    delivered_at = utc_time(required=True, allow_none=True)
    last = fields.Nested(WebhookAttempt, required=True, allow_none=True)
    redeliveries = fields.Integer(required=True)
    created_at = utc_time(required=True)


class WebhookReplay(Schema):
    queued = fields.Integer(required=True, metadata={"description": "Deliveries queued again"})


class Liveness(Schema):
    status = fields.String(required=True, validate=validate.OneOf(("ok",)))


class Readiness(Schema):
    status = fields.String(required=True, validate=validate.OneOf(("ready", "not ready")))
    checks = fields.Dict(
        keys=fields.String(),
        values=fields.Boolean(),
        required=True,
        metadata={"description": "broker, store and each service: whether it answered in time"},
    )


class Availability(Schema):
    participation_id = fields.String(required=True)
    away = fields.List(fields.String(validate=SLOT_ID), required=True)
    reason = fields.String(required=True, allow_none=True)


class TimeAwayPeriod(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(("booth_duty", "site_visit", "other")))
    starts_at = fields.String(required=True, metadata={"description": "RFC 3339 with the edition's offset"})
    ends_at = fields.String(required=True, metadata={"description": "RFC 3339 with the edition's offset"})


class TimeAway(Schema):
    participation_id = fields.String(required=True)
    edition_id = fields.String(required=True)
    periods = fields.List(fields.Nested(TimeAwayPeriod), required=True)


class TimeAwayClash(Schema):
    meeting_id = fields.String(required=True)
    session_id = fields.String(required=True)
    slot = fields.String(required=True, validate=SLOT_ID)


class TimeAwaySaved(TimeAway):
    clashes = fields.List(
        fields.Nested(TimeAwayClash),
        required=True,
        metadata={"description": "Meetings already at such a time: they stay until the organiser's next run"},
    )


class MouBucket(Schema):
    count = fields.Integer(required=True)
    value = fields.Dict(
        keys=fields.String(), values=fields.Integer(), required=True, metadata={"description": "currency -> amount"}
    )


class MouStats(Schema):
    edition_id = fields.String(required=True)
    total = fields.Nested(MouBucket, required=True)
    by_country = fields.Dict(keys=fields.String(), values=fields.Nested(MouBucket), required=True)
    by_province = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(MouBucket),
        required=True,
        metadata={"description": "2025 province of a party -> MOUs"},
    )
    by_sector = fields.Dict(keys=fields.String(), values=fields.Nested(MouBucket), required=True)
