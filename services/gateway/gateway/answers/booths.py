"""What the booths operations answer: the floor plan, applications, allocation runs, offers, claims,
overrides and livestream slots (``services/booths/booths/views.py`` builds them)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from gateway.answers import local_time, utc_time

BOOTH_STATUSES = ("free", "on_offer", "taken")
BOOTH_SOURCES = ("allocation", "claim", "offer", "override")
OFFER_STATUSES = ("pending", "open", "accepted", "declined", "expired", "withdrawn")
EXPLANATION_STATUSES = ("allocated", "partial", "unallocated")
REASON_CODES = (
    "allocated",
    "moved",
    "no_quota_group",
    "quota_full",
    "province_cap",
    "organisation_cap",
    "no_booth_of_kind",
    "need_not_met",
    "not_enough_booths",
    "outranked",
    "preference_not_eligible",
    "preference_taken",
    "kept_current",
)


class OrganisationName(Schema):
    """An organisation's public name."""

    vi = fields.String(required=True, metadata={"example": "Công ty TNHH Nông sản Xứ Thanh"})
    en = fields.String(allow_none=True, metadata={"example": "Xu Thanh Agricultural Products Co., Ltd."})


# -- the floor plan --------------------------------------------------------------------------------------


class Hall(Schema):
    code = fields.String(required=True, metadata={"example": "H1"})
    name = fields.String(required=True, metadata={"example": "Nhà thi đấu"})


class Zone(Schema):
    code = fields.String(required=True, metadata={"example": "A"})
    hall = fields.String(required=True, metadata={"description": "The code of its hall", "example": "H1"})
    name = fields.String(required=True, metadata={"example": "Khu A"})


class BoothHolder(Schema):
    """Who holds a booth: an organisation (shown on the public plan), never a person."""

    participation_id = fields.String(required=True)
    organisation_id = fields.String(required=True)
    name = fields.Nested(
        OrganisationName, required=True, allow_none=True, metadata={"description": "Null: no public name"}
    )
    province = fields.String(required=True, allow_none=True, metadata={"description": "Null for a foreign exhibitor"})
    quota_group = fields.String(required=True, allow_none=True)


class Booth(Schema):
    """A booth of the floor plan with its holder, if any."""

    id = fields.String(required=True, metadata={"example": "ed_01a21d4c2a7eba69518d4e24:A01"})
    code = fields.String(required=True, metadata={"example": "A01"})
    zone = fields.String(required=True, metadata={"example": "A"})
    size = fields.String(required=True, metadata={"example": "standard"})
    kind = fields.String(required=True, metadata={"example": "standard", "description": "standard, livestream, ..."})
    features = fields.List(fields.String(), required=True, metadata={"example": ["power"]})
    price_vnd = fields.Integer(required=True, allow_none=True, metadata={"example": 10000000})
    x = fields.Float(required=True, metadata={"description": "Position and size on the plan, in metres"})
    y = fields.Float(required=True)
    w = fields.Float(required=True)
    h = fields.Float(required=True)
    holder = fields.Nested(BoothHolder, required=True, allow_none=True)
    source = fields.String(
        required=True,
        allow_none=True,
        validate=validate.OneOf(BOOTH_SOURCES),
        metadata={"description": "How its holder got it; null while free"},
    )
    since = local_time("Held since (or freed at); null if never held", required=True, allow_none=True)
    import_id = fields.String(required=True, metadata={"description": "The floor-plan import that made it"})
    status = fields.String(required=True, validate=validate.OneOf(BOOTH_STATUSES))
    offer_due = utc_time("Freed and to be offered to the waitlist since (until an offer is made)")


class FloorPlanTotals(Schema):
    booths = fields.Integer(required=True)
    free = fields.Integer()
    on_offer = fields.Integer()
    taken = fields.Integer()


class QuotaGroupUse(Schema):
    name = fields.String(required=True, metadata={"example": "host"})
    booths = fields.Integer(required=True, metadata={"description": "The group's booths"})
    held = fields.Integer(required=True, metadata={"description": "Of which held now"})


class FloorPlan(Schema):
    """The floor plan with occupancy (public: organisations only, no person)."""

    edition_id = fields.String(required=True)
    halls = fields.List(fields.Nested(Hall), required=True)
    zones = fields.List(fields.Nested(Zone), required=True)
    booths = fields.List(fields.Nested(Booth), required=True)
    totals = fields.Nested(
        FloorPlanTotals,
        required=True,
        metadata={"description": "Booths in all, and by status (a status with none is left out)"},
    )
    quota_groups = fields.List(fields.Nested(QuotaGroupUse), required=True)


