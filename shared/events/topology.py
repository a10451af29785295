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

All three kinds are **quorum queues**: replicated by Raft across a cluster, so
losing a node loses none of their messages (a classic queue lives on one node).
A quorum queue counts how often each message went back to it unacked (its
consumer died, lost its connection or requeued it).  The consumer counts its
own attempts in a header and parks what keeps failing (see
:mod:`shared.events.consumer`); what it can never count is a message that kills
the process before it settles.  The handler queue's ``x-delivery-limit`` is the
backstop for that: after :data:`DELIVERY_LIMIT` returns the broker itself
dead-letters the message into ``….dead``.  Dead-lettering (that one, and a
retry queue's expired messages back to the handler queue) is *at-least-once*:
the broker keeps a message until the target queue has taken it, where the
default would drop it if the target were missing or full.  ``….dead`` has no
limit: listing it (``deadletters list``) returns every message to it, and on
3.x there is no value that means "unlimited".

Every declaration of a queue must carry the same arguments (RabbitMQ refuses a
redeclaration with others: PRECONDITION_FAILED), so the consumer, the
topology job and the tests all build them here.  A deployment whose queues
predate these arguments moves to them with ``python -m shared.events.declare
--migrate`` (:mod:`shared.events.migrate`).  Queues that stay classic are
nameko's RPC queues, which this module does not declare: ``rpc-<service>`` and
the per-process reply queues (see the README, "Quorum queues").

``ketnoi.public``, the only exchange a province's credentials may bind to,
is fed by the outbox relays themselves (:mod:`shared.events.publisher`), under
keys that name a province (:mod:`shared.events.routing`).  It is not bound to
``ketnoi.events``: that exchange's keys are bare event types, which would
carry every province's events to whoever may bind ``#``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from amqp.exceptions import PreconditionFailed
from kombu import Connection, Exchange, Queue, binding

from shared.config import settings
from shared.events.catalogue import public_types

QUORUM: dict[str, Any] = {"x-queue-type": "quorum"}
# Returns of one message to its handler queue before the broker parks it.  A return is not a failed
# attempt (those are republished, each a new message): it happens when a consumer holding the message
# goes away, which healthy operation does about once per restart or broker outage.  Ten in a row mean
# the message itself is what brings the consumer down.  Changing it changes the queue's arguments:
# a migration (README, "Quorum queues").
DELIVERY_LIMIT = 10


class TopologyMismatch(RuntimeError):
    """A queue exists with other arguments than the ones declared here (a classic queue from before
    quorum queues, say): RabbitMQ refused to redeclare it."""


def dead_lettering_to(queue: str) -> dict[str, Any]:
    """Arguments that dead-letter into ``queue`` at least once (which needs ``reject-publish`` overflow)."""
    return {
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": queue,
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }


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

    def every(self) -> tuple[Queue, ...]:
        return (self.main, *self.retries, self.dead)


def handler_queues(service: str, handler: str, event_types: tuple[str, ...], backoff: tuple[int, ...]) -> HandlerQueues:
    name = f"ketnoi.{service}.{handler}"
    exchange = events_exchange()
    main = Queue(
        name,
        bindings=[binding(exchange, routing_key=t) for t in event_types],
        durable=True,
        queue_arguments={**QUORUM, "x-delivery-limit": DELIVERY_LIMIT, **dead_lettering_to(f"{name}.dead")},
    )
    retries = tuple(
        Queue(
            f"{name}.retry.{seconds}s",
            durable=True,
            queue_arguments={**QUORUM, "x-message-ttl": seconds * 1000, **dead_lettering_to(name)},
        )
        for seconds in backoff
    )
    dead = Queue(f"{name}.dead", durable=True, queue_arguments=dict(QUORUM))
    return HandlerQueues(main=main, retries=retries, dead=dead)


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
    for queue in queues.every():
        try:
            queue(channel).declare()
        except PreconditionFailed as exc:
            raise TopologyMismatch(
                f"{queue.name} exists with other arguments than ketnoi declares ({exc.reply_text}); with its "
                "consumers stopped, `python -m shared.events.declare --migrate <service modules>` moves it "
                '(README, "Quorum queues")'
            ) from exc
