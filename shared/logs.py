"""One JSON object per line, the same way in every process of the system.

Ops follow one request across services with ``grep <request id>``: that only
works if every process writes the same fields the same way.  Every line has
``time`` (RFC 3339, UTC), ``level``, ``service``, ``logger``, ``message``,
``request_id``, ``correlation_id`` and ``handler`` (``null`` where there is
none); lines about one unit of work add ``status``, ``duration_ms`` and
whatever else the caller passed as ``extra``.

The request-scoped fields come from :data:`_scope`, a context variable:
greenlet gives every green thread a context of its own (a new one starts
empty), so two workers of one process never see each other's ids
(``tests/unit/test_log_context.py`` checks it under eventlet).  The nameko
side that fills it per worker is :mod:`shared.context`; this module needs
only the standard library and python-json-logger, so the store and the
``make up`` supervisor (outside the services' virtualenv) log alike.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import IO, Any

from pythonjsonlogger.core import RESERVED_ATTRS, merge_record_extra
from pythonjsonlogger.json import JsonFormatter

EXPECTED_PREFIX = "(expected) error handling worker"
# LogRecord attributes that are no ``extra`` (``taskName`` appears with Python 3.12)
NOT_EXTRA = frozenset(RESERVED_ATTRS) | {"taskName"}
REQUIRED_KEYS = ("time", "level", "service", "logger", "message", "request_id", "correlation_id", "handler")


@dataclass(frozen=True)
class LogScope:
    """What the current unit of work is: the request it serves, the event it handles, the entrypoint."""

    request_id: str | None = None
    correlation_id: str | None = None  # the ``correlationid`` of the event being handled
    handler: str | None = None  # ``service.method`` of the RPC, event handler, timer or route


OUTSIDE_WORK = LogScope()  # frozen: one value every green thread may start from
_scope: ContextVar[LogScope] = ContextVar("ketnoi_log_scope", default=OUTSIDE_WORK)


def current_scope() -> LogScope:
    return _scope.get()


def enter_scope(scope: LogScope) -> Token[LogScope]:
    """Make ``scope`` current in this green thread; give the token to :func:`leave_scope` from the same one."""
    return _scope.set(scope)


def leave_scope(token: Token[LogScope]) -> None:
    _scope.reset(token)


@contextmanager
def scoped(**fields: str | None) -> Iterator[LogScope]:
    """The current scope with ``fields`` replaced, for the duration of the block."""
    token = _scope.set(replace(_scope.get(), **fields))
    try:
        yield _scope.get()
    finally:
        _scope.reset(token)


def rfc3339(created: float) -> str:
    """``2026-11-27T10:37:19.492Z``: milliseconds, always UTC, sortable as text."""
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonLines(JsonFormatter):
    """python-json-logger's formatter with the fields every ketnoi line has, in a fixed order."""

    def __init__(self, service: str) -> None:
        super().__init__(json_ensure_ascii=False, json_default=str)
        self.service = service

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        scope = _scope.get()
        log_data.update(
            {
                "time": rfc3339(record.created),
                "level": record.levelname,
                "service": self.service,
                "logger": record.name,
                "message": record.message,
                "request_id": scope.request_id,
                "correlation_id": scope.correlation_id,
                "handler": scope.handler,
            }
        )
        log_data.update(message_dict)
        # ``extra={...}`` of the call: status, duration_ms, and what a line about one unit of work adds
        merge_record_extra(record, log_data, reserved=NOT_EXTRA)


class ExpectedErrorsInOneLine(logging.Filter):
    """nameko logs an *expected* exception (a caller's 4xx, an event that must wait for another one) as a
    warning **with its traceback**: one bad form filled the log with stack traces that point at no bug.
    Expected errors keep their one line; unexpected ones keep their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "nameko.containers" and str(record.msg).startswith(EXPECTED_PREFIX):
            record.exc_info = None
            record.exc_text = None
        return True


class Demote(logging.Filter):
    """Chatter a library logs at INFO or WARNING that tells ops nothing, moved to DEBUG.

    ``always``: messages starting with one of these are DEBUG every time (a
    ping).  ``repeats``: messages starting with one of these keep their level
    the first time in ``window`` seconds and are DEBUG until then (a fallback
    the store takes on every pass of a timer).  Attach it to the logger that
    emits them, so the handler's level drops what became DEBUG.
    """

    def __init__(self, always: tuple[str, ...] = (), repeats: tuple[str, ...] = (), window: float = 3600.0) -> None:
        super().__init__()
        self.always = always
        self.repeats = repeats
        self.window = window
        self._last: dict[str, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if text.startswith(self.always):
            self._to_debug(record)
        elif text.startswith(self.repeats):
            now = time.monotonic()
            if now - self._last.get(text, -self.window) < self.window:
                self._to_debug(record)
            else:
                self._last[text] = now
        return True

    @staticmethod
    def _to_debug(record: logging.LogRecord) -> None:
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"


def json_handler(service: str, stream: IO[str] | None = None) -> logging.Handler:
    """The one handler every process logs through (nameko's ``LOGGING`` names it in each config.yaml).

    Python warnings are routed to logging too: printed raw they would be the
    one line of a log that is not JSON.
    """
    logging.captureWarnings(True)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonLines(service))
    handler.addFilter(ExpectedErrorsInOneLine())
    return handler


def configure(service: str, level: str = "INFO", stream: IO[str] | None = None) -> logging.Handler:
    """For processes that are no nameko service (the store, ``make up``): the root logger, through JSON."""
    handler = json_handler(service, stream)
    handler.setLevel(level)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    return handler
