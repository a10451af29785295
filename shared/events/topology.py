"""RabbitMQ topology: exchanges, handler queues, retry and dead-letter queues.

nameko publishes events with ``mandatory=False``, so an event sent before its
consumer's queue exists is dropped.  Every queue is therefore durable and
declared from the code that consumes it, both when a consumer starts and by
``python -m shared.events.topology <service modules>`` before any service
starts (``make up``, the k8s init container, compose's one-shot job).

Per handler ``ketnoi.<service>.<handler>``:
- the queue itself, bound to ``ketnoi.events`` for each event type it handles;
- one retry queue per backoff step (``….retry.<seconds>s``) whose messages
  expire after that delay and dead-letter back into the handler's queue, one
  TTL per queue so a long delay never holds up a short one;
- ``….dead``: messages that failed every retry or could not be read, for ops
  to inspect and replay (``python -m shared.events.deadletters``).

Public event types are also routed to ``ketnoi.public``, the only exchange a
province's credentials may bind to.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
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
    """Both exchanges, and the public one fed with every public event type."""
    channel = connection.default_channel
    events = events_exchange()(channel)
    events.declare()
    public = public_exchange()(channel)
    public.declare()
    for event_type in public_types():
        public.bind_to(events, routing_key=event_type)


def declare_handler(connection: Connection, queues: HandlerQueues) -> None:
    channel = connection.default_channel
    for queue in (queues.main, *queues.retries, queues.dead):
        queue(channel).declare()


def handlers_of(service_cls: type) -> list[tuple[str, HandlerQueues]]:
    """Every :class:`~shared.events.consumer.EventHandler` a service class declares."""
    from shared.events.consumer import EventHandler

    found = []
    for attr, fn in inspect.getmembers(service_cls, inspect.isfunction):
        for entrypoint in getattr(fn, "nameko_entrypoints", ()):
            if isinstance(entrypoint, EventHandler):
                found.append((attr, entrypoint.queues_for(service_cls.name, attr)))
    return found


def declare_services(modules: list[str]) -> list[str]:
    """Declare the exchanges and every handler queue of the given service modules."""
    declared = []
    with Connection(settings().amqp_uri) as connection:
        declare_exchanges(connection)
        for module_name in modules:
            module = importlib.import_module(module_name)
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if cls.__module__ != module.__name__ or not hasattr(cls, "name"):
                    continue
                for _, queues in handlers_of(cls):
                    declare_handler(connection, queues)
                    declared.append(queues.main.name)
    return declared


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="service modules, e.g. registration.service")
    args = parser.parse_args()
    for name in declare_services(args.modules):
        print(f"declared {name}")
    print("topology ready")


if __name__ == "__main__":
    main()
