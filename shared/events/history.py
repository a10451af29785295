"""Each province's history of public events, kept by the broker for replay: one RabbitMQ stream per province.

A province that joins after registration opened, or whose consumer was away
longer than its queue lived, rebuilds its view by reading its stream from the
start (AMQP 0-9-1: ``basic.consume`` with ``x-stream-offset`` ``first``, an
offset, or a timestamp; a prefetch is required and every message is acked).
``history.<slug>`` is bound to ``ketnoi.public`` with the province's own keys
and the national ones (:mod:`shared.events.routing`), exactly what its live
queues may bind, so it holds nothing the province may not read.

One stream per province rather than one stream with RabbitMQ's stream
filtering: filtering (3.13, and only over the stream protocol) is a hint the
client applies, not an authorisation, so a province reading a shared stream
could read every province; per-province streams keep the broker's permission
check (:mod:`shared.events.provinces`: a province may read its own stream and
not configure or delete it).

Streams keep events for ``KETNOI_HISTORY_MAX_AGE`` (default ``400D``: an
edition's registration months, the days themselves and a year of follow-up)
and are declared by the topology job with the exchanges.  The same history is
served over HTTP by the integrations service for those without AMQP.
"""

from __future__ import annotations

from kombu import Connection, Queue, binding

from shared.config import settings
from shared.events.catalogue import NATIONAL
from shared.events.topology import public_exchange
from shared.reference.provinces import MERGER_DATE, provinces_on

PREFIX = "history."


def stream_name(province: str) -> str:
    return f"{PREFIX}{province}"


def provinces() -> list[str]:
    """The 34 units since 2025-07-01: public events name no other (:mod:`shared.events.routing`)."""
    return sorted(provinces_on(MERGER_DATE))


def history_stream(province: str) -> Queue:
    exchange = public_exchange()
    return Queue(
        stream_name(province),
        bindings=[binding(exchange, routing_key=f"{province}.#"), binding(exchange, routing_key=f"{NATIONAL}.#")],
        durable=True,
        queue_arguments={"x-queue-type": "stream", "x-max-age": settings().history_max_age},
    )


def declare_history(connection: Connection) -> list[str]:
    """Every province's stream with its bindings (idempotent: the same arguments each time)."""
    channel = connection.default_channel
    names = []
    for province in provinces():
        queue = history_stream(province)(channel)
        queue.declare()
        names.append(queue.name)
    return names
