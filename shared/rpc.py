"""RPC to the owning services with a deadline.

nameko's ``RpcProxy`` waits for a reply forever.  A gateway must answer (and a
consumer must not hang on a peer that is down), so
:class:`ServiceRpc` waits at most ``KETNOI_RPC_TIMEOUT`` seconds and turns a
missing service, a broker outage or a late reply into ``ServiceUnavailable``
(503 with ``Retry-After``).  A late reply is discarded by nameko's reply
listener when it arrives.
"""

from __future__ import annotations

from typing import Any

import eventlet
from kombu.exceptions import OperationalError
from nameko.exceptions import UnknownService
from nameko.rpc import RpcProxy

from shared.config import settings
from shared.errors import ServiceUnavailable
from shared.reconnect import QuickReplyListener


class _DeadlineProxy:
    def __init__(self, proxy: Any, service: str, timeout: float) -> None:
        self._proxy = proxy
        self._service = service
        self._timeout = timeout

    def __getattr__(self, method: str):
        def call(*args: Any, **kwargs: Any) -> Any:
            # the deadline covers the publish too: with the broker away nameko retries it for seconds
            try:
                with eventlet.Timeout(self._timeout):
                    reply = getattr(self._proxy, method).call_async(*args, **kwargs)
                    return reply.result()
            except (UnknownService, OperationalError, OSError) as exc:
                raise ServiceUnavailable(
                    f"The {self._service} service is not reachable ({type(exc).__name__}).",
                    extra={"service": self._service},
                ) from None
            except eventlet.Timeout:
                raise ServiceUnavailable(
                    f"The {self._service} service did not answer within {self._timeout:g}s.",
                    extra={"service": self._service},
                ) from None

        return call


class ServiceRpc(RpcProxy):
    """``RpcProxy`` whose calls give up after the configured deadline (or ``timeout``, for known long calls)."""

    rpc_reply_listener = QuickReplyListener()

    def __init__(self, target_service: str, timeout: float | None = None, **options: Any) -> None:
        super().__init__(target_service, **options)
        self.timeout = timeout

    def get_dependency(self, worker_ctx) -> _DeadlineProxy:
        return _DeadlineProxy(
            super().get_dependency(worker_ctx), self.target_service, self.timeout or settings().rpc_timeout
        )
