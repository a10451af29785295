"""Outages that used to kill a service, reproduced exactly, on a RabbitMQ node and a store of the test's own.

- An RPC that finishes while the broker is away could not publish its reply;
  nameko killed the container ("killing N active workers"), and every other
  request of that process with it.
- An event handled while the store is away could not record that it was
  handled; nameko killed the container.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from contextlib import suppress

import eventlet
import pytest
from kombu import Connection
from nameko.standalone.rpc import ClusterRpcProxy
from pymongo.errors import DuplicateKeyError

from scripts import private_broker
from scripts.stack import Stack, StackConfig, free_port
from shared import config
from shared.entrypoints import rpc
from shared.events.consumer import event_handler
from shared.events.envelope import make_event
from shared.events.topology import declare_exchanges
from shared.store import ServiceStore, Store, database, forget_clients
from tests.support.events import publish
from tests.support.waiting import wait_for

TYPE = "vn.ketnoi.registration.series.created.v1"


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    if not private_broker.available():
        pytest.fail("these tests need Debian's rabbitmq-server (make test installs it)")
    node = private_broker.PrivateBroker(tmp_path_factory.mktemp("broker"))
    node.start()
    yield node
    node.stop()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    directory = tmp_path_factory.mktemp("store")
    stack = Stack(StackConfig(data_dir=directory, store_port=free_port()))
    stack.start_store()
    yield stack
    os.kill(stack.processes["store"].pid, signal.SIGCONT)
    stack.stop()


@pytest.fixture
def own_environment(broker, store, monkeypatch):
    """This process's settings pointed at the private broker and store (the rest of the session's back after)."""
    monkeypatch.setenv("KETNOI_AMQP_URI", broker.amqp_uri)
    monkeypatch.setenv("KETNOI_MONGO_URI", store.config.mongo_uri)
    monkeypatch.setenv("KETNOI_DB_PREFIX", f"out{uuid.uuid4().hex[:6]}")
    monkeypatch.setenv("KETNOI_DEV_MODE", "1")
    monkeypatch.setenv("KETNOI_STORE_TIMEOUT", "2")
    config.settings.cache_clear()
    forget_clients()
    yield
    config.settings.cache_clear()
    forget_clients()


def conf(broker) -> dict:
    return {"AMQP_URI": broker.amqp_uri, "ACCEPT": ["json", "cloudevents"], "serializer": "json"}


class Slow:
    name = f"slow{uuid.uuid4().hex[:6]}"

    @rpc
    def take(self, seconds: float) -> str:
        eventlet.sleep(seconds)  # not a wait: the work whose reply falls due while the broker is away
        return "done"


def test_a_reply_due_while_the_broker_is_away_kills_nothing(broker, own_environment, container_factory):
    container = container_factory(Slow, conf(broker))
    container.start()
    with ClusterRpcProxy(conf(broker)) as cluster:
        assert getattr(cluster, Slow.name).take(0) == "done"
        getattr(cluster, Slow.name).take.call_async(1.5)  # its reply is due while the broker is away
    wait_for(lambda: container._worker_threads)  # the service is working on it
    broker.pause()
    try:
        time.sleep(2.5)  # not a wait: the outage, long enough to outlast the work (1.5 s)
        assert not container._died.ready(), "the service died with the broker"
    finally:
        broker.resume()
    wait_for(lambda: answers(broker), timeout=30)
    assert not container._died.ready()


def answers(broker, timeout: float = 3) -> bool:
    try:
        with ClusterRpcProxy(conf(broker), timeout=timeout) as cluster:
            return getattr(cluster, Slow.name).take(0) == "done"
    except Exception:
        return False


def test_a_service_finds_the_broker_again_within_seconds_of_its_return(broker, own_environment, container_factory):
    """kombu's own backoff (2, 4, 6, 8 … s apart) brought services back up to 8 s after the broker."""
    container = container_factory(Slow, conf(broker))
    container.start()
    assert answers(broker)
    broker.pause()
    try:
        time.sleep(13)  # not a wait: the outage, long enough for kombu's retries to be 8 s apart
    finally:
        broker.resume()
    back = time.monotonic()
    wait_for(lambda: answers(broker, timeout=1), timeout=30)
    assert time.monotonic() - back < 4


def probe_class() -> type:
    class Probe:
        name = f"probe{uuid.uuid4().hex[:6]}"
        store = Store(name, ServiceStore)

        @event_handler(TYPE, backoff=(1, 1))
        def on_series(self, event: dict) -> None:
            eventlet.sleep(1.0)  # not a wait: the work, during which the store is paused
            with suppress(DuplicateKeyError):  # as every handler's writes, idempotent by its own key
                self.store.db.effects.insert_one({"_id": event["id"]})

    return Probe


def test_an_event_handled_while_the_store_is_away_kills_nothing_and_happens_once(
    broker, store, own_environment, container_factory
):
    probe = probe_class()
    container = container_factory(probe, conf(broker))
    container.start()
    with Connection(broker.amqp_uri) as connection:
        declare_exchanges(connection)
    event = make_event(TYPE, "registration", "series/x", {"series_id": "s-1", "name": {"vi": "x"}})
    publish(event)
    wait_for(lambda: container._worker_threads)  # the event is claimed, and its handler is working
    os.kill(store.processes["store"].pid, signal.SIGSTOP)
    try:
        time.sleep(4)  # not a wait: the outage, long enough for the handler's store calls to time out (2 s)
        assert not container._died.ready(), "the service died with the store"
    finally:
        os.kill(store.processes["store"].pid, signal.SIGCONT)
    effects = database(probe.name).effects
    resumed = time.monotonic()
    wait_for(lambda: effects.count_documents({"_id": event["id"]}) == 1, timeout=30)
    assert time.monotonic() - resumed < 15  # within seconds of the store's return, not after the claim's lease
    second = make_event(TYPE, "registration", "series/y", {"series_id": "s-2", "name": {"vi": "y"}})
    publish(second)
    wait_for(lambda: effects.count_documents({"_id": second["id"]}) == 1, timeout=15)
    assert effects.count_documents({}) == 2 and not container._died.ready()
