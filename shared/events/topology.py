"""RabbitMQ topology: exchanges, handler queues, retry and dead-letter queues.

nameko publishes events with ``mandatory=False``, so an event sent before its
consumer's queue exists is dropped.  Every queue is therefore durable and
declared from the code that consumes it, both when a consumer starts and by
``python -m shared.events.declare <service modules>`` before any service
starts (``make up``, the k8s init container, compose's one-shot job).  This
module only names and declares queues; finding a service's handlers is
:mod:`shared.events.declare`'s job, so the consumer can use it without a cycle.

Per handler ``ketnoi.<service>.<handler>``:
- the queue itself, bound to ``ketnoi.events`` for each event type it handles;
- one retry queue per backoff step (``….retry.<seconds>s``) whose messages
  expire after that delay and dead-letter back into the handler's queue, one
  TTL per queue so a long delay never holds up a short one;
- ``….dead``: messages that failed every retry or could not be read, for ops
  to inspect and replay (``python -m shared.events.deadletters``).

``ketnoi.public``, the only exchange a province's credentials may bind to,
is fed by the outbox relays themselves (:mod:`shared.events.publisher`), under
keys that name a province (:mod:`shared.events.routing`).  It is not bound to
``ketnoi.events``: that exchange's keys are bare event types, which would
carry every province's events to whoever may bind ``#``.
"""

from __future__ import annotations

from dataclasses import dataclass

from kombu import Connection, Exchange, Queue, binding

from shared.config import settings
from shared.events.catalogue import public_types


def events_exchange() -> Exchange:
    return Exchange(settings().events_exchange, type="topic", durable=True)


def public_exchange() -> Exchange:
    return Exchange(settings().public_exchange, type="topic", durable=True)


@dataclass(frozen=True)
class HandlerQueues:
    """The queues that belong to one event handler."""

    main: Queue
    retries: tuple[Queue, ...]
    dead: Queue


def handler_queues(service: str, handler: str, event_types: tuple[str, ...], backoff: tuple[int, ...]) -> HandlerQueues:
    name = f"ketnoi.{service}.{handler}"
    exchange = events_exchange()
    main = Queue(
        name,
        bindings=[binding(exchange, routing_key=t) for t in event_types],
        durable=True,
    )
    retries = tuple(
        Queue(
            f"{name}.retry.{seconds}s",
            durable=True,
            queue_arguments={
                "x-message-ttl": seconds * 1000,
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": name,
            },
        )
        for seconds in backoff
    )
    return HandlerQueues(main=main, retries=retries, dead=Queue(f"{name}.dead", durable=True))


def declare_exchanges(connection: Connection) -> None:
    """Both exchanges, each on its own.

    Brokers set up before province keys (2026-11) bound ``ketnoi.public`` to
    ``ketnoi.events`` for each public type; those bindings are durable and
    would keep copying every event, under its bare type, to anyone who may
    bind ``#``, so they are removed (a no-op where they do not exist).
    """
    channel = connection.default_channel
    events = events_exchange()(channel)
    events.declare()
    public = public_exchange()(channel)
    public.declare()
    for event_type in public_types():
        public.unbind_from(events, routing_key=event_type)


def declare_handler(connection: Connection, queues: HandlerQueues) -> None:
    channel = connection.default_channel
    for queue in (queues.main, *queues.retries, queues.dead):
        queue(channel).declare()
