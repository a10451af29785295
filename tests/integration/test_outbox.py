"""The outbox on the real broker and store: published with its schema, never lost, never doubled.

The registration service runs as a nameko container; to die "between the
write and the publish" its relay is replaced by one that never runs, the
container is killed, and a fresh container's relay must deliver what the dead
one staged.
"""

from __future__ import annotations

import json
import socket
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from nameko.testing.services import entrypoint_hook, replace_dependencies
from prometheus_client import REGISTRY

from registration.service import RegistrationService
from scripts.stack import free_port
from shared.auth import Principal
from shared.config import settings
from shared.events.catalogue import catalogue, schema_errors
from shared.events.outbox import Relay, new_document
from shared.events.publisher import ConfirmedPublisher
from shared.events.serialization import CLOUDEVENTS_CONTENT_TYPE
from shared.store import Collection, Door, database
from shared.store.staged import PENDING, StagedEvents
from tests.support.events import Tap

pytestmark = pytest.mark.usefixtures("service_env")
OPS = Principal(role="ops", subject="it-ops").as_dict()
TYPE = "vn.ketnoi.registration.series.created.v1"


@pytest.fixture
def tap():
    tap = Tap(f"it.tap.{uuid.uuid4().hex[:8]}", ("vn.ketnoi.registration.#",))
    yield tap
    tap.delete()


def config(amqp_uri: str) -> dict:
    return {"AMQP_URI": amqp_uri, "ACCEPT": ["json", "cloudevents"], "serializer": "json"}


def series_for(messages, key: str):
    return [m for m in messages if m.payload["type"] == TYPE and m.payload["data"]["series_id"] == key]


def test_state_change_is_published_as_a_valid_cloudevent(container_factory, amqp_uri, tap):
    container = container_factory(RegistrationService, config(amqp_uri))
    container.start()
    key = f"it-{uuid.uuid4().hex[:6]}"
    with entrypoint_hook(container, "create_series") as create_series:
        create_series(OPS, {"key": key, "name": {"vi": "Kết nối", "en": "Connect"}})
    received = series_for(tap.drain(expect=1), key)
    assert len(received) == 1
    message = received[0]
    assert message.content_type == CLOUDEVENTS_CONTENT_TYPE
    event = json.loads(message.body)
    assert event["specversion"] == "1.0" and event["source"] == "/ketnoi/registration"
    assert event["subject"] == f"series/{key}"
    assert message.properties["message_id"] == event["id"]
    assert schema_errors(event["type"], event["data"]) == []
    assert catalogue()[event["type"]].public
    assert database("registration").series.find_one({"_id": key})["outbox_n"] == 0


def test_event_staged_by_a_process_that_died_is_delivered_once(container_factory, amqp_uri, tap):
    crashed = container_factory(RegistrationService, config(amqp_uri))
    replace_dependencies(crashed, "relay")  # the process dies before its relay publishes anything
    crashed.start()
    key = f"it-{uuid.uuid4().hex[:6]}"
    with entrypoint_hook(crashed, "create_series") as create_series:
        create_series(OPS, {"key": key, "name": {"vi": "Kết nối"}})
    crashed.kill()
    assert series_for(tap.drain(expect=0, timeout=1.5), key) == []
    assert database("registration").series.find_one({"_id": key})["outbox_n"] == 1

    restarted = container_factory(RegistrationService, config(amqp_uri))
    restarted.start()  # its relay sweeps what the dead process staged
    received = series_for(tap.drain(expect=1, timeout=10, settle=1.5), key)
    assert len(received) == 1
    assert database("registration").series.find_one({"_id": key})["outbox_n"] == 0


def test_rejected_write_stages_nothing(container_factory, amqp_uri, tap):
    container = container_factory(RegistrationService, config(amqp_uri))
    container.start()
    key = f"it-{uuid.uuid4().hex[:6]}"
    with entrypoint_hook(container, "create_series") as create_series:
        create_series(OPS, {"key": key, "name": {"vi": "Một"}})
        with pytest.raises(Exception, match="exists"):
            create_series(OPS, {"key": key, "name": {"vi": "Hai"}})
    assert len(series_for(tap.drain(expect=1, settle=1.0), key)) == 1


# -- the relay on its own: batches, sweeps and a broker that is not there -------------------------------


def staged_series(count: int, staged_at: datetime | None = None) -> tuple[Collection, list[dict], list[dict]]:
    """``count`` series documents stored, each carrying one staged event, as registration writes them
    (a microsecond apart from ``staged_at``, 2026-01-01 by default)."""
    run = uuid.uuid4().hex[:6]
    start = staged_at or datetime(2026, 1, 1, tzinfo=UTC)
    events = [
        {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": "/ketnoi/registration",
            "type": TYPE,
            "subject": f"series/it-{run}-{i}",
            "time": (start + timedelta(microseconds=i)).isoformat(timespec="microseconds"),
            "datacontenttype": "application/json",
            "data": {"series_id": f"it-{run}-{i}"},
        }
        for i in range(count)
    ]
    documents = [new_document({"_id": e["data"]["series_id"]}, e) for e in events]
    # a database of its own (nothing another test left is swept), not recorded: the relay's shapes are the
    # services' own, recorded when they run
    collection = Door(database("registration").client[f"{settings().db_prefix}_relay_{run}"])["series"]
    collection.insert_many(documents)
    return collection, documents, events


