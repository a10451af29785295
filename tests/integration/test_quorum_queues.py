"""Quorum queues on a RabbitMQ node of the test's own: what the topology job declares, the broker's delivery
limit, and the move of an older deployment's classic queues.

The node is Debian's rabbitmq-server (3.10, the first with quorum queues' message TTL and at-least-once
dead-lettering) started by :mod:`scripts.private_broker`; each test gets a vhost of its own, and the broker's
own ``rabbitmqctl`` tells each queue's type and arguments, which AMQP does not.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest
from amqp import Message
from kombu import Connection, Queue

from scripts.stack import ROOT, service_names
from shared import config
from shared.events import deadletters, history
from shared.events.consumer import ATTEMPT_HEADER
from shared.events.declare import handlers_in
from shared.events.migrate import TEMPORARY_SUFFIX, MigrationRefused, migrate_handlers
from shared.events.topology import (
    DELIVERY_LIMIT,
    QUORUM,
    HandlerQueues,
    TopologyMismatch,
    declare_exchanges,
    declare_handler,
    handler_queues,
)
from tests.contract.test_deployment import as_argv, compose_services
from tests.support.waiting import wait_for

EVENTS = "ketnoi.events"
TYPE = "vn.ketnoi.registration.participation.approved.v1"  # four handlers take it


@pytest.fixture(scope="module")
def broker(private_rabbitmq):
    return private_rabbitmq


@pytest.fixture
def vhost(broker, monkeypatch) -> str:
    """A vhost of the test's own; this process's settings point at it."""
    name = f"ketnoi-{uuid.uuid4().hex[:6]}"
    broker.ctl("add_vhost", name)
    broker.ctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    monkeypatch.setenv("KETNOI_AMQP_URI", uri(broker, name))
    monkeypatch.setenv("KETNOI_DEV_MODE", "1")
    config.settings.cache_clear()
    yield name
    config.settings.cache_clear()
    broker.ctl("delete_vhost", name)


def uri(broker, vhost: str) -> str:
    return f"amqp://guest:guest@127.0.0.1:{broker.port}/{vhost}"


def connect(broker, vhost: str) -> Connection:
    """A connection whose publishes return once the broker has confirmed them."""
    return Connection(uri(broker, vhost), transport_options={"confirm_publish": True})


def queues_in(broker, vhost: str) -> dict[str, dict]:
    """Every queue of ``vhost``: name → its type and arguments, as the broker holds them."""
    rows = json.loads(broker.ctl("list_queues", "-q", "-p", vhost, "name", "type", "arguments", "--formatter", "json"))
    return {row["name"]: {"type": row["type"], "arguments": {k: v for k, _, v in row["arguments"]}} for row in rows}


def bindings_of(broker, vhost: str, queue: str) -> set[tuple[str, str]]:
    rows = json.loads(
        broker.ctl(
            "list_bindings", "-q", "-p", vhost, "source_name", "destination_name", "routing_key", "--formatter", "json"
        )
    )
    return {(r["source_name"], r["routing_key"]) for r in rows if r["destination_name"] == queue and r["source_name"]}


def topology_job(broker, vhost: str, *options: str) -> subprocess.CompletedProcess:
    """The one-shot job of docker-compose.yml (the k8s init containers run the same), on ``vhost``."""
    argv = as_argv(compose_services()["topology"]["command"])
    env = {
        **os.environ,
        "KETNOI_AMQP_URI": uri(broker, vhost),
        "KETNOI_DEV_MODE": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), *(str(ROOT / "services" / n) for n in service_names())]),
    }
    return subprocess.run(
        [sys.executable, *argv[1:3], *options, *argv[3:]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def system_handlers() -> list[HandlerQueues]:
    return handlers_in(as_argv(compose_services()["topology"]["command"])[3:])


def expected_arguments(queues: HandlerQueues) -> dict[str, dict]:
    """What each queue of one handler must hold: written out here, not read from the code under test."""
    main = queues.main.name
    at_least_once = {
        "x-dead-letter-exchange": "",
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }
    expected = {
        main: {
            "x-queue-type": "quorum",
            "x-delivery-limit": DELIVERY_LIMIT,
            "x-dead-letter-routing-key": f"{main}.dead",
            **at_least_once,
        },
        f"{main}.dead": {"x-queue-type": "quorum"},
    }
    for retry in queues.retries:
        seconds = int(retry.name.rsplit(".", 1)[1].rstrip("s"))
        expected[retry.name] = {
            "x-queue-type": "quorum",
            "x-message-ttl": seconds * 1000,
            "x-dead-letter-routing-key": main,
            **at_least_once,
        }
    return expected


def as_before_quorum(queues: HandlerQueues) -> list[Queue]:
    """The same queues as the topology declared them before quorum queues: classic, TTL and dead-lettering
    only."""
    kept = ("x-message-ttl", "x-dead-letter-exchange", "x-dead-letter-routing-key")
    return [
        Queue(
            q.name,
            bindings=q.bindings,
            durable=True,
            queue_arguments={k: v for k, v in (q.queue_arguments or {}).items() if k in kept},
        )
        for q in queues.every()
    ]


def declare_as_before(connection: Connection, queues: HandlerQueues) -> None:
    declare_exchanges(connection)
    for queue in as_before_quorum(queues):
        queue(connection.default_channel).declare()


def put(connection: Connection, queue: str | None, body: bytes, **properties) -> None:
    """One persistent message, to ``queue`` by the default exchange or (``None``) to ``TYPE`` on the events
    exchange."""
    channel = connection.channel()
    channel.confirm_select()  # each publish waits for the broker: an unconfirmed one may be lost on close
    message = Message(
        body, delivery_mode=2, content_type="application/cloudevents+json", content_encoding="utf-8", **properties
    )
    if queue is None:
        channel.basic_publish(message, exchange=EVENTS, routing_key=TYPE)
    else:
        channel.basic_publish(message, exchange="", routing_key=queue)
    channel.close()


def taken(connection: Connection, queue: str) -> list[tuple[bytes, dict]]:
    """Every message of ``queue`` (body and properties, headers without the delivery count), taken out."""
    channel, found = connection.channel(), []
    channel.auto_decode = False
    while (message := channel.basic_get(queue, no_ack=True)) is not None:
        properties = dict(message.properties)
        headers = {
            k: v for k, v in (properties.pop("application_headers", None) or {}).items() if k != "x-delivery-count"
        }
        found.append((message.body, {**properties, "headers": headers}))
    channel.close()
    return found


def test_the_topology_job_declares_quorum_queues_only(broker, vhost):
    """What `make up`, compose's one-shot job and the k8s init containers run: every handler queue it declares
    is a quorum queue with its limit and dead-lettering, besides the provinces' history streams; running it
    again (as every deploy does) changes nothing.
    The classic queues of a running system are nameko's RPC queues, which the job does not declare (README,
    "Quorum queues")."""
    done = topology_job(broker, vhost)
    assert done.returncode == 0, done.stderr
    handlers = system_handlers()
    expected = {name: args for queues in handlers for name, args in expected_arguments(queues).items()}
    everything = queues_in(broker, vhost)
    streams = {name: q for name, q in everything.items() if name.startswith(history.PREFIX)}
    assert set(streams) == {history.stream_name(p) for p in history.provinces()}  # the provinces' history
    assert {q["type"] for q in streams.values()} == {"stream"}
    declared = {name: q for name, q in everything.items() if name not in streams}
    assert set(declared) == set(expected)
    assert {name for name, queue in declared.items() if queue["type"] != "quorum"} == set()
    assert {name: queue["arguments"] for name, queue in declared.items()} == expected
    for queues in handlers:
        assert bindings_of(broker, vhost, queues.main.name) == {(EVENTS, b.routing_key) for b in queues.main.bindings}

    again = topology_job(broker, vhost)
    assert again.returncode == 0, again.stderr
    assert queues_in(broker, vhost) == everything


def test_a_message_returned_more_often_than_the_delivery_limit_is_parked_by_the_broker(broker, vhost):
    """A message that kills its consumer each time (the consumer never gets to count it) ends in ``.dead``
    after DELIVERY_LIMIT returns; the other handlers' copies and the retry queues are left alone, and a
    replay gives it a fresh count."""
    assert topology_job(broker, vhost).returncode == 0
    subscribed = [q for q in system_handlers() if TYPE in {b.routing_key for b in q.main.bindings}]
    assert len(subscribed) >= 2, "the test needs a neighbour: another handler of the same event type"
    poisoned, neighbours = subscribed[0], subscribed[1:]
    with connect(broker, vhost) as connection:
        put(connection, None, b'{"id": "poison"}', message_id="poison")
        for returns in range(DELIVERY_LIMIT + 1):
            with Connection(uri(broker, vhost)) as consumer:  # a consumer takes it and dies before it acks
                channel = consumer.channel()
                channel.auto_decode = False
                message = wait_for(lambda ch=channel: ch.basic_get(poisoned.main.name, no_ack=False), timeout=10)
                assert message.body == b'{"id": "poison"}'
                assert (message.headers or {}).get("x-delivery-count", 0) == returns
                assert message.delivery_info["redelivered"] is (returns > 0)  # what the consumer counts

        parked = wait_for(lambda: taken(connection, poisoned.dead.name), timeout=10)
        assert [body for body, _ in parked] == [b'{"id": "poison"}']
        death = parked[0][1]["headers"]["x-death"][0]  # the newest first
        assert (death["reason"], death["queue"]) == ("delivery_limit", poisoned.main.name)
        assert parked[0][1]["message_id"] == "poison"
        assert taken(connection, poisoned.main.name) == []
        for queues in neighbours:
            assert [body for body, _ in taken(connection, queues.main.name)] == [b'{"id": "poison"}']
            assert taken(connection, queues.dead.name) == []
        for queues in subscribed:
            assert all(taken(connection, retry.name) == [] for retry in queues.retries)

        # parked again, then replayed by ops: back on its queue with its whole allowance
        put(connection, poisoned.dead.name, b'{"id": "poison"}', message_id="poison")
        assert deadletters.replay(poisoned.main.name) == 1
        channel = connection.channel()
        channel.auto_decode = False
        again = wait_for(lambda: channel.basic_get(poisoned.main.name, no_ack=True), timeout=10)
        assert (again.headers or {}).get("x-delivery-count", 0) == 0


def handler(name: str, backoff: tuple[int, ...] = (60,)) -> HandlerQueues:
    """A handler's queues; retries of a minute, which nothing in these tests waits out."""
    return handler_queues("it", name, (TYPE,), backoff)


