"""The request id: from the gateway's ``X-Request-ID`` into every log line and event.

nameko carries context data in message headers from the gateway's worker to
the RPC worker (and from an event's ``correlationid`` into its handler).
:class:`RequestContext` puts it in a worker-local slot (green-thread local,
since ``nameko run`` monkey-patches ``threading``) where the log filter and
the event builders find it.
"""

from __future__ import annotations

import logging
import threading

from nameko.extensions import DependencyProvider

REQUEST_ID_KEY = "request_id"
_local = threading.local()


def current_request_id() -> str | None:
    return getattr(_local, "request_id", None)


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every log record (``-`` outside a worker)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True


class RequestContext(DependencyProvider):
    """Makes the caller's request id current for the worker; injects it too."""

    def worker_setup(self, worker_ctx) -> None:
        _local.request_id = worker_ctx.data.get(REQUEST_ID_KEY)

    def worker_teardown(self, worker_ctx) -> None:
        _local.request_id = None

    def get_dependency(self, worker_ctx) -> str | None:
        return worker_ctx.data.get(REQUEST_ID_KEY)