class FloorPlanImported(Schema):
    edition_id = fields.String(required=True)
    booths = fields.Integer(required=True, metadata={"description": "Booths imported"})
    zones = fields.Integer(required=True)
    halls = fields.Integer(required=True)


# -- rules ---------------------------------------------------------------------------------------------------


class QuotaGroupRule(Schema):
    name = fields.String(required=True, metadata={"example": "host"})
    booths = fields.Integer(required=True, metadata={"example": 36})
    provinces = fields.List(
        fields.String(),
        required=True,
        allow_none=True,
        metadata={"description": "null: every province no other group lists"},
    )
    province_cap = fields.Integer(allow_none=True)
    province_caps = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class PriorityWeights(Schema):
    base = fields.Float(required=True)
    per_ocop_star = fields.Float(required=True)
    cooperative = fields.Float(required=True)
    returning = fields.Float(required=True)
    earliness = fields.Float(required=True)


class LivestreamSettings(Schema):
    slot_minutes = fields.Integer(required=True)
    per_organisation = fields.Integer(required=True)
    opens = fields.String(required=True, metadata={"example": "08:00"})
    closes = fields.String(required=True, metadata={"example": "20:00"})


class BoothRules(Schema):
    groups = fields.List(fields.Nested(QuotaGroupRule), required=True)
    organisation_max = fields.Integer(allow_none=True)
    priorities = fields.Nested(PriorityWeights, required=True)
    offer_hours = fields.Integer(required=True)
    livestream = fields.Nested(LivestreamSettings, required=True)


class BoothRulesSet(Schema):
    edition_id = fields.String(required=True)
    rules = fields.Nested(
        BoothRules, required=True, metadata={"description": "As stored, with every default filled in"}
    )


# -- applications and offers ---------------------------------------------------------------------------------


class Wish(Schema):
    type = fields.String(required=True, validate=validate.OneOf(("booth", "zone", "kind")))
    value = fields.String(required=True, metadata={"example": "A01"})


class BoothWishes(Schema):
    booths_wanted = fields.Integer(required=True)
    preferences = fields.List(fields.Nested(Wish), required=True, metadata={"description": "Best first"})
    needs = fields.List(fields.String(), required=True, metadata={"example": ["power"]})
    submitted_at = local_time("First submitted", required=True)


class BoothApplicant(Schema):
    """An approved exhibitor as the booths service knows it, with its application (null until it applies)."""

    id = fields.String(required=True, metadata={"description": "The participation's id"})
    edition_id = fields.String(required=True)
    organisation_id = fields.String(required=True)
    organisation_kind = fields.String(required=True, metadata={"example": "enterprise"})
    name = fields.Nested(OrganisationName, required=True, allow_none=True)
    province = fields.String(required=True, allow_none=True)
    province_2025 = fields.String(required=True, allow_none=True)
    ocop_stars = fields.Integer(required=True, allow_none=True)
    returning = fields.Boolean(required=True, metadata={"description": "Exhibited at an earlier edition of the series"})
    status = fields.String(required=True, validate=validate.OneOf(("eligible", "cancelled")))
    held = fields.Integer(required=True, metadata={"description": "Booths held now"})
    application = fields.Nested(BoothWishes, required=True, allow_none=True)
    slots_held = fields.Integer(required=True, metadata={"description": "Livestream slots booked"})


class BoothOffer(Schema):
    """A waitlist offer of a freed booth."""

    id = fields.String(required=True)
    edition_id = fields.String(required=True)
    booth_code = fields.String(required=True)
    participation_id = fields.String(required=True)
    organisation_id = fields.String(required=True)
    quota_group = fields.String(required=True, allow_none=True)
    province = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(OFFER_STATUSES))
    expires_at = utc_time("Unanswered, it expires then", required=True)
    created_at = local_time("Offered", required=True)
    closed_at = local_time("Answered, expired or withdrawn")
    assigning = utc_time("Accepted, its booth being given (a moment; gone once given)")


class BoothApplicationView(BoothApplicant):
    """An exhibitor's application with the booths it holds and its open offers."""

    booths = fields.List(fields.Nested(Booth), required=True)
    offers = fields.List(fields.Nested(BoothOffer), required=True)


# -- allocation runs -----------------------------------------------------------------------------------------


class Outranking(Schema):
    """A booth held by another applicant whose pair is worth at least as much."""

    booth = fields.String(required=True)
    applicant_id = fields.String(required=True)
    priority = fields.Float(required=True)
    weight = fields.Float(required=True)
    own_weight = fields.Float(
        required=True, metadata={"description": "What the booth would be worth to this applicant"}
    )


