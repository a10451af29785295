"""Bring an existing deployment's handler queues to the arguments :mod:`shared.events.topology` declares now:
``python -m shared.events.declare --migrate <service modules>``, with every consumer of those queues stopped.

A queue's type and arguments are fixed when it is created: RabbitMQ refuses to
redeclare a classic ``ketnoi.<service>.<handler>`` as a quorum queue
(PRECONDITION_FAILED), so the services' new version cannot start on a broker
set up by the old one.  A handler any of whose queues differs has all of them
moved, each under its own name, through a temporary quorum queue
``<queue>.migrating``:

1. *Aside*, retry queues first, then ``.dead``, then the handler queue: the
   temporary queue takes the queue's bindings, then the queue gives them up
   (an event published from now on lands in the temporary queue only); every
   message is moved to it (publisher confirms: a message is acked on the old
   queue only once the broker holds its copy), and the emptied queue is
   deleted.  Nothing else writes to it by then: its consumers are stopped, it
   is unbound, and the retry queues, which dead-letter into the handler
   queue, are already aside (with no TTL: nothing expires meanwhile).
2. *Back*, the handler queue first (so a retry queue's expired messages have
   somewhere to go): the queue is declared anew, with its bindings, *before*
   the temporary one gives them up (an event published in between lands in
   both, and the consumers' inbox drops the second copy: nothing falls
   between them); the temporary queue's messages are moved back, and it is
   deleted once empty.  A retry queue's messages wait their whole delay again.

RabbitMQ deletes a quorum queue only unconditionally (no if-empty), which is
why nothing may write to a queue being deleted.  Every step can be repeated:
a run cut off half-way is finished by the next, which finds the
``<queue>.migrating`` queues and carries on.  Messages are moved byte for byte
with their properties and headers, except the delivery count, which belongs to
the queue a message came from.
"""

from __future__ import annotations

import logging
import time

from amqp import Message
from amqp.exceptions import NotFound, PreconditionFailed
from kombu import Connection, Queue

from shared.events.topology import QUORUM, HandlerQueues

log = logging.getLogger(__name__)
TEMPORARY_SUFFIX = ".migrating"
EMPTYING_ROUNDS = 50


class MigrationRefused(RuntimeError):
    """Moving on would not be safe: a queue still has consumers, or something still writes to it (the
    services that use it must be stopped first)."""


def migrate_handlers(amqp_uri: str, handlers: list[HandlerQueues]) -> list[str]:
    """Move every queue of each handler that has one whose arguments differ (or that a cut-off run left
    half-moved); return the names moved.  None is moved while one of them has a consumer."""
    # publisher confirms: a message is acked on the queue it leaves only once the broker holds its copy
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        planned = [h for h in handlers if _differs(connection, h)]
        busy = {
            q.name: n
            for h in planned
            for q in h.every()
            if _exists(connection, q.name) and (n := _consumers(connection, q.name))
        }
        if busy:
            raise MigrationRefused(f"stop the consumers of {', '.join(f'{k} ({v})' for k, v in busy.items())} first")
        moved = []
        for queues in planned:
            for queue in (*queues.retries, queues.dead, queues.main):
                _move_aside(connection, queue)
            for queue in (queues.main, queues.dead, *queues.retries):
                _move_back(connection, queue)
                moved.append(queue.name)
            log.info("moved the queues of %s to their declared arguments", queues.main.name)
    return moved


def _differs(connection: Connection, queues: HandlerQueues) -> bool:
    """Does a queue of this handler exist with other arguments, or was it left half-moved?"""
    stale = [q.name for q in queues.every() if not _declares(connection, q)]
    return bool(stale) or any(_exists(connection, q.name + TEMPORARY_SUFFIX) for q in queues.every())


def _declares(connection: Connection, queue: Queue) -> bool:
    """Declare ``queue`` as the topology does (creating it where missing); False when it exists otherwise."""
    channel = connection.channel()
    try:
        queue(channel).declare()
    except PreconditionFailed:
        return False
    channel.close()
    return True


def _consumers(connection: Connection, name: str) -> int:
    channel = connection.channel()
    consumers = channel.queue_declare(name, passive=True).consumer_count
    channel.close()
    return consumers


def _exists(connection: Connection, name: str) -> bool:
    channel = connection.channel()
    try:
        channel.queue_declare(name, passive=True)
    except NotFound:
        return False
    channel.close()
    return True


def _routes(queue: Queue) -> list[tuple[str, str]]:
    return [(b.exchange.name, b.routing_key) for b in queue.bindings]


def _move_aside(connection: Connection, queue: Queue) -> None:
    """Step 1 for one queue: its bindings and messages to the temporary queue, then the queue deleted."""
    temporary = queue.name + TEMPORARY_SUFFIX
    channel = connection.channel()
    channel.queue_declare(temporary, durable=True, auto_delete=False, arguments=dict(QUORUM))
    for exchange, key in _routes(queue):
        channel.queue_bind(temporary, exchange, key)
    channel.close()
    if not _exists(connection, queue.name):
        return  # a cut-off run got this far
    channel = connection.channel()
    for exchange, key in _routes(queue):
        channel.queue_unbind(queue.name, exchange, key)
    channel.close()
    _empty_into(connection, queue.name, temporary)


def _move_back(connection: Connection, queue: Queue) -> None:
    """Step 2 for one queue: declared as now, bound before the temporary queue lets go, then filled from it."""
    temporary = queue.name + TEMPORARY_SUFFIX
    channel = connection.channel()
    queue(channel).declare()
    for exchange, key in _routes(queue):
        channel.queue_unbind(temporary, exchange, key)
    channel.close()
    _empty_into(connection, temporary, queue.name)


def _empty_into(connection: Connection, source: str, target: str) -> None:
    """Move every message of ``source`` to ``target`` (which exists), then delete ``source``, which nothing
    writes to any more (see the module's docstring)."""
    channel = connection.channel()
    channel.auto_decode = False  # the body as it came, bytes: never decoded and encoded again
    for _ in range(EMPTYING_ROUNDS):
        while (message := channel.basic_get(source, no_ack=False)) is not None:
            properties = dict(message.properties)
            headers = {
                k: v for k, v in (properties.pop("application_headers", None) or {}).items() if k != "x-delivery-count"
            }
            channel.basic_publish(
                Message(message.body, application_headers=headers, **properties), exchange="", routing_key=target
            )  # returns once confirmed
            channel.basic_ack(message.delivery_tag)
        if channel.queue_declare(source, passive=True).message_count == 0:
            break
        time.sleep(0.1)  # counted but not handed out yet
    else:
        raise MigrationRefused(f"{source} does not empty: something still writes to it or holds its messages")
    lost = channel.queue_delete(source)
    channel.close()
    if lost:
        raise MigrationRefused(
            f"{lost} message(s) reached {source} while it was deleted: something still "
            "writes to it (a consumer of the old version?)"
        )
