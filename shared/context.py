"""The request id: from the gateway's ``X-Request-ID`` into every log line, RPC and event.

nameko carries a worker's context data in the headers of every RPC it makes
(the gateway puts the request id there), and an event handler's comes from
the event's ``correlationid`` (:mod:`shared.events.consumer`).
:class:`RequestContext` makes it current for the worker's green thread
(:mod:`shared.logs`), where the log formatter and the event builders find it
without any handler passing it by hand, and logs one line per RPC or event
handled, with its status and duration.
"""

from __future__ import annotations

import logging
import time
from contextvars import Token

from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc

from shared.errors import KetnoiError
from shared.events.consumer import EventHandler
from shared.logs import LogScope, current_scope, enter_scope, leave_scope

REQUEST_ID_KEY = "request_id"
# health checks: every probe would be a line at INFO
QUIET_METHODS = frozenset({"ping"})
log = logging.getLogger(__name__)


def current_request_id() -> str | None:
    return current_scope().request_id


def outcome(exc: BaseException | None, expected: type | tuple[type, ...] = ()) -> str:
    """``ok``, ``rejected`` (the caller's error, or an event that must wait) or ``error`` (a bug, an outage)."""
    if exc is None:
        return "ok"
    if (isinstance(exc, KetnoiError) and exc.status < 500) or isinstance(exc, expected):
        return "rejected"
    return "error"


class RequestContext(DependencyProvider):
    """Makes the caller's request id current for the worker, logs what it handled; injects the id too."""

    def setup(self) -> None:
        self._running: dict[int, tuple[float, Token[LogScope]]] = {}

    def worker_setup(self, worker_ctx) -> None:
        entrypoint = worker_ctx.entrypoint
        correlation_id = None
        if isinstance(entrypoint, EventHandler) and worker_ctx.args and isinstance(worker_ctx.args[0], dict):
            correlation_id = worker_ctx.args[0].get("correlationid")
        scope = LogScope(
            request_id=worker_ctx.data.get(REQUEST_ID_KEY),
            correlation_id=correlation_id,
            handler=f"{worker_ctx.service_name}.{entrypoint.method_name}",
        )
        self._running[id(worker_ctx)] = (time.perf_counter(), enter_scope(scope))

    def worker_result(self, worker_ctx, result=None, exc_info=None) -> None:
        started, _ = self._running.get(id(worker_ctx), (None, None))
        entrypoint = worker_ctx.entrypoint
        if started is None or not isinstance(entrypoint, (Rpc, EventHandler)):
            return  # HTTP routes have the gateway's access line; timers run every second
        exc = exc_info[1] if exc_info else None
        extra = {
            "status": outcome(exc, entrypoint.expected_exceptions),
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        }
        if exc is not None:
            extra["error"] = exc.code if isinstance(exc, KetnoiError) else type(exc).__name__
        if isinstance(entrypoint, EventHandler):
            event = worker_ctx.args[0]
            extra.update(event_id=event.get("id"), event_type=event.get("type"))
            what = f"event {event.get('type')}"
        else:
            what = "rpc"
        level = logging.DEBUG if entrypoint.method_name in QUIET_METHODS else logging.INFO
        log.log(level, "handled %s %s: %s", what, current_scope().handler, extra["status"], extra=extra)

    def worker_teardown(self, worker_ctx) -> None:
        running = self._running.pop(id(worker_ctx), None)
        if running is not None:
            leave_scope(running[1])

    def get_dependency(self, worker_ctx) -> str | None:
        return worker_ctx.data.get(REQUEST_ID_KEY)