def received_ids(tap: Tap, events: list[dict]) -> list[str]:
    """Ids of ``events`` the tap saw, in arrival order (other tests' series events are ignored)."""
    ours = {e["id"] for e in events}
    return [m.payload["id"] for m in tap.drain(expect=len(events), timeout=20) if m.payload["id"] in ours]


def with_pending(collection: Collection, documents: list[dict], pending: int) -> int:
    """How many of ``documents`` still have ``pending`` events staged."""
    return collection.count_documents({"_id": {"$in": [d["_id"] for d in documents]}, PENDING: pending})


def relay_of(collection: Collection, amqp_uri: str | None = None) -> Relay:
    publisher = ConfirmedPublisher(
        amqp_uri or settings().amqp_uri, settings().events_exchange, settings().public_exchange
    )
    return Relay(StagedEvents(collection.door, [collection.name]), publisher)


def test_a_burst_is_published_in_order_with_one_clear(amqp_uri, tap):
    collection, documents, events = staged_series(300)
    relay = relay_of(collection)
    for document, event in zip(documents, events, strict=True):
        relay.staged(collection.name, document["_id"], [event])

    assert relay.publish_handed() == 300
    assert received_ids(tap, events) == [e["id"] for e in events]  # hand-over order, each once
    assert with_pending(collection, documents, 0) == 300
    assert relay.publish_handed() == 0
    relay.stop()


def test_sweep_leaves_handed_documents_to_the_hand_over(amqp_uri, tap):
    collection, documents, events = staged_series(3)
    relay = relay_of(collection)
    relay.staged(collection.name, documents[0]["_id"], [events[0]])  # the other two were left by a crashed process

    assert relay.sweep() == 2
    assert relay.publish_handed() == 1
    assert sorted(received_ids(tap, events)) == sorted(e["id"] for e in events)
    assert with_pending(collection, documents, 0) == 3
    relay.stop()


def test_nothing_is_cleared_while_the_broker_is_unreachable(amqp_uri, tap):
    collection, documents, events = staged_series(2)
    relay = relay_of(collection, f"amqp://guest:guest@127.0.0.1:{free_port()}/")
    for document, event in zip(documents, events, strict=True):
        relay.staged(collection.name, document["_id"], [event])

    with pytest.raises(OSError):
        relay.publish_handed()
    assert with_pending(collection, documents, 1) == 2

    relay.publisher = ConfirmedPublisher(
        amqp_uri,
        settings().events_exchange,  # the broker is back: the sweep delivers
        settings().public_exchange,
    )
    assert relay.sweep() == 2
    assert sorted(received_ids(tap, events)) == sorted(e["id"] for e in events)
    relay.stop()


def test_the_sweep_reports_the_backlog_and_the_age_of_its_oldest_event(amqp_uri, tap):
    collection, documents, events = staged_series(2, staged_at=datetime.now(UTC) - timedelta(minutes=10))
    relay = relay_of(collection, f"amqp://guest:guest@127.0.0.1:{free_port()}/")

    def gauge(name: str) -> float | None:
        return REGISTRY.get_sample_value(f"ketnoi_outbox_{name}", {"collection": collection.name})

    with pytest.raises(OSError):
        relay.sweep()  # the broker is away: what the sweep found stays staged, and the gauges say so
    assert gauge("backlog") == 2
    assert 600 <= gauge("oldest_seconds") < 660

    relay.publisher = ConfirmedPublisher(amqp_uri, settings().events_exchange, settings().public_exchange)
    assert relay.sweep() == 2
    assert sorted(received_ids(tap, events)) == sorted(e["id"] for e in events)
    assert relay.sweep() == 0  # nothing left: the next pass reports an empty outbox
    assert (gauge("backlog"), gauge("oldest_seconds")) == (0, 0)
    assert with_pending(collection, documents, 0) == 2
    relay.stop()


def test_a_connection_lost_while_idle_is_replaced_for_the_next_batch(amqp_uri, tap):
    collection, documents, events = staged_series(2)
    relay = relay_of(collection)
    relay.staged(collection.name, documents[0]["_id"], [events[0]])
    assert relay.publish_handed() == 1
    # the broker went away while the relay was idle: the socket under its connection is dead
    relay.publisher._connection.connection.transport.sock.shutdown(socket.SHUT_RDWR)

    relay.staged(collection.name, documents[1]["_id"], [events[1]])
    assert relay.publish_handed() == 1  # on a new connection, not after a failed pass and a sweep
    assert sorted(received_ids(tap, events)) == sorted(e["id"] for e in events)
    assert with_pending(collection, documents, 0) == 2
    relay.stop()
