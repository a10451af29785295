"""Marshmallow at the RPC edge, reported as field-level :class:`InvalidInput`.

Every service loads its RPC arguments with its own schemas through
:func:`load`, so a bad argument from any caller becomes a 422 with one entry
per field instead of a stack trace.  Custom validators raise :func:`problem`
so each message carries a stable code the gateway can translate.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from marshmallow import Schema, ValidationError

from shared import public_text
from shared.errors import InvalidInput, field_error
from shared.reference.provinces import ProvinceMerged, UnknownProvince, check_province

# marshmallow's stock messages, by the code clients and translators rely on
_STOCK_CODES = {
    "Missing data for required field.": "required",
    "Unknown field.": "unknown_field",
    "Field may not be null.": "null",
    "Not a valid email address.": "invalid_email",
    "Not a valid URL.": "invalid_url",
    "Invalid input type.": "invalid_type",
    "Not a valid string.": "invalid_type",
    "Not a valid integer.": "invalid_type",
    "Not a valid boolean.": "invalid_type",
    "Not a valid list.": "invalid_type",
    "Not a valid mapping type.": "invalid_type",
    "Not a valid date.": "invalid_date",
    "Not a valid datetime.": "invalid_datetime",
    "Not a valid aware datetime.": "invalid_datetime",
    "Not a valid number.": "invalid_type",
    "Invalid value.": "invalid",
}


class Problem(str):
    """A validation message that remembers its code and parameters."""

    code: str
    params: dict[str, Any]

    def __new__(cls, code: str, message: str, **params: Any) -> Problem:
        obj = super().__new__(cls, message)
        obj.code = code
        obj.params = params
        return obj


def problem(code: str, message: str, field: str | None = None, **params: Any) -> ValidationError:
    """A ``ValidationError`` to raise from a validator, carrying ``code``.

    ``field`` attributes a schema-level rule to one field of the schema.
    """
    return ValidationError(Problem(code, message, **params), field_name=field or "_schema")


def public_name(value: str) -> None:
    """Validator for a name published to every province (see :mod:`shared.public_text`)."""
    kind = public_text.contact_details(value)
    if kind:
        raise problem("contact_in_public_text", public_text.MESSAGE, found=kind)


def _code_for(message: str) -> str:
    if isinstance(message, Problem):
        return message.code
    if message in _STOCK_CODES:
        return _STOCK_CODES[message]
    if message.startswith(("Must be one of", "Must be greater", "Must be less", "Length must",
                           "Shorter than", "Longer than", "Must be at least", "Must be between")):
        return "out_of_range"
    if message.startswith(("String does not match", "Does not match")):
        return "invalid_format"
    return "invalid"


def flatten(messages: Any, prefix: str = "") -> list[dict[str, Any]]:
    """marshmallow's nested message dict as a flat list of field errors."""
    if isinstance(messages, dict):
        found = []
        for key, value in messages.items():
            path = prefix if key == "_schema" else (f"{prefix}.{key}" if prefix else str(key))
            found.extend(flatten(value, path))
        return found
    if isinstance(messages, (list, tuple)):
        found = []
        for item in messages:
            found.extend(flatten(item, prefix) if isinstance(item, (dict, list)) else
                         [field_error(prefix or "body", _code_for(item), str(item),
                                      **getattr(item, "params", {}))])
        return found
    return [field_error(prefix or "body", _code_for(messages), str(messages), **getattr(messages, "params", {}))]


@cache
def schema_of(schema_class: type[Schema]) -> Schema:
    """One instance per schema class and process, shared by every request.

    marshmallow copies every declared field when a schema is constructed, and
    builds each nested schema again on first use: on the registration form
    that was a fifth of the gateway's CPU per request.  Instances hold no
    per-call state (marshmallow 4 has no ``context``), so sharing is safe.
    """
    return schema_class()


def load(schema_class: type[Schema], data: Any, *, partial: bool = False) -> Any:
    """Deserialise ``data`` or raise :class:`InvalidInput` listing every bad field."""
    schema = schema_of(schema_class)
    if data is None or (not isinstance(data, dict) and not schema.many):
        raise InvalidInput("The request body must be a JSON object.", code="body_not_object",
                           errors=[field_error("body", "invalid_type", "Expected a JSON object.")])
    try:
        return schema.load(data, partial=partial)
    except ValidationError as exc:
        raise InvalidInput("Some fields are not valid.", errors=flatten(exc.messages)) from None


def province_error(field: str, slug: str, on: date) -> dict[str, Any] | None:
    """A field error when ``slug`` is not a province on ``on`` (an edition's first day)."""
    try:
        check_province(slug, on)
    except ProvinceMerged as exc:
        return field_error(field, "province_merged",
                           f"{slug} is no longer a province on {on.isoformat()}: since 2025-07-01 it is part of "
                           f"{exc.successor_name} ({exc.successor_slug}).",
                           province=slug, successor=exc.successor_slug, successor_name=exc.successor_name)
    except UnknownProvince:
        return field_error(field, "unknown_province", f"{slug!r} is not a Vietnamese province.", province=slug)
    return None


def require_provinces(on: date, **fields: str | None) -> None:
    """422 naming every field whose province is not one on ``on``; empty fields are the schema's business."""
    errors = [e for f, slug in fields.items() if slug is not None for e in [province_error(f, slug, on)] if e]
    if errors:
        raise InvalidInput("Some provinces are not valid for this edition's date.", errors=errors)
