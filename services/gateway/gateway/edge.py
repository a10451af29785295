"""Reading HTTP requests at the edge: body shape, query strings, ETags, the caller."""

from __future__ import annotations

import re
from typing import Any

from kombu import Connection
from marshmallow import Schema

from gateway.request import Request
from shared.config import settings
from shared.errors import InvalidInput, PreconditionRequired
from shared.validation import flatten, schema_of


def broker_reachable(timeout: float = 0.8) -> bool:
    try:
        with Connection(settings().amqp_uri, connect_timeout=timeout) as connection:
            connection.ensure_connection(max_retries=1, timeout=timeout)
        return True
    except Exception:
        return False


def json_object(body: Any) -> dict[str, Any]:
    """A body that is a JSON object, as every body of the API is (the services answer the same otherwise)."""
    if not isinstance(body, dict):
        raise InvalidInput(
            "The request body must be a JSON object.",
            code="body_not_object",
            errors=[{"field": "body", "code": "invalid_type", "message": "Expected a JSON object.", "params": {}}],
        )
    return body


def checked(schema_class: type[Schema], body: Any) -> Any:
    """A body the gateway reads itself, refused here if it does not fit; passed on unchanged."""
    errors = schema_of(schema_class).validate(json_object(body))
    if errors:
        raise InvalidInput("Some fields are not valid.", errors=flatten(errors))
    return body


def query_of(request: Request, schema_class: type[Schema]) -> dict[str, Any]:
    raw = {k: v for k, v in request.args.items()}
    errors = schema_of(schema_class).validate(raw)
    if errors:
        raise InvalidInput("Some query parameters are not valid.", errors=flatten(errors))
    return raw


def prefers_async(request: Request) -> bool:
    """RFC 7240 ``Prefer: respond-async``: the client would rather poll than wait for a long computation."""
    preferences = (p.split(";")[0].strip().lower() for p in request.headers.get("Prefer", "").split(","))
    return "respond-async" in preferences


def actor(request: Request) -> dict[str, Any] | None:
    return request.principal.as_dict() if request.principal else None


ETAG = re.compile(r"v[0-9]{1,15}")  # ASCII digits only ("v²" is not a version), and a number BSON can hold


def etag(doc: dict[str, Any]) -> str:
    return f'"v{doc["version"]}"'


def expected_version(request: Request) -> int | None:
    """The version named by ``If-Match``; updates without it could silently undo someone's edit.

    ``If-Match: *`` (RFC 9110: any current representation) is None: the update applies to whatever
    version is current, and only a change racing with it is a 412.
    """
    header = (request.headers.get("If-Match") or "").strip()
    if not header:
        raise PreconditionRequired("Send If-Match with the ETag you last read.")
    if header == "*":
        return None
    tag = header.removeprefix("W/").strip('"')
    if not ETAG.fullmatch(tag):
        raise InvalidInput(
            "If-Match must be an ETag this API gave you.",
            code="validation_failed",
            errors=[{"field": "If-Match", "code": "invalid_format", "message": "Not an ETag.", "params": {}}],
        )
    return int(tag[1:])


def with_etag(status: int, doc: dict[str, Any], location: str | None = None) -> tuple:
    headers = {"ETag": etag(doc)}
    if location:
        headers["Location"] = location
    return status, headers, doc
