"""The answers of the platform operations as the OpenAPI document types them: the two contract documents, a
province's feed, and the webhook delivery log, which pages like every list."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import mongomock
import pytest
from jsonschema import Draft202012Validator

from gateway.openapi import openapi_document
from gateway.service import GatewayService
from integrations import views
from integrations.features.webhooks import Webhooks
from integrations.store import IntegrationsStore
from scripts.openapi_file import untyped_operations
from shared import config
from shared.errors import BadRequest, InvalidInput
from shared.events.asyncapi import document as asyncapi_document
from shared.events.envelope import make_event
from shared.store.door import Door

OPS = {"role": "ops", "subject": "ops-1"}


def _document() -> dict[str, Any]:
    return json.loads(json.dumps(openapi_document(GatewayService), default=str))


def _answer_schema(doc: dict[str, Any], path: str, method: str = "get", status: str = "200") -> Draft202012Validator:
    schema = doc["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]
    return Draft202012Validator({**schema, "components": doc["components"]})


def test_the_contract_documents_are_typed_and_match_their_own_answer_schemas():
    doc = _document()
    untyped = untyped_operations(doc)
    assert {"openapi", "asyncapi", "province_events", "dev_token"}.isdisjoint(untyped)
    openapi = _answer_schema(doc, "/v1/openapi.json")
    assert not list(openapi.iter_errors(doc))
    assert list(openapi.iter_errors({**doc, "swagger": "2.0"}))  # top-level members are listed, not open
    broken = json.loads(json.dumps(doc))
    broken["paths"]["/healthz"]["get"]["operationId"] = 7
    assert list(openapi.iter_errors(broken))
    asyncapi = _answer_schema(doc, "/v1/asyncapi.json")
    contract = json.loads(json.dumps(asyncapi_document()))
    assert not list(asyncapi.iter_errors(contract))
    assert list(asyncapi.iter_errors({**contract, "channels": []}))


def test_json_value_takes_any_json_and_is_typed_for_a_client():
    doc = _document()
    value = Draft202012Validator({"$ref": "#/components/schemas/JsonValue", "components": doc["components"]})
    for anything in ("text", 1, 1.5, True, None, [1, "a", None], {"a": {"b": [{"c": None}]}}):
        assert value.is_valid(anything), anything
    # the recursive component leaves nothing untyped: a client gets string | number | boolean | null | arrays
    # and objects of JsonValue
    assert (
        untyped_operations(
            {
                "components": doc["components"],
                "paths": {
                    "/x": {
                        "get": {
                            "operationId": "x",
                            "responses": {
                                "200": {
                                    "content": {
                                        "application/json": {"schema": {"$ref": "#/components/schemas/JsonValue"}}
                                    }
                                }
                            },
                        }
                    }
                },
            }
        )
        == []
    )


def test_a_published_event_is_a_feed_item_as_documented():
    doc = _document()
    feed = _answer_schema(doc, "/v1/provinces/{province}/events")
    event = make_event(
        "vn.ketnoi.registration.participation.approved.v1",
        "registration",
        "participations/par_1",
        {
            "participation_id": "par_1",
            "edition_id": "ed_1",
            "organisation_id": "org_1",
            "organisation_kind": "enterprise",
            "organisation_name": {"vi": "Công ty Hải Lăng"},
            "province": "quang-tri",
            "province_2025": "quang-tri",
            "country": "VN",
            "sectors": [],
            "ocop_max_stars": None,
            "role": "exhibitor",
            "status": "approved",
            "wants": {"booths": 1, "b2b": False, "site_visits": [], "livestream": False},
            "version": 2,
            "promoted_from_waitlist": False,
        },
        correlation_id="req-1",
    )
    assert not list(feed.iter_errors({"items": [event], "next_cursor": None}))
    assert list(feed.iter_errors({"items": [{**event, "data": "text"}], "next_cursor": None}))  # data is an object


@pytest.fixture
def webhooks(monkeypatch) -> Iterator[Webhooks]:
    monkeypatch.setenv("KETNOI_JWT_SECRET", "a-secret-of-enough-length-for-tests")  # cursors are signed
    config.settings.cache_clear()
    store = IntegrationsStore(Door(mongomock.MongoClient().db, (), None))
    store.db.webhooks.insert_one({"_id": "wh_1", "province": "quang-tri", "status": "active"})
    store.db.webhooks.insert_one({"_id": "wh_2", "province": "quang-tri", "status": "active"})
    for n in range(5):
        for hook in ("wh_1", "wh_2"):
            store.db.deliveries.insert_one(
                {
                    "_id": f"{hook}:ev_{n}",
                    "webhook_id": hook,
                    "event_id": f"ev_{n}",
                    "event_type": "vn.ketnoi.registration.participation.approved.v1",
                    "body": "{}",
                    "status": "delivered",
                    "attempts": 1,
                    "created_at": f"2026-11-27T10:00:0{n // 2}.000000Z",  # two by two in one moment
                    "redeliveries": 0,
                }
            )
    service = Webhooks()
    service.store = store
    yield service
    config.settings.cache_clear()


def test_the_webhook_delivery_log_pages_newest_first_like_every_list(webhooks):
    doc = _document()
    answer = _answer_schema(doc, "/v1/webhooks/{webhook_id}/deliveries")
    first = webhooks.webhook_deliveries(OPS, "wh_1", {"limit": "2"})
    assert not list(answer.iter_errors(first))
    assert first["limit"] == 2 and first["next_cursor"] and "total" not in first
    seen = [d["id"] for d in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = webhooks.webhook_deliveries(OPS, "wh_1", {"limit": "2", "cursor": cursor})
        seen += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
    assert seen == ["wh_1:ev_4", "wh_1:ev_3", "wh_1:ev_2", "wh_1:ev_1", "wh_1:ev_0"]  # newest first, none twice
    assert webhooks.webhook_deliveries(OPS, "wh_1", {})["limit"] == 50
    with pytest.raises(BadRequest, match="not issued for this list"):  # another webhook's cursor
        webhooks.webhook_deliveries(OPS, "wh_2", {"cursor": first["next_cursor"]})
    with pytest.raises(InvalidInput):  # 200 at most, as every list (it took up to 1000, with no next page)
        webhooks.webhook_deliveries(OPS, "wh_1", {"limit": "1000"})
    assert views.delivery(webhooks.store.delivery("wh_1:ev_0")) in [
        d for d in webhooks.webhook_deliveries(OPS, "wh_1", {"limit": "200"})["items"]
    ]


def test_a_booth_freed_for_the_waitlist_and_a_closed_offer_are_answered_as_documented():
    from booths import views as booth_views

    doc = _document()
    booth = Draft202012Validator({"$ref": "#/components/schemas/Booth", "components": doc["components"]})
    freed = {
        "_id": "ed_1:A01",
        "edition_id": "ed_1",
        "code": "A01",
        "zone": "A",
        "size": "standard",
        "kind": "standard",
        "features": ["power"],
        "price_vnd": None,
        "x": 0.0,
        "y": 0.0,
        "w": 3.0,
        "h": 3.0,
        "holder": None,
        "offer": None,
        "source": None,
        "since": "2026-11-27T10:00:00.000000Z",
        "import_id": "imp_1",
        "offer_due": "2026-11-27T10:00:00.000000Z",
        "outbox": {},
        "outbox_n": 0,
    }
    assert not list(booth.iter_errors(booth_views.booth(freed, "Asia/Ho_Chi_Minh")))
    offer = Draft202012Validator({"$ref": "#/components/schemas/BoothOffer", "components": doc["components"]})
    closed = {
        "_id": "off_1",
        "edition_id": "ed_1",
        "booth_code": "A01",
        "participation_id": "par_1",
        "organisation_id": "org_1",
        "quota_group": "host",
        "province": "thanh-hoa",
        "status": "accepted",
        "expires_at": "2026-11-29T10:00:00.000000Z",
        "created_at": "2026-11-27T10:00:00.000000Z",
        "closed_at": "2026-11-27T11:00:00.000000Z",
        "assigning": "2026-11-27T11:00:00.000000Z",
    }
    assert not list(offer.iter_errors(booth_views.offer(closed, "Asia/Ho_Chi_Minh")))


def test_readyz_documents_its_own_503_beside_the_problem():
    responses = _document()["paths"]["/readyz"]["get"]["responses"]
    assert responses["503"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Readiness"}
    assert "application/problem+json" in responses["503"]["content"]
    assert list(responses["200"]["content"]) == ["application/json"]
