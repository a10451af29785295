"""nameko entrypoints configured the way every ketnoi service uses them.

Errors of :mod:`shared.errors` are the expected answers of an RPC (a 404, a
409): declaring them ``expected_exceptions`` keeps them out of the error logs
that ops alert on, while real bugs are still logged with their stack.  A
broker outage while a reply is on its way is survived, not fatal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from nameko.rpc import Rpc, RpcConsumer

from shared.errors import KetnoiError
from shared.reconnect import QuickQueueConsumer

F = TypeVar("F", bound=Callable)
log = logging.getLogger(__name__)


class OutageProofRpcConsumer(RpcConsumer):
    """nameko's RPC consumer, except that a reply or ack the broker cannot take kills nothing (and it finds
    the broker again within 2 s of its return, :mod:`shared.reconnect`).

    nameko publishes an RPC's reply after its worker finished; with the broker
    away that raises inside the worker's thread and nameko kills the whole
    container ("killing N active workers"), every other request with it.  The
    caller has timed out by then (503 with ``Retry-After``); the request was not
    acked, so the broker delivers it again once it is back, and every command is
    safe to run twice (unique keys, version guards).
    """

    def handle_result(self, message, result, exc_info):
        try:
            return super().handle_result(message, result, exc_info)
        except Exception as exc:
            log.warning(
                "could not reply to %s (%s: %s): the caller has given up; the broker redelivers the request",
                message.delivery_info.get("routing_key"),
                type(exc).__name__,
                exc,
            )
            return result, exc_info

    queue_consumer = QuickQueueConsumer()


class OutageProofRpc(Rpc):
    rpc_consumer = OutageProofRpcConsumer()


def rpc(fn: F) -> F:
    """``@rpc`` that survives a broker outage, with every :class:`KetnoiError` declared expected.

    (nameko's bare ``@rpc`` form drops keyword arguments, hence the call form here.)
    """
    return OutageProofRpc.decorator(expected_exceptions=KetnoiError)(fn)
