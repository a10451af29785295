"""Province credentials on a real broker: the broker itself keeps a province to its own events.

``python -m shared.events.provinces`` talks to RabbitMQ's management API, which the machine's broker does not
enable (and should not, for the sake of this test: it would listen beyond the loopback the machine's broker is
kept to), so this module starts a broker of its own with the plugin, as production's image has it.  Each test
gets a vhost of its own; the relay's publisher sends the events, as the services do.
"""

from __future__ import annotations

import contextlib
import json
import uuid

import pytest
from amqp import Message
from amqp.exceptions import AccessRefused
from kombu import Connection

from registration import events
from shared import config
from shared.events.consumer import DEFAULT_BACKOFF
from shared.events.history import declare_history
from shared.events.provinces import Management, main
from shared.events.publisher import ConfirmedPublisher
from shared.events.topology import declare_exchanges, declare_handler, handler_queues
from tests.support.waiting import wait_for
from tests.unit.test_event_catalogue import edition, enterprise, foreign_buyer, participation
from tests.unit.test_event_routing import mou

EVENTS, PUBLIC = "ketnoi.events", "ketnoi.public"
APPROVED = "vn.ketnoi.registration.participation.approved.v1"
MOU = "vn.ketnoi.meetings.mou.signed.v1"
CONTACTS = "vn.ketnoi.registration.organisation.contacts_changed.v1"


@pytest.fixture(scope="module")
def broker(private_rabbitmq):
    wait_for(lambda: _answers(Management(private_rabbitmq.management_url)), timeout=30)
    return private_rabbitmq


def _answers(api: Management) -> bool:
    try:
        return bool(api.call("GET", "overview"))
    except Exception:
        return False


@pytest.fixture
def vhost(broker, monkeypatch, tmp_path) -> str:
    """A vhost of the test's own with ketnoi's exchanges; the command's settings point at it."""
    name, api = f"ketnoi-{uuid.uuid4().hex[:6]}", Management(broker.management_url)
    api.call("PUT", "vhosts", name)
    api.call("PUT", "permissions", name, "guest", body={"configure": ".*", "write": ".*", "read": ".*"})
    monkeypatch.setenv("KETNOI_AMQP_URI", uri(broker, name))
    monkeypatch.setenv("KETNOI_RABBITMQ_MANAGEMENT_URL", broker.management_url)
    monkeypatch.setenv("KETNOI_DEV_MODE", "1")
    monkeypatch.chdir(tmp_path)
    config.settings.cache_clear()
    with Connection(uri(broker, name)) as connection:
        declare_exchanges(connection)
    yield name
    config.settings.cache_clear()
    api.call("DELETE", "vhosts", name)
    for user in api.call("GET", "users"):  # users belong to the broker, not to a vhost
        if user["name"] != "guest":
            api.call("DELETE", "users", user["name"])


def uri(broker, vhost: str, user: str = "guest", password: str = "guest") -> str:
    return f"amqp://{user}:{password}@127.0.0.1:{broker.port}/{vhost}"


def create(*args: str, password: str | None = None) -> int:
    if password is not None:
        with open("password", "w", encoding="utf-8") as file:
            file.write(password + "\n")
        args = (*args, "--password-file", "password")
    return main(["create", *args])


def bound_queue(connection: Connection, queue: str, *keys: str) -> None:
    channel = connection.channel()
    channel.queue_declare(queue=queue, durable=True, auto_delete=False)
    for key in keys:
        channel.queue_bind(queue=queue, exchange=PUBLIC, routing_key=key)
    channel.close()


def refused(connection: Connection, call) -> bool:
    """Whether the broker answers ``call(channel)`` with ACCESS_REFUSED (the channel dies with it)."""
    channel = connection.channel()
    try:
        call(channel)
        channel.basic_qos(0, 0, False)  # a publish is refused asynchronously: a synchronous call surfaces it
    except AccessRefused:
        return True
    channel.close()
    return False


