"""What the relays put on ``ketnoi.public`` is what the AsyncAPI document says, on the real broker.

Events built by the producers' own code are published by the relays' publisher and read back as a province's
queue would get them; each message is then held to the document: its routing key to a channel's address and
the values of its ``province`` parameter, its content type, encoding, headers and properties to the message
and its bindings, its body to the payload schema, the exchange to the channel binding.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from jsonschema import Draft7Validator

from meetings import events as meeting_events
from registration import events as registration_events
from shared.config import settings
from shared.events.asyncapi import document
from shared.events.publisher import ConfirmedPublisher
from shared.events.topology import public_exchange
from shared.logs import scoped
from tests.support.asyncapi import resolved
from tests.support.events import Tap

pytestmark = pytest.mark.usefixtures("service_env")


def channel_of(routing_key: str) -> str:
    """The channel whose address the key fills in with a value its parameter allows; fails if none does."""
    for name, channel in document()["channels"].items():
        prefix, _, rest = channel["address"].partition("{province}")
        match = re.fullmatch(re.escape(prefix) + r"([a-z0-9-]+)" + re.escape(rest), routing_key)
        if match and match.group(1) in resolved(document(), channel["parameters"]["province"])["enum"]:
            return name
    raise AssertionError(f"no channel of the document has the routing key {routing_key}")


def events() -> list[dict[str, Any]]:
    """A participation of a Quảng Bình enterprise (routed to Quảng Trị), a series, an MOU of two provinces."""
    run = uuid.uuid4().hex[:8]
    org = {
        "kind": "enterprise",
        "public_name": {"vi": "Công ty TNHH Cà phê Khe Sanh"},
        "province": "quang-binh",
        "province_2025": "quang-tri",
        "country": "VN",
        "sectors": ["coffee"],
        "ocop_max_stars": 4,
        "languages": ["vi"],
        "interpreter_languages": [],
    }
    participation = {
        "_id": f"p-{run}",
        "edition_id": f"e-{run}",
        "organisation_id": f"org-{run}",
        "org": org,
        "role": "exhibitor",
        "status": "approved",
        "version": 3,
        "promoted_from_waitlist": False,
        "wants": {"booths": 1, "b2b": True, "site_visits": [], "livestream": False},
    }
    mou = {
        "_id": f"mou-{run}",
        "edition_id": f"e-{run}",
        "kind": "mou",
        "title": {"vi": "Biên bản ghi nhớ"},
        "sector": "wood",
        "products": [],
        "value": None,
        "signed_on": "2025-07-10",
        "meeting_ids": [],
        "document_ref": None,
        "parties": [
            {
                "organisation_id": None,
                "kind": "cooperative",
                "name": {"vi": f"Liên minh HTX {p}"},
                "province": p,
                "province_2025": p,
                "country": "VN",
            }
            for p in ("quang-tri", "hue")
        ],
    }
    with scoped(request_id=f"req-{run}"):  # as in a worker serving a request: the events carry its id
        return [
            registration_events.participation_changed(participation),
            registration_events.series_created({"_id": f"s-{run}", "name": {"vi": "Kết nối cung cầu"}}),
            meeting_events.mou_signed(mou),
        ]


@pytest.fixture
def province_tap():
    tap = Tap(f"it.contract.{uuid.uuid4().hex[:8]}", ("quang-tri.#", "hue.#", "national.#"), public=True)
    yield tap
    tap.delete()


def test_every_message_on_the_public_exchange_is_what_the_document_says(amqp_uri, province_tap):
    sent = events()
    publisher = ConfirmedPublisher(amqp_uri, settings().events_exchange, settings().public_exchange)
    try:
        publisher.publish_all(sent)
    finally:
        publisher.close()
    ours = {e["id"] for e in sent}
    received = [m for m in province_tap.drain(expect=4, timeout=20) if m.payload["id"] in ours]

    keys = sorted(m.delivery_info["routing_key"] for m in received)
    assert keys == sorted(
        [
            f"quang-tri.{sent[0]['type']}",
            f"national.{sent[1]['type']}",
            f"quang-tri.{sent[2]['type']}",
            f"hue.{sent[2]['type']}",
        ]
    )
    doc = document()
    binding = resolved(doc, doc["components"]["channelBindings"]["publicExchange"])["amqp"]["exchange"]
    exchange = public_exchange()
    assert (binding["name"], binding["type"], binding["durable"], binding["autoDelete"]) == (
        exchange.name,
        exchange.type,
        exchange.durable,
        exchange.auto_delete,
    )
    for message in received:
        name = channel_of(message.delivery_info["routing_key"])
        channel = resolved(doc, doc["channels"][name])
        operation = resolved(doc, doc["operations"][f"receive.{name}"])
        assert operation["channel"] == channel and operation["messages"] == list(channel["messages"].values())
        described = channel["messages"][name]
        event = json.loads(message.body)
        assert event["type"] == name and message.delivery_info["exchange"] == binding["name"]
        assert message.content_type == described["contentType"] == doc["defaultContentType"]
        assert message.content_encoding == described["bindings"]["amqp"]["contentEncoding"]
        Draft7Validator(described["headers"]).validate(message.headers)
        Draft7Validator(described["payload"], format_checker=Draft7Validator.FORMAT_CHECKER).validate(event)
        assert message.properties["message_id"] == event["id"] and message.properties["delivery_mode"] == 2
        assert message.properties["correlation_id"] == event["correlationid"]
