"""The outbox on the real broker and store: published with its schema, never lost, never doubled.

The registration service runs as a nameko container; to die "between the
write and the publish" its relay is replaced by one that never runs, the
container is killed, and a fresh container's relay must deliver what the dead
one staged.
"""

from __future__ import annotations

import json
import uuid

import pytest
from nameko.testing.services import entrypoint_hook, replace_dependencies

from registration.service import RegistrationService
from shared.auth import Principal
from shared.events.catalogue import catalogue, schema_errors
from shared.events.serialization import CLOUDEVENTS_CONTENT_TYPE
from shared.store import database
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