def everything_in(connection: Connection, queue: str) -> list[tuple[str, dict]]:
    """(routing key, event) of every message in ``queue``; complete once the publisher had its confirms."""
    channel, found = connection.channel(), []
    while (message := channel.basic_get(queue=queue, no_ack=True)) is not None:
        found.append((message.delivery_info["routing_key"], json.loads(message.body)))
    channel.close()
    return found


def publish(broker, vhost: str, *published: dict) -> None:
    publisher = ConfirmedPublisher(uri(broker, vhost), EVENTS, PUBLIC)
    try:
        publisher.publish_all(published)
    finally:
        publisher.close()


def approved_in(province: str | None) -> dict:
    org = {**enterprise(), "province": province} if province else foreign_buyer()
    snapshot = participation(org, "approved")
    snapshot["org"]["province_2025"] = {"quang-binh": "quang-tri"}.get(province, province)
    return events.participation_changed(snapshot)


def two_provinces_worth() -> dict[str, dict]:
    return {
        "quang-tri": approved_in("quang-tri"),
        "quang-binh": approved_in("quang-binh"),
        "hue": approved_in("hue"),
        "foreign": approved_in(None),
        "edition": events.edition_created(edition()),
        "mou": mou(("quang-tri", "quang-tri"), ("hue", "hue")),
        "contacts": events.contacts_changed(enterprise()),
    }


def test_a_province_receives_its_own_and_national_events_and_nothing_else(broker, vhost):
    assert create("quang-tri", password="qt-secret") == 0
    assert create("hue", password="hue-secret") == 0
    with (
        Connection(uri(broker, vhost, "province.quang-tri", "qt-secret")) as quang_tri,
        Connection(uri(broker, vhost, "province.hue", "hue-secret")) as hue,
        Connection(uri(broker, vhost)) as ketnoi,
    ):
        bound_queue(quang_tri, "province.quang-tri.reports", "quang-tri.#", "national.#")
        bound_queue(hue, "province.hue.reports", "hue.vn.ketnoi.registration.#", "hue.vn.ketnoi.meetings.#")
        # a service's handler queues as the topology declares them, bound by type on the internal exchange
        internal = handler_queues("it", "handler", (APPROVED, MOU, CONTACTS), DEFAULT_BACKOFF)
        declare_handler(ketnoi, internal)
        sent = two_provinces_worth()
        publish(broker, vhost, *sent.values())

        got = everything_in(quang_tri, "province.quang-tri.reports")
        assert sorted(e["id"] for _, e in got) == sorted(
            sent[k]["id"] for k in ("quang-tri", "quang-binh", "foreign", "edition", "mou")
        )
        assert {key for key, _ in got} == {
            f"quang-tri.{APPROVED}",
            f"quang-tri.{MOU}",
            f"national.{APPROVED}",
            "national.vn.ketnoi.registration.edition.created.v1",
        }
        got = everything_in(hue, "province.hue.reports")
        assert sorted(e["id"] for _, e in got) == sorted(sent[k]["id"] for k in ("hue", "mou"))
        # ketnoi's own consumers are untouched: every event once, under its type, the internal one too
        got = everything_in(ketnoi, internal.main.name)
        assert sorted(e["id"] for _, e in got) == sorted(e["id"] for k, e in sent.items() if k != "edition")
        assert all(key == e["type"] for key, e in got)


