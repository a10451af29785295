"""Marshmallow schemas at the integrations service's RPC edge."""

from __future__ import annotations

from fnmatch import fnmatchcase
from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields, validate

from integrations.events import PUBLIC
from shared.config import settings
from shared.pages import PageQuery
from shared.validation import Problem, current_province

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def endpoint(value: str) -> None:
    """HTTPS only: the body is public but the signature's secret and the receiver's answers are not.
    Development mode takes endpoints on this machine only, plain HTTP too (the tests' receivers): a local
    stack or a test run never sends events anywhere else."""
    parts = urlsplit(value)
    if settings().dev_mode:
        if parts.scheme in ("http", "https") and parts.hostname in LOOPBACK:
            return
        raise ValidationError(
            Problem(
                "webhook_url_not_local",
                "In development mode a webhook URL must name 127.0.0.1 or localhost.",
                url=value,
            )
        )
    if parts.scheme == "https" and parts.hostname:
        return
    raise ValidationError(Problem("webhook_url_not_https", "A webhook URL must start with https://.", url=value))


def event_pattern(value: str) -> None:
    """An event type, or a pattern with ``*`` (``vn.ketnoi.registration.*``) naming at least one public type."""
    if not any(fnmatchcase(t, value) for t in PUBLIC):
        raise ValidationError(Problem("unknown_event_type", f"{value!r} names no public event type.", pattern=value))


class WebhookIn(Schema):
    url = fields.String(required=True, validate=[validate.Length(max=2000), endpoint])
    event_types = fields.List(
        fields.String(validate=event_pattern), required=True, validate=validate.Length(min=1, max=50)
    )
    province = fields.String(validate=current_province)


class FeedQuery(Schema):
    after = fields.String(validate=validate.Length(max=200))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class DeliveriesQuery(PageQuery):
    """A webhook's delivery log pages like every list (``limit`` 1–200, ``cursor``)."""
