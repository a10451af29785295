"""A province's integration through the gateway only: it registers a webhook, a business of the province
registers for an edition, the webhook receives the event signed and the feed lists it; another province's
token reads neither."""

from __future__ import annotations

import json
import time

import pytest

from integrations.signing import HEADER, verify
from tests.support.api import registration
from tests.support.receiver import Receiver
from tests.support.waiting import wait_for

SUBMITTED = "vn.ketnoi.registration.participation.submitted.v1"


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    made.close()


def test_a_province_receives_its_registration_by_webhook_and_reads_it_in_its_feed(api, new_edition, receiver):
    quang_tri, hue = api.token("province", province="quang-tri"), api.token("province", province="hue")
    made = api.request(
        "POST",
        "/v1/webhooks",
        quang_tri,
        json={"url": f"{receiver.base}/good/qt", "event_types": ["vn.ketnoi.registration.*"]},
    )
    assert made.status_code == 201, made.text
    webhook = made.json()
    assert webhook["province"] == "quang-tri" and webhook["secret"].startswith("whsec_")
    refused = api.request(
        "POST",
        "/v1/webhooks",
        hue,
        json={"url": f"{receiver.base}/good/hue", "event_types": [SUBMITTED], "province": "quang-tri"},
    )
    assert refused.status_code == 403 and refused.json()["code"] == "other_province"
    insecure = api.request(
        "POST", "/v1/webhooks", quang_tri, json={"url": "http://partner.example.vn/hook", "event_types": [SUBMITTED]}
    )
    assert insecure.status_code == 422 and insecure.json()["errors"][0]["code"] == "webhook_url_not_local"

    edition = new_edition(host="quang-tri", partners=("hue",))
    sent = api.request(
        "POST",
        f"/v1/editions/{edition['id']}/registrations",
        json=registration("quang-binh", name="HTX Nấm Quảng Bình"),
    )  # now part of Quảng Trị
    assert sent.status_code == 201, sent.text
    participation_id = sent.json()["participation"]["id"]

    def submitted(items):
        return [e for e in items if e["type"] == SUBMITTED and e["data"]["participation_id"] == participation_id]

    wait_for(lambda: submitted(json.loads(b) for _, b, _ in receiver.at("/good/qt")), timeout=20)
    [(headers, body, _)] = [r for r in receiver.at("/good/qt") if submitted([json.loads(r[1])])]
    assert verify(headers[HEADER], webhook["secret"], body, now=int(time.time()))

    feed, cursor = [], None  # the whole feed, page after page: the stack's other tests wrote to it too
    while True:
        page = api.request("GET", "/v1/provinces/quang-tri/events" + (f"?after={cursor}" if cursor else ""), quang_tri)
        assert page.status_code == 200, page.text
        if not page.json()["items"]:
            break
        feed += page.json()["items"]
        cursor = page.json()["next_cursor"]
    assert len(submitted(feed)) == 1 and cursor
    other = api.request("GET", "/v1/provinces/quang-tri/events", hue)
    assert other.status_code == 403 and other.json()["code"] == "other_province"
    assert api.request("GET", "/v1/provinces/quang-binh/events", quang_tri).status_code == 404
    wait_for(
        lambda: any(
            d["event_id"] == json.loads(body)["id"] and d["status"] == "delivered"
            for d in api.request("GET", f"/v1/webhooks/{webhook['id']}/deliveries", quang_tri).json()["items"]
        )
    )
    assert api.request("GET", f"/v1/webhooks/{webhook['id']}/deliveries", hue).status_code == 403
