"""Marshmallow schemas at the booths service's RPC edge.

Schema-level rules run beside the fields' own errors and name every broken
field at once (see :mod:`shared.validation`).
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate, validates_schema

from booths.domain.floorplan import FEATURES
from shared.pages import PageQuery
from shared.validation import failed, problem, problems, public_name

PREFERENCE_TYPES = ("booth", "zone", "kind")
OVERRIDES = ("assign", "move", "release")


class QuotaGroupIn(Schema):
    name = fields.String(required=True, validate=[validate.Length(min=1, max=60), public_name])
    booths = fields.Integer(strict=True, required=True, validate=validate.Range(min=0, max=100_000))
    provinces = fields.List(
        fields.String(),
        allow_none=True,
        load_default=None,
        metadata={"description": "None: every province no other group lists"},
    )
    province_cap = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0))
    province_caps = fields.Dict(
        keys=fields.String(), values=fields.Integer(strict=True, validate=validate.Range(min=0)), load_default=dict
    )


class Priorities(Schema):
    base = fields.Float(load_default=1.0, validate=validate.Range(min=0, min_inclusive=False))
    per_ocop_star = fields.Float(load_default=0.1, validate=validate.Range(min=0))
    cooperative = fields.Float(load_default=0.2, validate=validate.Range(min=0))
    returning = fields.Float(load_default=0.2, validate=validate.Range(min=0))
    earliness = fields.Float(load_default=0.01, validate=validate.Range(min=0))


class Livestream(Schema):
    slot_minutes = fields.Integer(strict=True, load_default=30, validate=validate.Range(min=10, max=240))
    per_organisation = fields.Integer(strict=True, load_default=2, validate=validate.Range(min=1, max=50))
    opens = fields.String(load_default="08:00", validate=validate.Regexp(r"^\d\d:\d\d$"))
    closes = fields.String(load_default="20:00", validate=validate.Regexp(r"^\d\d:\d\d$"))


class RulesIn(Schema):
    """An edition's booth rules: quota groups, caps, priorities, offer deadline, livestream slots."""

    groups = fields.List(fields.Nested(QuotaGroupIn), required=True, validate=validate.Length(min=1, max=20))
    organisation_max = fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=1, max=100))
    priorities = fields.Nested(Priorities, load_default=lambda: Priorities().load({}))
    offer_hours = fields.Integer(strict=True, load_default=48, validate=validate.Range(min=1, max=24 * 14))
    livestream = fields.Nested(Livestream, load_default=lambda: Livestream().load({}))

    @validates_schema(skip_on_field_errors=False)
    def _groups(self, data: dict, **_: object) -> None:
        """Read from the groups' valid parts only (a wrong value is left out): what is alike or missing there is
        so whatever else is wrong."""
        groups = data.get("groups") or []
        names = [g["name"] for g in groups if "name" in g]
        found = []
        if len(set(names)) != len(names):
            found.append(problem("duplicate_key", "Quota group names must be unique.", field="groups"))
        if sum("provinces" in g and g["provinces"] is None for g in groups) > 1:
            found.append(problem("invalid", "At most one group may take all other provinces.", field="groups"))
        listed = [p for g in groups for p in (g.get("provinces") or [])]
        if len(set(listed)) != len(listed):
            found.append(problem("duplicate_key", "A province may belong to one quota group only.", field="groups"))
        problems(found)


class FloorPlanIn(Schema):
    csv = fields.String(required=True, validate=validate.Length(min=1, max=2_000_000))


class PreferenceIn(Schema):
    type = fields.String(required=True, validate=validate.OneOf(PREFERENCE_TYPES))
    value = fields.String(required=True, validate=validate.Length(min=1, max=60))


class ApplicationIn(Schema):
    participation_id = fields.String(required=True)
    booths_wanted = fields.Integer(strict=True, load_default=1, validate=validate.Range(min=1, max=20))
    preferences = fields.List(fields.Nested(PreferenceIn), load_default=list, validate=validate.Length(max=10))
    needs = fields.List(fields.String(validate=validate.OneOf(sorted(FEATURES))), load_default=list)


class ClaimIn(Schema):
    participation_id = fields.String(required=True)


class OverrideIn(Schema):
    action = fields.String(required=True, validate=validate.OneOf(OVERRIDES))
    participation_id = fields.String(allow_none=True)
    to_booth = fields.String(allow_none=True)
    reason = fields.String(required=True, validate=validate.Length(min=3, max=500))

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _targets(self, data: dict, original: object, **_: object) -> None:
        needed = {
            "assign": ("participation_id", "Say whom the booth is assigned to."),
            "move": ("to_booth", "Say which booth to move to."),
        }.get(data.get("action", ""))
        if needed and not data.get(needed[0]) and not failed(self, data, original, needed[0]):
            raise problem("required", needed[1], field=needed[0])


class OfferQuery(PageQuery):
    participation_id = fields.String(
        validate=validate.Length(max=100),
        metadata={"description": "An exhibitor's own offers (organisers see every offer without it)"},
    )


class OfferReplyIn(Schema):
    accept = fields.Boolean(required=True)


class RunIn(Schema):
    keep_current = fields.Boolean(
        load_default=True, metadata={"description": "Move as few already-placed exhibitors as possible"}
    )


class SlotIn(Schema):
    participation_id = fields.String(required=True)
    starts_at = fields.AwareDateTime(required=True)