def test_a_province_may_bind_nothing_but_its_own_and_national_keys(broker, vhost):
    assert create("quang-tri", password="qt-secret") == 0
    queue = "province.quang-tri.reports"

    def binding(key: str, exchange: str = PUBLIC):
        return lambda channel: channel.queue_bind(queue=queue, exchange=exchange, routing_key=key)

    with Connection(uri(broker, vhost, "province.quang-tri", "qt-secret")) as quang_tri:
        bound_queue(quang_tri, queue)
        for key in (
            "#",
            "*.#",
            "hue.#",
            f"hue.{APPROVED}",
            f"*.{APPROVED}",
            "vn.ketnoi.#",
            "quang-binh.#",
            "quang-tri-x.#",
            "#.quang-tri.#",
        ):
            assert refused(quang_tri, binding(key)), key
        for key in ("quang-tri.#", f"quang-tri.{APPROVED}", "national.#"):
            assert not refused(quang_tri, binding(key)), key
        assert refused(quang_tri, binding(APPROVED, EVENTS))  # ketnoi's internal exchange
        assert not refused(quang_tri, lambda channel: channel.exchange_declare(PUBLIC, "topic", passive=True))
        assert refused(quang_tri, lambda channel: channel.exchange_declare(PUBLIC, "topic", durable=True))
        assert refused(
            quang_tri, lambda channel: channel.basic_publish(Message(b"{}"), exchange=PUBLIC, routing_key="quang-tri.x")
        )
        assert refused(quang_tri, lambda channel: channel.basic_consume(queue="ketnoi.registration.any"))


def test_a_province_may_declare_queues_only_under_its_prefix(broker, vhost):
    assert create("quang-tri", password="qt-secret") == 0
    with Connection(uri(broker, vhost, "province.quang-tri", "qt-secret")) as quang_tri:
        for name in ("province.hue.reports", "province.quang-tri", "ketnoi.booths.on_approved", "reports", ""):
            assert refused(quang_tri, lambda ch, name=name: ch.queue_declare(queue=name, durable=True)), name
        assert not refused(quang_tri, lambda ch: ch.queue_declare(queue="province.quang-tri.booths", durable=True))


def test_an_ops_user_binds_everything_and_gets_each_copy(broker, vhost):
    assert create("dashboard", "--ops", password="ops-secret") == 0
    with Connection(uri(broker, vhost, "ops.dashboard", "ops-secret")) as ops:
        bound_queue(ops, "ops.dashboard.all", "#")
        sent = two_provinces_worth()
        publish(broker, vhost, *sent.values())
        got = everything_in(ops, "ops.dashboard.all")
    ids = [e["id"] for _, e in got]
    assert ids.count(sent["mou"]["id"]) == 2  # one per party's province: the same event, to drop by id
    assert sorted(set(ids)) == sorted(e["id"] for k, e in sent.items() if k != "contacts")


def refused_login(broker, vhost: str, user: str, password: str) -> bool:
    try:
        with Connection(uri(broker, vhost, user, password), connect_timeout=5) as connection:
            connection.connect()
    except AccessRefused:
        return True
    return False


def test_create_and_delete_are_idempotent(broker, vhost, capsys):
    assert create("quang-tri") == 0
    password = capsys.readouterr().out.split("password (shown once): ")[1].strip()
    assert create("quang-tri") == 0  # again: same permissions, the password left alone
    assert "password" not in capsys.readouterr().out
    assert not refused_login(broker, vhost, "province.quang-tri", password)
    assert create("hue", password="hue-secret") == 0
    with Connection(uri(broker, vhost, "province.quang-tri", password)) as quang_tri:
        bound_queue(quang_tri, "province.quang-tri.reports", "quang-tri.#")
    with Connection(uri(broker, vhost, "province.hue", "hue-secret")) as hue:
        bound_queue(hue, "province.hue.reports", "hue.#")

    assert create("quang-tri", password="rotated") == 0
    assert refused_login(broker, vhost, "province.quang-tri", password)
    assert not refused_login(broker, vhost, "province.quang-tri", "rotated")

    assert main(["delete", "quang-tri"]) == 0
    assert "province.quang-tri.reports" in capsys.readouterr().out
    assert main(["delete", "quang-tri"]) == 0
    assert refused_login(broker, vhost, "province.quang-tri", "rotated")
    api = Management(broker.management_url)
    assert api.queue_names(vhost) == ["province.hue.reports"]  # the neighbour's queue and user stay
    assert api.user_exists("province.hue")


def test_a_merged_or_unknown_province_gets_no_user(broker, vhost, capsys):
    assert create("quang-binh") == 1
    assert "create quang-tri instead" in capsys.readouterr().err
    assert create("atlantis") == 1
    assert create("Not A Name", "--ops") == 1
    assert not Management(broker.management_url).user_exists("province.quang-binh")