def test_migrate_moves_classic_queues_with_their_messages_and_leaves_the_rest_alone(broker, vhost):
    old, neighbour = handler("on_series"), handler("on_other")
    with connect(broker, vhost) as connection:
        declare_as_before(connection, old)
        declare_handler(connection, neighbour)  # already a quorum queue: not to be touched
        channel = connection.default_channel
        channel.queue_declare("rpc-it", durable=True, auto_delete=False)  # nameko's: stays classic
        for n in range(3):
            put(connection, None, b'{"n": %d}' % n, message_id=f"e{n}", application_headers={"x-n": n})
        put(connection, old.retries[0].name, b'{"n": "retry"}', application_headers={ATTEMPT_HEADER: 1})
        put(connection, old.dead.name, b'{"n": "dead"}', application_headers={"x-ketnoi-error": "boom"})
        put(connection, "rpc-it", b"{}")
        with pytest.raises(TopologyMismatch, match="--migrate"):
            declare_handler(connection, old)  # what the new code does on start: refused, and says what to do

    with connect(broker, vhost) as service:  # its service still runs
        service.channel().basic_consume(old.main.name, callback=lambda message: None)
        with pytest.raises(MigrationRefused, match=old.main.name):
            migrate_handlers(uri(broker, vhost), [old, neighbour])
    assert queues_in(broker, vhost)[old.main.name]["type"] == "classic"

    assert migrate_handlers(uri(broker, vhost), [old, neighbour]) == [
        q.name for q in (old.main, old.dead, *old.retries)
    ]
    after = queues_in(broker, vhost)
    assert {
        name: q["arguments"] for name, q in after.items() if name.startswith("ketnoi.it.on_series")
    } == expected_arguments(old)
    assert not [name for name in after if name.endswith(TEMPORARY_SUFFIX)]
    assert after["rpc-it"]["type"] == "classic"
    assert bindings_of(broker, vhost, old.main.name) == {(EVENTS, TYPE)}
    with connect(broker, vhost) as connection:
        moved = taken(connection, old.main.name)
        assert [body for body, _ in moved] == [b'{"n": 0}', b'{"n": 1}', b'{"n": 2}']  # in order
        assert [(p["message_id"], p["headers"], p["delivery_mode"], p["content_type"]) for _, p in moved] == [
            (f"e{n}", {"x-n": n}, 2, "application/cloudevents+json") for n in range(3)
        ]
        assert [(b, p["headers"]) for b, p in taken(connection, old.retries[0].name)] == [
            (b'{"n": "retry"}', {ATTEMPT_HEADER: 1})
        ]
        assert [(b, p["headers"]) for b, p in taken(connection, old.dead.name)] == [
            (b'{"n": "dead"}', {"x-ketnoi-error": "boom"})
        ]
        assert len(taken(connection, neighbour.main.name)) == 3  # its own copies, once each
        assert len(taken(connection, "rpc-it")) == 1

        put(connection, None, b'{"n": "after"}')  # the moved queue is bound again, once
        assert [body for body, _ in wait_for(lambda: taken(connection, old.main.name), timeout=10)] == [
            b'{"n": "after"}'
        ]
    assert migrate_handlers(uri(broker, vhost), [old, neighbour]) == []  # nothing left to move


