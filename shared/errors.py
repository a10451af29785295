"""Expected errors that cross service boundaries.

A service raises one of these at its RPC edge; nameko serialises the exception
arguments, and because every class is registered with
``deserialize_to_instance`` the gateway receives the same type back and maps
it to an RFC 9457 problem in one table.  Anything else that escapes a service
is a bug and becomes a 500 without details.

Messages are English; each error and each field problem carries a stable
``code`` (and ``params``) so the gateway can render it in Vietnamese too.
"""

from __future__ import annotations

from typing import Any

from nameko.exceptions import deserialize_to_instance


def field_error(field: str, code: str, message: str, **params: Any) -> dict[str, Any]:
    """One problem with one input field, addressed by a dotted path."""
    return {"field": field, "code": code, "message": message, "params": params}


class KetnoiError(Exception):
    """Base of every expected error; ``status`` is the HTTP status it maps to."""

    status = 400
    default_code = "bad_request"

    def __init__(
        self,
        detail: str = "",
        code: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.detail = detail
        self.code = code or self.default_code
        self.errors = errors or []
        self.extra = extra or {}
        super().__init__(detail, self.code, self.errors, self.extra)

    def __str__(self) -> str:
        return self.detail or self.code


@deserialize_to_instance
class InvalidInput(KetnoiError):
    """Well-formed request whose fields break a rule (422)."""

    status = 422
    default_code = "validation_failed"


@deserialize_to_instance
class BadRequest(KetnoiError):
    """A request that cannot be read at all (400)."""

    status = 400
    default_code = "bad_request"


@deserialize_to_instance
class Unauthorized(KetnoiError):
    status = 401
    default_code = "unauthorized"


@deserialize_to_instance
class Forbidden(KetnoiError):
    status = 403
    default_code = "forbidden"


@deserialize_to_instance
class NotFound(KetnoiError):
    status = 404
    default_code = "not_found"


@deserialize_to_instance
class Conflict(KetnoiError):
    """The request clashes with current state, e.g. a duplicate registration (409)."""

    status = 409
    default_code = "conflict"


@deserialize_to_instance
class Gone(KetnoiError):
    """What the request names existed but can no longer be used, e.g. an expired link (410)."""

    status = 410
    default_code = "gone"


@deserialize_to_instance
class PreconditionFailed(KetnoiError):
    """``If-Match`` named a version that is no longer current (412)."""

    status = 412
    default_code = "precondition_failed"


@deserialize_to_instance
class PreconditionRequired(KetnoiError):
    status = 428
    default_code = "precondition_required"


@deserialize_to_instance
class PayloadTooLarge(KetnoiError):
    status = 413
    default_code = "payload_too_large"


@deserialize_to_instance
class UnsupportedMediaType(KetnoiError):
    """A body in a format the API does not read (RFC 9110 §15.5.16: 415, not 400)."""

    status = 415
    default_code = "unsupported_media_type"


@deserialize_to_instance
class ServiceUnavailable(KetnoiError):
    """A dependency did not answer in time; the client may retry later (503)."""

    status = 503
    default_code = "service_unavailable"