def test_a_broker_set_up_before_province_keys_stops_copying_bare_types(broker, vhost):
    """It bound ``ketnoi.public`` to ``ketnoi.events`` for each public type: whoever may bind ``#`` would get
    every event twice, once under a key that names no province."""
    with Connection(uri(broker, vhost)) as ketnoi:
        channel = ketnoi.channel()
        channel.exchange_bind(destination=PUBLIC, source=EVENTS, routing_key=APPROVED)
        api = Management(broker.management_url)
        assert api.call("GET", "bindings", vhost, "e", EVENTS, "e", PUBLIC)
        declare_exchanges(ketnoi)
        assert api.call("GET", "bindings", vhost, "e", EVENTS, "e", PUBLIC) == []
        channel.queue_declare(queue="ops.it.all", durable=True, auto_delete=False)
        channel.queue_bind(queue="ops.it.all", exchange=PUBLIC, routing_key="#")
        event = approved_in("hue")
        publish(broker, vhost, event)
        assert [key for key, _ in everything_in(ketnoi, "ops.it.all")] == [f"hue.{APPROVED}"]


def replay(connection: Connection, stream: str, count: int, offset: object = "first") -> list[tuple[int, str, dict]]:
    """(stream offset, routing key, event) of the first ``count`` messages from ``offset`` (a stream needs a
    prefetch and acks); fails the test if they do not all come within 15 s."""
    channel, got = connection.channel(), []

    def on_message(message) -> None:
        got.append((message.headers["x-stream-offset"], message.delivery_info["routing_key"], json.loads(message.body)))
        channel.basic_ack(message.delivery_tag)

    channel.basic_qos(0, 100, False)
    channel.basic_consume(queue=stream, callback=on_message, arguments={"x-stream-offset": offset})
    wait_for(lambda: _drained(connection) or len(got) >= count, timeout=15)
    channel.close()
    return got[:count]


def _drained(connection: Connection) -> bool:
    with contextlib.suppress(TimeoutError):
        connection.drain_events(timeout=0.2)
    return False


def test_a_province_replays_its_own_history_from_the_start_or_an_offset_and_nothing_else(broker, vhost):
    with Connection(uri(broker, vhost)) as ketnoi:
        assert len(declare_history(ketnoi)) == 34
        declare_history(ketnoi)  # the topology job runs at every deployment: the same arguments again
    assert create("quang-tri", password="qt-secret") == 0
    sent = two_provinces_worth()
    publish(broker, vhost, *sent.values())  # before the province ever connects
    mine = sorted(sent[k]["id"] for k in ("quang-tri", "quang-binh", "foreign", "edition", "mou"))
    with Connection(uri(broker, vhost, "province.quang-tri", "qt-secret")) as quang_tri:
        first = replay(quang_tri, "history.quang-tri", len(mine))
        assert sorted(e["id"] for _, _, e in first) == mine
        assert {key.split(".")[0] for _, key, _ in first} == {"quang-tri", "national"}
        again = replay(quang_tri, "history.quang-tri", len(mine))  # a replay is the same history
        assert [e["id"] for _, _, e in again] == [e["id"] for _, _, e in first]
        resumed = replay(quang_tri, "history.quang-tri", 2, offset=first[-2][0])  # where a consumer stopped
        assert [e["id"] for _, _, e in resumed] == [e["id"] for _, _, e in first[-2:]]

        assert refused(
            quang_tri, lambda ch: ch.basic_consume(queue="history.hue", arguments={"x-stream-offset": "first"})
        )  # another province's history
        assert refused(quang_tri, lambda ch: ch.queue_delete(queue="history.quang-tri"))  # nor may it lose its own
    with Connection(uri(broker, vhost)) as ketnoi:
        hue = replay(ketnoi, "history.hue", 4)  # its own, the MOU with a party there, the national ones
        assert sorted(e["id"] for _, _, e in hue) == sorted(sent[k]["id"] for k in ("hue", "mou", "foreign", "edition"))
