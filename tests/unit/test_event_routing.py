"""Routing keys on ``ketnoi.public``: ``<province since 2025>.<event type>``, or ``national.<event type>``."""

from __future__ import annotations

import json
import logging
from datetime import date

import pytest

from booths import events as booth_events
from meetings import events as meeting_events
from registration import events
from shared.events.catalogue import NATIONAL, catalogue, catalogue_dir, public_types
from shared.events.routing import provinces_of, public_routing_keys
from shared.reference.provinces import provinces_on
from tests.unit.test_event_catalogue import (
    booth,
    edition,
    enterprise,
    every_booths_builder_call,
    every_builder_call,
    every_meetings_builder_call,
    every_notifications_builder_call,
    foreign_buyer,
    holder,
    offer,
    participation,
    product,
    slot,
)

UNITS_2025 = set(provinces_on(date(2025, 7, 1)))
APPROVED = "vn.ketnoi.registration.participation.approved.v1"
MOU = "vn.ketnoi.meetings.mou.signed.v1"


def every_event() -> list[dict]:
    return (
        every_builder_call()
        + every_booths_builder_call()
        + every_meetings_builder_call()
        + every_notifications_builder_call()
    )


def schema_properties(event_type: str) -> dict:
    schema = json.loads((catalogue_dir() / catalogue()[event_type].schema_file).read_text(encoding="utf-8"))
    return schema["properties"]


@pytest.mark.parametrize("event_type", public_types())
def test_every_public_type_names_a_province_field_or_is_national(event_type):
    rule = catalogue()[event_type].routing
    if rule == NATIONAL:
        return
    properties = schema_properties(event_type)
    if rule.startswith("parties[]."):
        properties = properties["parties"]["items"]["properties"]
        rule = rule.removeprefix("parties[].")
    assert rule in properties and "null" in properties[rule]["type"], (event_type, rule)


def test_internal_types_have_no_routing_and_no_public_key():
    internal = [spec for spec in catalogue().values() if not spec.public]
    assert internal and all(spec.routing is None for spec in internal)
    for event in every_event():
        if not catalogue()[event["type"]].public:
            assert public_routing_keys(event) == [], event["type"]


def test_every_public_event_gets_keys_that_name_a_2025_unit_or_national():
    seen = set()
    for event in every_event():
        if not catalogue()[event["type"]].public:
            continue
        keys = public_routing_keys(event)
        assert keys and len(keys) == len(set(keys)), event["type"]
        for key in keys:
            first, rest = key.split(".", 1)
            assert rest == event["type"] and (first in UNITS_2025 or first == NATIONAL), key
        seen.add(event["type"])
    assert seen == set(public_types())


def test_an_organisation_s_events_go_to_its_province():
    org = enterprise()  # quang-tri
    events_about_it = [
        events.organisation_registered(org),
        events.participation_changed(participation(org, "approved")),
        events.product_registered(product(origin_province="nghe-an"), org["province"]),
        booth_events.booth_allocated(booth(), holder(org), "claim"),
        booth_events.booth_released(booth(), holder(org), "moved"),
        booth_events.slot_booked(slot(org), org["province"]),
        booth_events.offer_changed(offer(province="quang-tri")),
    ]
    for event in events_about_it:
        assert public_routing_keys(event) == [f"quang-tri.{event['type']}"]


def test_a_pre_2025_province_is_routed_to_its_successor():
    """Quảng Bình merged into Quảng Trị on 2025-07-01, Thừa Thiên Huế is Huế: a Department binds one key for
    its editions before and after the merger."""
    org = {**enterprise(), "province": "quang-binh"}
    before = participation(org, "approved")
    before["org"]["province_2025"] = "quang-tri"
    assert public_routing_keys(events.participation_changed(before)) == [f"quang-tri.{APPROVED}"]
    registered = events.organisation_registered(org)
    assert registered["data"]["province"] == "quang-binh"  # the data keeps the province as registered
    assert public_routing_keys(registered) == [f"quang-tri.{registered['type']}"]
    hue = booth_events.booth_allocated(booth(), holder({**enterprise(), "province": "thua-thien-hue"}), "claim")
    assert public_routing_keys(hue) == [f"hue.{hue['type']}"]


def test_editions_series_and_foreign_organisations_are_national():
    ed = edition()  # hosted by quang-tri with partners hue and ha-tinh: still every province's business
    for event in (
        events.edition_created(ed),
        events.edition_updated(ed, ["venue"]),
        events.edition_status_changed(ed, "draft"),
        events.organisation_registered(foreign_buyer()),
        events.participation_changed(participation(foreign_buyer(), "submitted")),
        booth_events.offer_changed(offer(province="foreign")),
        booth_events.floor_plan_imported("e1", 0, [], []),
    ):
        assert public_routing_keys(event) == [f"{NATIONAL}.{event['type']}"], event["type"]


def mou(*parties: tuple[str | None, str | None]) -> dict:
    return meeting_events.mou_signed(
        {
            "_id": "mou_1",
            "edition_id": "e1",
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
                    "name": {"vi": f"Bên {i}"},
                    "province": p,
                    "province_2025": p25,
                    "country": "VN" if p else "TH",
                }
                for i, (p, p25) in enumerate(parties)
            ],
        }
    )


def test_an_mou_goes_once_to_each_party_s_province():
    two = mou(("ha-tinh", "ha-tinh"), ("quang-tri", "quang-tri"), (None, None))
    assert public_routing_keys(two) == [f"ha-tinh.{MOU}", f"quang-tri.{MOU}"]
    same = mou(("quang-binh", "quang-tri"), ("quang-tri", "quang-tri"))
    assert public_routing_keys(same) == [f"quang-tri.{MOU}"]
    assert public_routing_keys(mou((None, None), (None, None))) == [f"{NATIONAL}.{MOU}"]


def test_an_event_without_the_province_field_is_national():
    """Events staged before booths and products carried ``province`` (2026-11) have none to go by."""
    event = booth_events.booth_released(booth(), holder(enterprise()), "moved")
    del event["data"]["province"]
    assert provinces_of(event["type"], event["data"]) == []
    assert public_routing_keys(event) == [f"{NATIONAL}.{event['type']}"]


def test_an_unknown_province_is_logged_and_not_a_key(caplog):
    event = events.participation_changed(participation(enterprise(), "approved"))
    event["data"]["province_2025"] = "atlantis"
    with caplog.at_level(logging.WARNING, logger="shared.events.routing"):
        assert public_routing_keys(event) == [f"{NATIONAL}.{APPROVED}"]
    assert "atlantis" in caplog.text
