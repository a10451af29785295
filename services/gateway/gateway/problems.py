"""Exceptions to RFC 9457 ``application/problem+json`` responses, in one table.

Expected errors (:mod:`shared.errors`) keep their status, code and field
errors; anything else is logged with its stack and answered with a bare 500
that reveals nothing but the request id to quote to support.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from nameko.exceptions import RemoteError
from pymongo.errors import ConnectionFailure
from werkzeug.wrappers import Response

from gateway.messages import field_message, title
from shared.errors import KetnoiError, ServiceUnavailable

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = 5


# pymongo's "cannot reach the store right now" errors, by class name as they arrive from a service in a RemoteError
STORE_UNREACHABLE = frozenset(
    {
        "AutoReconnect",
        "ConnectionFailure",
        "NetworkTimeout",
        "NotPrimaryError",
        "ServerSelectionTimeoutError",
        "WaitQueueTimeoutError",
    }
)


def unreachable_store(exc: BaseException) -> bool:
    """The store could not be reached, here (idempotency keys) or in the service that answered."""
    return isinstance(exc, ConnectionFailure) or (isinstance(exc, RemoteError) and exc.exc_type in STORE_UNREACHABLE)


def problem_response(exc: BaseException, language: str, instance: str, request_id: str | None) -> Response:
    if unreachable_store(exc):  # a 503 to retry, not a bug
        log.error("store unreachable on the way to an answer to %s: %s", instance, exc)
        exc = ServiceUnavailable("The data store is not reachable right now.", code="store_unavailable")
    if isinstance(exc, KetnoiError):
        status, code, detail = exc.status, exc.code, exc.detail
        errors = [{"field": e["field"], "code": e["code"], "message": field_message(e, language)} for e in exc.errors]
        extra = exc.extra
    else:
        log.error("unexpected error on %s", instance, exc_info=exc)
        status, code, detail, errors, extra = 500, "internal_error", "", [], {}
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": title(code, language, detail or code),
        "status": status,
        "detail": _detail(code, detail, language),
        "instance": instance,
        "code": code,
        "request_id": request_id,
    }
    if errors:
        body["errors"] = errors
    body.update({k: v for k, v in extra.items() if k not in body})
    response = Response(json.dumps(body, ensure_ascii=False, default=str), status=status, mimetype=PROBLEM_JSON)
    response.headers["Content-Language"] = language
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _detail(code: str, detail: str, language: str) -> str:
    """Services explain in English; in Vietnamese the translated title says it."""
    if language == "en" or not detail:
        return detail or title(code, language, code)
    return title(code, language, detail)
