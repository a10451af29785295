"""Declare the exchanges and every handler queue of some service modules before any service starts:
``python -m shared.events.declare gateway.service registration.service …`` (``make up``, the k8s init
containers, compose's one-shot job).

nameko publishes events with ``mandatory=False``: an event sent before its consumer's queue exists would be
dropped, so every queue is declared ahead of the first publish (see :mod:`shared.events.topology`).
``--migrate`` first moves queues that exist with other arguments (classic queues of a deployment older than
quorum queues) to the declared ones, with their consumers stopped (see :mod:`shared.events.migrate`).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys

from kombu import Connection

from shared.config import settings
from shared.events.consumer import EventHandler
from shared.events.history import declare_history
from shared.events.migrate import MigrationRefused, migrate_handlers
from shared.events.topology import HandlerQueues, TopologyMismatch, declare_exchanges, declare_handler


def handlers_of(service_cls: type) -> list[tuple[str, HandlerQueues]]:
    """Every :class:`~shared.events.consumer.EventHandler` a service class declares (inherited ones too)."""
    found = []
    for attr, fn in inspect.getmembers(service_cls, inspect.isfunction):
        for entrypoint in getattr(fn, "nameko_entrypoints", ()):
            if isinstance(entrypoint, EventHandler):
                found.append((attr, entrypoint.queues_for(service_cls.name, attr)))
    return found


def handlers_in(modules: list[str]) -> list[HandlerQueues]:
    """The handler queues of every service class defined in ``modules``."""
    found: list[HandlerQueues] = []
    for module_name in modules:
        module = importlib.import_module(module_name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and hasattr(cls, "name"):
                found.extend(queues for _, queues in handlers_of(cls))
    return found


def declare_services(modules: list[str]) -> list[str]:
    """Declare the exchanges, every province's history stream and every handler queue of the service classes
    defined in ``modules``; returns the queues declared."""
    handlers = handlers_in(modules)
    with Connection(settings().amqp_uri) as connection:
        declare_exchanges(connection)
        declared = declare_history(connection)
        for queues in handlers:
            declare_handler(connection, queues)
    return [*declared, *(queues.main.name for queues in handlers)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="service modules, e.g. registration.service")
    parser.add_argument(
        "--migrate",
        action="store_true",
        help="first move queues that exist with other arguments (stop their consumers first)",
    )
    args = parser.parse_args()
    try:
        if args.migrate:
            for name in migrate_handlers(settings().amqp_uri, handlers_in(args.modules)):
                print(f"migrated {name}")
        for name in declare_services(args.modules):
            print(f"declared {name}")
    except (TopologyMismatch, MigrationRefused) as exc:
        sys.exit(f"topology not ready: {exc}")
    print("topology ready")


if __name__ == "__main__":
    main()
