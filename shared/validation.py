"""Marshmallow at the RPC edge, reported as field-level :class:`InvalidInput`.

Every service loads its RPC arguments with its own schemas through
:func:`load`, so a bad argument from any caller becomes a 422 with one entry
per field instead of a stack trace.  Custom validators raise :func:`problem`
so each message carries a stable code the gateway can translate.

A request is refused in at most two answers, each naming every broken field:
first everything the body says on its own (the schema, with its field and
schema-level rules: :func:`problems`, :func:`failed`), then everything that
needs stored state, together (:func:`gather`).  A client that fixes what the
first answer lists is not told of another field it could have fixed then.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from functools import cache
from typing import Any

from marshmallow import Schema, ValidationError, fields

from shared import public_text
from shared.errors import InvalidInput, KetnoiError, NotFound, field_error
from shared.reference.provinces import ProvinceMerged, UnknownProvince, check_province, rollup

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


def problems(found: Iterable[ValidationError]) -> None:
    """Raise every problem a schema-level rule ``found`` (each made by :func:`problem`) as one error.

    A rule that checks several fields names each broken one: raising the first
    would leave the others for the next submission.
    """
    messages: dict[str, list[Any]] = {}
    for error in found:
        messages.setdefault(error.field_name, []).extend(error.messages)
    if messages:
        raise ValidationError(messages)


_PARTIAL_WHEN_WRONG = (fields.Nested, fields.List, fields.Dict)


def failed(schema: Schema, data: Mapping[str, Any], original: Any, *names: str) -> bool:
    """Whether any of ``names`` was sent but is wrong on its own.

    For schema-level rules, which run beside the fields' own errors
    (``skip_on_field_errors=False``): a rule reading a wrong field stays
    silent, for the field's own error says what is wrong and a rule built on
    the rest of it would only pile on.  A wrong scalar is left out of
    ``data``; a wrong object, list or map is kept with its valid part only,
    so it is checked again here, on its own.
    """
    if not isinstance(original, Mapping):
        return True  # not an object at all: its own error says so
    for name in names:
        field = schema.fields[name]
        key = field.data_key or name
        if key not in original:
            continue
        if name not in data:
            return True
        if isinstance(field, _PARTIAL_WHEN_WRONG):
            try:
                field.deserialize(original[key])
            except ValidationError:
                return True
    return False


def items_as_sent(schema: Schema, original: Any, name: str) -> list[tuple[int, Any, dict[str, Any]]]:
    """The objects of the list field ``name``, each with its position in the body, as sent, and what of it is
    valid on its own: for rules across a list's objects, which run beside the fields' own errors.  (``data``
    drops an item sent as null, and the positions after it would no longer be the body's.)"""
    field = schema.fields[name]
    sent = original.get(field.data_key or name) if isinstance(original, Mapping) else None
    if not isinstance(field, fields.List) or not isinstance(sent, list):
        return []
    found = []
    for i, item in enumerate(sent):
        try:
            found.append((i, item, field.inner.deserialize(item)))
        except ValidationError as exc:
            found.append((i, item, exc.valid_data if isinstance(exc.valid_data, dict) else {}))
    return found


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
    if message.startswith(
        (
            "Must be one of",
            "Must be greater",
            "Must be less",
            "Length must",
            "Shorter than",
            "Longer than",
            "Must be at least",
            "Must be between",
        )
    ):
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
            found.extend(
                flatten(item, prefix)
                if isinstance(item, (dict, list))
                else [field_error(prefix or "body", _code_for(item), str(item), **getattr(item, "params", {}))]
            )
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
        raise InvalidInput(
            "The request body must be a JSON object.",
            code="body_not_object",
            errors=[field_error("body", "invalid_type", "Expected a JSON object.")],
        )
    try:
        return schema.load(data, partial=partial)
    except ValidationError as exc:
        raise InvalidInput("Some fields are not valid.", errors=flatten(exc.messages)) from None


def province_problem(slug: str, on: date | None) -> Problem | None:
    """What is wrong with ``slug`` as a province on ``on`` (an edition's first day); ``on`` None: on any day,
    before or after the 2025 merger."""
    try:
        if on is None:
            rollup(slug)
        else:
            check_province(slug, on)
    except ProvinceMerged as exc:
        return Problem(
            "province_merged",
            f"{slug} is no longer a province on {exc.on.isoformat()}: since 2025-07-01 it is part of "
            f"{exc.successor_name} ({exc.successor_slug}).",
            province=slug,
            successor=exc.successor_slug,
            successor_name=exc.successor_name,
        )
    except UnknownProvince:
        return Problem("unknown_province", f"{slug!r} is not a Vietnamese province.", province=slug)
    return None


def known_province(value: str) -> None:
    """Validator: a province of either list, the 63 before 2025-07-01 or the 34 after.  A form for an edition is
    checked against the edition's date once the edition is read; a name in neither list is wrong on any date."""
    found = province_problem(value, None)
    if found:
        raise ValidationError(found)


def current_province(value: str) -> None:
    """Validator: a province today (what an organisation or product on file names, outside any edition)."""
    found = province_problem(value, date.today())
    if found:
        raise ValidationError(found)


def province_error(field: str, slug: str, on: date) -> dict[str, Any] | None:
    """A field error when ``slug`` is not a province on ``on`` (an edition's first day)."""
    found = province_problem(slug, on)
    return field_error(field, found.code, str(found), **found.params) if found else None


def require_provinces(on: date, **named: str | None) -> None:
    """422 naming every field whose province is not one on ``on``; empty fields are the schema's business."""
    errors = [e for f, slug in named.items() if slug is not None for e in [province_error(f, slug, on)] if e]
    if errors:
        raise InvalidInput("Some provinces are not valid for this edition's date.", errors=errors)


def gather(*rules: Callable[[], Any]) -> list[Any]:
    """Run every rule of one request that needs stored state, then refuse once, naming each field any refused.

    Each rule returns a value (in the answer's list, in order) or raises an
    :class:`InvalidInput`, or a :class:`NotFound` for an id that names
    nothing, with its field errors.  One refusal is raised as it is; several
    of one kind and code become one of that kind listing all their fields;
    several kinds become a 422 listing every field.  Anything else (no field
    errors: a conflict, a missing right) is no answer about fields and is
    raised at once.
    """
    results: list[Any] = []
    refused: list[KetnoiError] = []
    for rule in rules:
        try:
            results.append(rule())
        except (InvalidInput, NotFound) as exc:
            if not exc.errors:
                raise
            refused.append(exc)
            results.append(None)
    if len(refused) == 1:
        raise refused[0]
    if refused:
        first, errors = refused[0], [e for exc in refused for e in exc.errors]
        if all(type(exc) is type(first) and exc.code == first.code for exc in refused):
            details = {exc.detail for exc in refused}
            raise type(first)(
                first.detail if len(details) == 1 else "Some fields are not valid.", code=first.code, errors=errors
            )
        raise InvalidInput("Some fields are not valid.", errors=errors)
    return results