class ReasonParams(Schema):
    """The values of a reason (which ones depend on its code: see the booths README)."""

    booth = fields.String()
    rank = fields.Integer(allow_none=True, metadata={"description": "1-based rank of the preference; null: none"})
    preference = fields.Nested(Wish, allow_none=True)
    kept = fields.Boolean()
    lost = fields.List(fields.String())
    removed = fields.List(fields.String())
    ineligible = fields.List(fields.String())
    province = fields.String(allow_none=True)
    group = fields.String()
    booths = fields.Integer()
    lowest_priority_admitted = fields.Float(allow_none=True)
    cap = fields.Integer()
    organisation_id = fields.String()
    eligible = fields.Integer()
    kinds = fields.List(fields.String())
    needs = fields.List(fields.String())
    priority = fields.Float()
    by = fields.List(fields.Nested(Outranking))
    cause = fields.String(validate=validate.OneOf(("unknown", "reserved", "ocop_only", "need_not_met")))


class AllocationReason(Schema):
    code = fields.String(required=True, validate=validate.OneOf(REASON_CODES))
    message = fields.String(required=True, metadata={"description": "In English, for organisers"})
    params = fields.Nested(ReasonParams, required=True)


class AllocationExplanation(Schema):
    status = fields.String(required=True, validate=validate.OneOf(EXPLANATION_STATUSES))
    booths = fields.List(fields.String(), required=True)
    booths_wanted = fields.Integer(required=True)
    priority = fields.Float(required=True)
    reasons = fields.List(fields.Nested(AllocationReason), required=True)


class SolverReport(Schema):
    name = fields.String(required=True)
    status = fields.String(required=True)
    columns = fields.Integer(required=True)
    rows = fields.Integer(required=True)
    nonzeros = fields.Integer(required=True)
    iterations = fields.Integer(required=True)
    solver_objective = fields.Float(required=True)
    max_dual_infeasibility = fields.Float(required=True)


class AllocationRunSummary(Schema):
    """An allocation run in the list: its numbers, not each applicant's explanation."""

    id = fields.String(required=True)
    edition_id = fields.String(required=True)
    objective = fields.Float(required=True)
    moved = fields.List(fields.String(), required=True, metadata={"description": "Participations whose booths change"})
    allocated = fields.Integer(required=True, metadata={"description": "Booths allocated"})
    unallocated = fields.Integer(required=True, metadata={"description": "Applicants left without a booth"})
    duration_ms = fields.Float(required=True)
    solver = fields.Nested(SolverReport, required=True)
    committed_at = local_time("Applied; null for a dry run not applied", required=True, allow_none=True)
    computed_at = local_time("Computed", required=True)
    keep_current = fields.Boolean(required=True)


class AllocationRun(AllocationRunSummary):
    """A run with who gets what, and why (by participation id)."""

    assignments = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        required=True,
        metadata={"description": "Booth codes"},
    )
    groups = fields.Dict(
        keys=fields.String(),
        values=fields.String(allow_none=True),
        required=True,
        metadata={"description": "Quota group"},
    )
    explanations = fields.Dict(keys=fields.String(), values=fields.Nested(AllocationExplanation), required=True)


class AllocationCommitted(AllocationRun):
    committed = fields.Boolean(required=True, validate=validate.Equal(True))
    conflicts = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Booth codes that could not be given (claimed, re-imported or cancelled since)"},
    )


# -- overrides and livestream ---------------------------------------------------------------------------------


class BoothOverride(Schema):
    """An organiser's override, as audited."""

    id = fields.String(required=True)
    edition_id = fields.String(required=True)
    booth_code = fields.String(required=True)
    action = fields.String(required=True, validate=validate.OneOf(("assign", "move", "release")))
    participation_id = fields.String(required=True)
    to_booth = fields.String(required=True, allow_none=True, metadata={"description": "Where a move went"})
    reason = fields.String(required=True)
    by = fields.String(required=True, metadata={"description": "The organiser's subject"})
    at = local_time("Recorded", required=True)


class LivestreamSlot(Schema):
    id = fields.String(required=True)
    edition_id = fields.String(required=True)
    booth_code = fields.String(required=True)
    starts_at = local_time("Starts", required=True)
    ends_at = local_time("Ends", required=True)
    participation_id = fields.String(required=True)
    organisation_id = fields.String(required=True)
    organisation_name = fields.Nested(OrganisationName, required=True, allow_none=True)
