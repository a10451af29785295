"""The integrations service on the real broker and store, sending to receivers on 127.0.0.1 (http.server):
a good endpoint gets each event once, signed; a failing one is retried, dead-lettered and sent again on
request; a hanging one delays no other; the feed lists a province's events in order and refuses others."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from integrations.features import upkeep
from integrations.service import IntegrationsService
from integrations.settings import hook_settings
from integrations.signing import HEADER, verify
from integrations.store import IntegrationsStore
from shared.errors import KetnoiError
from shared.events.envelope import make_event
from shared.store import door_for
from tests.support.events import publish
from tests.support.receiver import Receiver
from tests.support.waiting import wait_for

OPS = {"role": "ops", "subject": "ops-1"}
APPROVED = "vn.ketnoi.registration.participation.approved.v1"


def province(slug: str) -> dict:
    return {"role": "province", "subject": f"so-cong-thuong-{slug}", "province": slug}


@pytest.fixture(scope="module")
def receiver(service_env) -> Iterator[Receiver]:
    os.environ.update({"KETNOI_WEBHOOK_BACKOFF": "1,1", "KETNOI_WEBHOOK_TIMEOUT": "3"})
    hook_settings.cache_clear()
    upkeep.sender.cache_clear()
    made = Receiver()
    yield made
    made.close()
    for name in ("KETNOI_WEBHOOK_BACKOFF", "KETNOI_WEBHOOK_TIMEOUT"):
        os.environ.pop(name)
    hook_settings.cache_clear()
    upkeep.sender.cache_clear()


@pytest.fixture
def container(container_factory, amqp_uri, receiver):
    made = container_factory(IntegrationsService, {"AMQP_URI": amqp_uri, "ACCEPT": ["json", "cloudevents"]})
    made.start()
    return made


@pytest.fixture
def rpc(amqp_uri, container):
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}) as proxy:
        yield proxy.integrations


def approved(slug: str) -> dict:
    tag = uuid.uuid4().hex[:8]
    return make_event(
        APPROVED,
        "registration",
        f"participations/par_{tag}",
        {
            "participation_id": f"par_{tag}",
            "edition_id": "ed_hooks_it",
            "organisation_id": f"org_{tag}",
            "organisation_kind": "enterprise",
            "organisation_name": {"vi": "Công ty Hải Lăng"},
            "province": slug,
            "province_2025": slug,
            "country": "VN",
            "sectors": [],
            "ocop_max_stars": None,
            "role": "exhibitor",
            "status": "approved",
            "wants": {"booths": 1, "b2b": False, "site_visits": [], "livestream": False},
            "version": 2,
            "promoted_from_waitlist": False,
        },
    )


def hook(rpc, receiver: Receiver, path: str, actor: dict, types: list[str] | None = None, **extra) -> dict:
    return rpc.register_webhook(actor, {"url": receiver.base + path, "event_types": types or [APPROVED], **extra})


def test_a_good_endpoint_gets_each_event_once_signed_and_the_feed_lists_it_once(rpc, receiver):
    path, elsewhere = f"/good/{uuid.uuid4().hex[:6]}", f"/good/{uuid.uuid4().hex[:6]}"
    mine = hook(rpc, receiver, path, province("quang-tri"), ["vn.ketnoi.registration.*"])
    hook(rpc, receiver, elsewhere, province("hue"))
    assert mine["province"] == "quang-tri" and mine["secret"].startswith("whsec_")
    event = approved("quang-tri")
    for _ in range(3):
        publish(event)
    wait_for(lambda: receiver.at(path))
    store = IntegrationsStore(door_for("integrations"))
    wait_for(lambda: store.deliveries(mine["id"], 10)[0]["status"] == "delivered")
    [(headers, body, _)] = receiver.at(path)
    assert json.loads(body) == event and headers["Content-Type"].startswith("application/cloudevents+json")
    assert verify(headers[HEADER], mine["secret"], body, now=int(time.time()))
    assert receiver.at(elsewhere) == []  # another province's webhook gets nothing
    feed = rpc.province_events(province("quang-tri"), "quang-tri", {})
    assert [e["id"] for e in feed["items"]].count(event["id"]) == 1
    [logged] = rpc.webhook_deliveries(province("quang-tri"), mine["id"], {})["items"]
    assert (logged["event_id"], logged["status"], logged["attempts"]) == (event["id"], "delivered", 1)


def test_the_delivery_log_pages_like_every_list_newest_first(rpc, receiver):
    path = f"/paged/{uuid.uuid4().hex[:6]}"
    made = hook(rpc, receiver, path, province("ha-tinh"))
    other = hook(rpc, receiver, f"/paged/{uuid.uuid4().hex[:6]}", province("ha-tinh"))
    events = [approved("ha-tinh") for _ in range(3)]
    for event in events:
        publish(event)
    log = lambda query: rpc.webhook_deliveries(province("ha-tinh"), made["id"], query)  # noqa: E731
    wait_for(lambda: len(log({})["items"]) == 3)
    first = log({"limit": "2"})
    assert first["limit"] == 2 and len(first["items"]) == 2 and first["next_cursor"] and "total" not in first
    rest = log({"limit": "2", "cursor": first["next_cursor"]})
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    rows = first["items"] + rest["items"]
    assert sorted(r["event_id"] for r in rows) == sorted(e["id"] for e in events)
    assert [r["created_at"] for r in rows] == sorted((r["created_at"] for r in rows), reverse=True)
    with pytest.raises(KetnoiError, match="not issued for this list"):  # another webhook's cursor
        rpc.webhook_deliveries(province("ha-tinh"), other["id"], {"cursor": first["next_cursor"]})
    with pytest.raises(KetnoiError):  # one pagination: at most 200 a page (it took up to 1000, with no cursor)
        log({"limit": "1000"})


def test_a_failing_endpoint_is_retried_then_dead_lettered_then_sent_again_on_request(rpc, receiver):
    path = f"/fail/{uuid.uuid4().hex[:6]}"
    receiver.failing = True
    made = hook(rpc, receiver, path, OPS, province="hue")
    event = approved("hue")
    publish(event)
    log = lambda: rpc.webhook_deliveries(OPS, made["id"], {})["items"]  # noqa: E731
    wait_for(lambda: log() and log()[0]["status"] == "dead", timeout=20)
    [dead] = log()
    assert dead["attempts"] == 3 and dead["last"]["status_code"] == 500 and len(receiver.at(path)) == 3
    receiver.failing = False
    again = rpc.redeliver(OPS, made["id"], dead["id"])
    assert again["status"] == "pending"
    wait_for(lambda: log()[0]["status"] == "delivered")
    assert len(receiver.at(path)) == 4 and log()[0]["redeliveries"] == 1
    assert verify(receiver.at(path)[-1][0][HEADER], made["secret"], receiver.at(path)[-1][1], now=int(time.time()))


def test_a_hanging_endpoint_does_not_delay_another(rpc, receiver):
    hanging, good = f"/hang/{uuid.uuid4().hex[:6]}", f"/good/{uuid.uuid4().hex[:6]}"
    hook(rpc, receiver, hanging, province("nghe-an"))
    hook(rpc, receiver, good, province("nghe-an"))
    events = [approved("nghe-an") for _ in range(6)]  # more than a webhook's in-flight slots
    started = time.monotonic()
    for event in events:
        publish(event)
    wait_for(lambda: len(receiver.at(good)) == len(events), timeout=10)
    assert receiver.at(good)[-1][2] - started < 2.5, "the good endpoint waited for the hanging one"
    assert 1 <= len(receiver.at(hanging)) <= 4  # at most its in-flight slots, the rest wait their turn


def test_a_rotated_secret_signs_beside_the_old_one(rpc, receiver):
    path = f"/good/{uuid.uuid4().hex[:6]}"
    made = hook(rpc, receiver, path, province("quang-tri"))
    rotated = rpc.rotate_secret(province("quang-tri"), made["id"])
    assert rotated["secret"] != made["secret"] and rotated["previous_secret_valid_until"]
    publish(approved("quang-tri"))
    wait_for(lambda: receiver.at(path))
    [(headers, body, _)] = receiver.at(path)
    now = int(time.time())
    assert verify(headers[HEADER], made["secret"], body, now=now)
    assert verify(headers[HEADER], rotated["secret"], body, now=now)


def walk(rpc, reader: dict, province_code: str, limit: int = 2) -> tuple[list[dict], str | None]:
    """Every event of a province's feed, page by page from the first (other tests' events too: the store is
    shared), and the cursor the last page ended on."""
    seen, cursor = [], None
    while True:
        page = rpc.province_events(reader, province_code, {"limit": limit, **({"after": cursor} if cursor else {})})
        if not page["items"]:
            assert page["next_cursor"] == cursor  # a feed never ends: the cursor stays on the last event
            return seen, cursor
        seen += page["items"]
        cursor = page["next_cursor"]


def test_the_feed_is_ordered_resumable_and_only_for_its_province(rpc, receiver):
    events = [approved("ha-tinh") for _ in range(3)]
    for event in events:
        publish(event)
    reader = province("ha-tinh")
    mine = {e["id"] for e in events}
    wait_for(lambda: mine <= {e["id"] for e in walk(rpc, reader, "ha-tinh", limit=200)[0]})
    seen, cursor = walk(rpc, reader, "ha-tinh")  # two at a time, each page after the last
    ids = [e["id"] for e in seen]
    assert [e["id"] for e in events] == [i for i in ids if i in mine]  # in the order they were published
    assert len(ids) == len(set(ids))
    assert all(e["data"].get("province_2025") in (None, "ha-tinh") for e in seen)  # its own and national ones
    with pytest.raises(KetnoiError, match="only its own events"):
        rpc.province_events(province("quang-tri"), "ha-tinh", {})
    with pytest.raises(KetnoiError, match="not issued for this list"):  # a cursor of another province's feed
        rpc.province_events(province("quang-tri"), "quang-tri", {"after": cursor})


def test_replay_sends_a_province_s_earlier_events_to_a_webhook_made_later(rpc, receiver):
    earlier = [approved("lai-chau") for _ in range(2)]
    for event in earlier:
        publish(event)
    reader = province("lai-chau")
    wait_for(lambda: len(rpc.province_events(reader, "lai-chau", {})["items"]) >= 2)
    path = f"/good/{uuid.uuid4().hex[:6]}"
    made = hook(rpc, receiver, path, reader)
    assert receiver.at(path) == []  # a new webhook gets what happens from now on
    assert rpc.replay(reader, made["id"], {})["queued"] >= 2
    wait_for(lambda: {e["id"] for e in earlier} <= {json.loads(b)["id"] for _, b, _ in receiver.at(path)})
    with pytest.raises(KetnoiError, match="every province"):
        rpc.replay(OPS, hook(rpc, receiver, path + "-all", OPS, ["*"])["id"], {})