def test_a_migration_cut_off_half_way_is_finished_by_the_next_run(broker, vhost):
    """Cut off after step 2: the queue deleted, its messages and bindings on ``<queue>.migrating``."""
    queues = handler("on_series")
    temporary = queues.main.name + TEMPORARY_SUFFIX
    with connect(broker, vhost) as connection:
        for queue in as_before_quorum(queues)[1:]:  # the retry and dead-letter queues were not moved yet
            queue(connection.default_channel).declare()
        declare_exchanges(connection)
        channel = connection.default_channel
        channel.queue_declare(temporary, durable=True, auto_delete=False, arguments=dict(QUORUM))
        channel.queue_bind(temporary, EVENTS, TYPE)
        put(connection, None, b'{"n": 0}')
        put(connection, None, b'{"n": 1}')

    assert set(migrate_handlers(uri(broker, vhost), [queues])) == {q.name for q in queues.every()}
    after = queues_in(broker, vhost)
    assert {name: q["arguments"] for name, q in after.items()} == expected_arguments(queues)
    assert bindings_of(broker, vhost, queues.main.name) == {(EVENTS, TYPE)}
    with connect(broker, vhost) as connection:
        assert [body for body, _ in taken(connection, queues.main.name)] == [b'{"n": 0}', b'{"n": 1}']


