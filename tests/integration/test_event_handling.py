"""Event consumers on the real RabbitMQ and store: dedupe, retries, dead letters, late start.

A probe service subscribes to a registration event with a handler whose
effect is deliberately NOT idempotent (it inserts a new document per run),
so any double processing would show up as a second document.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import eventlet
import pytest
from kombu import Connection
from nameko.testing.services import entrypoint_waiter

from shared import metrics
from shared.config import settings
from shared.events import deadletters
from shared.events import parked as parked_module
from shared.events.consumer import ATTEMPT_HEADER, event_handler
from shared.events.declare import handlers_of
from shared.events.envelope import make_event
from shared.events.topology import declare_handler
from shared.store import ServiceStore, Store, database
from tests.support.counters import CONSUMED, Counted
from tests.support.events import publish
from tests.support.waiting import wait_for

TYPE = "vn.ketnoi.registration.series.created.v1"
pytestmark = pytest.mark.usefixtures("service_env")


def probe_class(name: str) -> type:
    class Probe:
        store = Store(name, ServiceStore)

        @event_handler(TYPE, backoff=(1, 1))
        def on_series(self, event: dict) -> None:
            series_id = event["data"]["series_id"]
            self.store.db.attempts.insert_one({"_id": uuid.uuid4().hex, "event": event["id"], "series": series_id})
            if series_id.startswith("fail") and not self.store.db.switches.find_one({"_id": series_id}):
                raise RuntimeError("provider down")
            self.store.db.effects.insert_one({"_id": uuid.uuid4().hex, "event": event["id"], "series": series_id})

    Probe.name = name
    return Probe


@pytest.fixture
def probe(amqp_uri: str):
    name = f"probe{uuid.uuid4().hex[:8]}"
    cls = probe_class(name)
    yield cls
    with Connection(amqp_uri) as connection:
        channel = connection.default_channel
        for _, queues in handlers_of(cls):
            for queue in (queues.main, *queues.retries, queues.dead):
                queue(channel).delete()


def config(amqp_uri: str) -> dict:
    return {"AMQP_URI": amqp_uri, "ACCEPT": ["json", "cloudevents"], "serializer": "json"}


def event(series_id: str) -> dict:
    return make_event(TYPE, "registration", f"series/{series_id}", {"series_id": series_id, "name": {"vi": "Thử"}})


@dataclass
class Handled:
    """A running probe that has handled ``event`` once; ``duplicates`` counts its later copies."""

    container: Any
    db: Any
    event: dict
    duplicates: Counted


@pytest.fixture
def handled(container_factory, amqp_uri, probe) -> Handled:
    container = container_factory(probe, config(amqp_uri))
    container.start()
    duplicates = Counted(CONSUMED, handler=f"{probe.name}.on_series", type=TYPE, outcome="duplicate")
    ev = event(f"s-{uuid.uuid4().hex[:6]}")
    with entrypoint_waiter(container, "on_series"):
        publish(ev)
    return Handled(container, database(probe.name), ev, duplicates)


def test_redelivered_event_changes_nothing_twice(handled):
    db, ev, duplicates = handled.db, handled.event, handled.duplicates
    publish(ev)  # delivered again, as after a lost ack or a relay that published twice
    publish(ev)
    duplicates.wait(2)  # both copies seen, and acked without running the handler
    assert db.effects.count_documents({"event": ev["id"]}) == 1
    assert db.attempts.count_documents({"event": ev["id"]}) == 1
    assert db.inbox.find_one({"_id": f"on_series:{ev['id']}"})["state"] == "done"


def test_two_workers_given_the_same_event_at_once_run_it_once(container_factory, amqp_uri, probe):
    first = container_factory(probe, config(amqp_uri))
    second = container_factory(probe, config(amqp_uri))
    first.start()
    second.start()
    duplicates = Counted(CONSUMED, handler=f"{probe.name}.on_series", type=TYPE, outcome="duplicate")
    ev = event("s-2")
    pool = eventlet.GreenPool()
    for _ in range(6):
        pool.spawn(publish, ev)
    pool.waitall()
    db = database(probe.name)
    duplicates.wait(5)  # a copy that found the event "busy" comes back after the 1 s retry delay
    assert db.effects.count_documents({"event": ev["id"]}) == 1
    assert db.attempts.count_documents({"event": ev["id"]}) == 1


def test_failing_handler_is_retried_with_backoff_then_dead_lettered(container_factory, amqp_uri, probe, monkeypatch):
    monkeypatch.setattr(parked_module, "CHECK_SECONDS", 0.3)
    parked_now = metrics.DEAD_LETTERS.labels(f"{probe.name}.on_series")
    container = container_factory(probe, config(amqp_uri))
    container.start()
    db = database(probe.name)
    ev = event("fail-1")
    started = time.monotonic()
    publish(ev)
    wait_for(lambda: db.attempts.count_documents({"event": ev["id"]}) >= 3, timeout=20)
    parked = wait_for(lambda: deadletters.parked(f"ketnoi.{probe.name}.on_series"), timeout=10)
    elapsed = time.monotonic() - started
    assert db.attempts.count_documents({"event": ev["id"]}) == 3  # first try + two retries
    assert elapsed >= 2.0  # two backoff delays of 1 s
    assert db.effects.count_documents({"event": ev["id"]}) == 0
    assert parked[0]["event"]["id"] == ev["id"]
    assert parked[0]["headers"][ATTEMPT_HEADER] == 3
    assert "provider down" in parked[0]["headers"]["x-ketnoi-error"]
    wait_for(lambda: parked_now._value.get() == 1)  # what ops alerts on

    # the cause is fixed; ops replays the dead letters and the effect happens once
    db.switches.insert_one({"_id": "fail-1"})
    assert deadletters.replay(f"ketnoi.{probe.name}.on_series") == 1
    wait_for(lambda: db.effects.count_documents({"event": ev["id"]}) == 1)
    wait_for(lambda: parked_now._value.get() == 0)


def test_unreadable_message_goes_straight_to_dead_letters(container_factory, amqp_uri, probe):
    container = container_factory(probe, config(amqp_uri))
    container.start()
    bad = event("s-3")
    bad["data"] = {"series_id": 42}  # violates the schema
    publish(bad)
    parked = wait_for(lambda: deadletters.parked(f"ketnoi.{probe.name}.on_series"))
    assert parked[0]["event"]["id"] == bad["id"]
    assert database(probe.name).attempts.count_documents({}) == 0


def publish_raw(body: bytes, content_type: str) -> None:
    with Connection(settings().amqp_uri, transport_options={"confirm_publish": True}) as connection:
        connection.Producer().publish(
            body,
            exchange=settings().events_exchange,
            routing_key=TYPE,
            content_type=content_type,
            content_encoding="utf-8",
            delivery_mode=2,
        )


def test_undecodable_and_foreign_messages_are_parked_with_their_reason_and_replayed_once(
    container_factory, amqp_uri, probe, monkeypatch
):
    """nameko acked and dropped what it could not decode; now it is parked, counted, and replay moves each
    parked message once, even while the consumer parks it again."""
    monkeypatch.setattr(parked_module, "CHECK_SECONDS", 0.3)
    container = container_factory(probe, config(amqp_uri))
    container.start()
    publish_raw(b'{"specversion": "1.0", "id": ', "application/cloudevents+json")  # cut off
    publish_raw("Chào bạn".encode(), "text/plain")  # a content type no handler takes
    queue = f"ketnoi.{probe.name}.on_series"
    parked = wait_for(lambda: (found := deadletters.parked(queue)) and len(found) == 2 and found)
    reasons = sorted(p["headers"]["x-ketnoi-error"].split(":")[0] for p in parked)
    assert reasons == ["undecodable", "undecodable"]
    assert {p["event"]["content_type"] for p in parked} == {"application/cloudevents+json", "text/plain"}
    gauge = metrics.DEAD_LETTERS.labels(f"{probe.name}.on_series")
    wait_for(lambda: gauge._value.get() == 2)
    assert database(probe.name).attempts.count_documents({}) == 0

    assert deadletters.replay(queue) == 2  # each once: the consumer parks them again behind the snapshot
    wait_for(lambda: len(deadletters.parked(queue)) == 2)
    assert deadletters.replay(queue) == 2


def test_event_published_while_consumer_is_stopped_waits_for_it(container_factory, amqp_uri, probe):
    [(_, queues)] = handlers_of(probe)
    ev = event("s-4")
    with Connection(amqp_uri) as connection:
        declare_handler(connection, queues)  # what `python -m shared.events.declare` does at deploy time
        publish(ev)
        waiting = queues.main(connection.default_channel)
        wait_for(lambda: waiting.queue_declare(passive=True).message_count == 1)  # in its queue, nobody reading
    container = container_factory(probe, config(amqp_uri))
    container.start()
    db = database(probe.name)
    wait_for(lambda: db.effects.count_documents({"event": ev["id"]}) == 1)


def test_an_event_whose_consumer_died_before_acking_is_counted_as_redelivered(container_factory, amqp_uri, probe):
    with Connection(amqp_uri) as connection:
        for _, queues in handlers_of(probe):
            declare_handler(connection, queues)
            ev = event("s-5")
            publish(ev)
            taken = connection.SimpleQueue(queues.main, no_ack=False).get(timeout=5)  # a consumer takes it ...
            assert taken.payload["id"] == ev["id"]
    # ... and its connection is gone before it acked: the broker hands the event out again, flagged
    counter = metrics.EVENTS_REDELIVERED.labels(f"{probe.name}.on_series", TYPE)
    before = counter._value.get()
    container = container_factory(probe, config(amqp_uri))
    container.start()
    db = database(probe.name)
    wait_for(lambda: db.effects.count_documents({"event": ev["id"]}) == 1)
    assert counter._value.get() == before + 1


def test_an_ack_lost_with_the_connection_does_not_stop_the_service(handled, monkeypatch):
    """A broker restart cut the connection while a duplicate was being acked: the ack raised in the consumer's
    own thread and took the whole service down (the broker-restart drill counted the death).  The message
    goes back to the queue with the connection anyway, so the consumer logs it and carries on."""
    container, db, ev, duplicates = handled.container, handled.db, handled.event, handled.duplicates
    entrypoint = next(e for e in container.entrypoints if e.method_name == "on_series")
    queue_consumer = entrypoint.queue_consumer
    real_ack = queue_consumer.ack_message
    cut = []

    def ack_on_a_reset_connection(message):
        if not cut:
            cut.append(message)
            raise ConnectionResetError(104, "Connection reset by peer")
        return real_ack(message)

    monkeypatch.setattr(queue_consumer, "ack_message", ack_on_a_reset_connection)
    publish(ev)  # the duplicate whose ack fails
    duplicates.wait(1)
    wait_for(lambda: cut, timeout=10)
    eventlet.sleep(0)  # let the consumer's thread finish what it does after the failed ack
    later = event("s-after")
    with entrypoint_waiter(container, "on_series"):  # the service still consumes
        publish(later)
    assert not container._died.ready(), "the container died"
    assert db.effects.count_documents({"event": ev["id"]}) == 1
    assert db.effects.count_documents({"event": later["id"]}) == 1
