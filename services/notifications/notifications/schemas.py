"""Marshmallow schemas at the notifications service's RPC edge."""

from __future__ import annotations

from marshmallow import Schema, fields, validate, validates_schema

from shared.pages import PageQuery
from shared.validation import problem

STATUSES = ("pending", "sending", "sent", "written", "dead")
CHANNELS = ("email", "sms", "zalo")


class PreferencesIn(Schema):
    email = fields.Boolean()
    sms = fields.Boolean()
    zalo = fields.Boolean()
    unsubscribed_non_essential = fields.Boolean()

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _something(self, data: dict, original: object, **_: object) -> None:
        """Silent when a field was named, even a wrong one: its own error says what is wrong."""
        if not data and not (isinstance(original, dict) and set(original) & set(self.fields)):
            raise problem("nothing_to_change", "Name at least one of email, sms, zalo, unsubscribed_non_essential.")


class LogQuery(PageQuery):
    organisation_id = fields.String()
    status = fields.String(validate=validate.OneOf(STATUSES))
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    template = fields.String(validate=validate.Length(max=60))