def test_the_job_refuses_an_older_deployments_queues_until_told_to_migrate(broker, vhost):
    handlers = system_handlers()
    with connect(broker, vhost) as connection:
        for queues in handlers:
            declare_as_before(connection, queues)
        put(connection, None, b'{"id": "waiting"}')
    refused = topology_job(broker, vhost)
    assert refused.returncode != 0
    assert "--migrate" in refused.stderr and "PRECONDITION_FAILED" in refused.stderr
    assert {q["type"] for n, q in queues_in(broker, vhost).items() if not n.startswith(history.PREFIX)} == {
        "classic"
    }  # the history streams are new queues: nothing to refuse there

    migrated = topology_job(broker, vhost, "--migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert {q["type"] for n, q in queues_in(broker, vhost).items() if not n.startswith(history.PREFIX)} == {"quorum"}
    with connect(broker, vhost) as connection:
        for queues in handlers:
            waiting = taken(connection, queues.main.name)
            assert [body for body, _ in waiting] == (
                [b'{"id": "waiting"}'] if TYPE in {b.routing_key for b in queues.main.bindings} else []
            )


def test_the_dead_letter_worker_re_sends_an_unconfirmed_message_within_seconds(broker):
    """The broker-restart drill once held three retried events for 177 s: a retry queue's expired messages
    were forwarded into their handler's queue while the broker went down, and the worker re-sends an
    unconfirmed one only after ``dead_letter_worker_publisher_confirm_timeout`` (180 s by default on 3.10).
    deploy/rabbitmq/advanced.config makes it 5 s; the test brokers read the same file."""
    setting = broker.ctl("eval", "application:get_env(rabbit, dead_letter_worker_publisher_confirm_timeout).")
    assert setting.strip() == "{ok,5000}"
