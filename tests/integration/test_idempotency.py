"""``Idempotency-Key`` on the real store, without HTTP: every branch a retrying client can meet, fast.

The end-to-end tests show a retried registration creates nothing twice; these pin the branches one by one:
a replay, a reused key with another body, a retry while the first is running, a crashed gateway's claim
taken over after its lease, a failed answer letting the retry run, and a 503 keeping the key until its
Retry-After.  Other keys are never touched.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import eventlet
import eventlet.event
import pytest
from nameko.rpc import rpc
from nameko.testing.services import entrypoint_hook
from werkzeug.wrappers import Request, Response

from gateway import idempotency
from gateway.idempotency import LEASE, IdempotencyStore
from gateway.store import gateway_store
from shared.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable
from shared.store import database
from shared.timestamps import from_text
from tests.support.waiting import wait_for

pytestmark = pytest.mark.usefixtures("service_env")


def post(body: bytes = b'{"n": 1}') -> Request:
    request = Request.from_values(path="/v1/things", method="POST", data=body, content_type="application/json")
    request.principal = None
    return request


class Counter:
    """The command behind the key: counts its runs and answers 201 (or raises what it is given)."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.runs = 0
        self.fail = fail

    def __call__(self) -> Response:
        self.runs += 1
        if self.fail:
            raise self.fail
        return Response('{"id": "x1"}', status=201, mimetype="application/json", headers={"Location": "/x1"})


@pytest.fixture
def keys() -> IdempotencyStore:
    return IdempotencyStore(gateway_store())


def record(key: str) -> dict | None:
    return gateway_store().key_record(idempotency._hash("anonymous", "POST", "/v1/things", key))


def test_a_retry_gets_the_first_answer_and_the_command_runs_once(keys):
    key, other = uuid.uuid4().hex, uuid.uuid4().hex
    keys.run(other, post(), Counter())
    before = record(other)
    command = Counter()
    first = keys.run(key, post(), command)
    again = keys.run(key, post(), command)
    assert command.runs == 1 and (again.status_code, again.get_data()) == (201, first.get_data())
    assert again.headers["Idempotent-Replayed"] == "true" and again.headers["Location"] == "/x1"
    assert record(other) == before


def test_the_same_key_with_another_body_is_a_client_error(keys):
    key = uuid.uuid4().hex
    keys.run(key, post(), Counter())
    command = Counter()
    with pytest.raises(InvalidInput) as refused:
        keys.run(key, post(b'{"n": 2}'), command)
    assert refused.value.code == "idempotency_key_reused" and command.runs == 0


def test_a_retry_while_the_first_still_runs_is_409(keys):
    key = uuid.uuid4().hex
    inner = Counter()

    def slow() -> Response:
        with pytest.raises(Conflict) as busy:
            keys.run(key, post(), inner)  # the client gave up waiting and sent it again
        assert busy.value.code == "idempotency_in_progress"
        return Counter()()

    assert keys.run(key, post(), slow).status_code == 201 and inner.runs == 0


def claimed_by(owner: str | None, at: datetime) -> str:
    """A key claimed at ``at`` by gateway process ``owner`` (None: a claim from before owners were named)."""
    key = uuid.uuid4().hex
    record_id = idempotency._hash("anonymous", "POST", "/v1/things", key)
    fingerprint = idempotency._hash(post().get_data())
    store = gateway_store()
    assert store.claim_key(record_id, fingerprint, at, at + timedelta(hours=1), owner or "gateway_old")
    if owner is None:
        database("gateway").idempotency.update_one({"_id": record_id}, {"$unset": {"owner": ""}})
    return key


def test_a_crashed_gateway_s_claim_is_taken_over_after_its_lease(keys):
    """A claim that names no owner (as claims did before owners were named) waits out the whole lease."""
    now = datetime.now(UTC)
    key = claimed_by(None, now - idempotency.SILENCE * 2)
    with pytest.raises(Conflict):  # within the lease: the first may still be running
        keys.run(key, post(), Counter())
    gateway_store().backdate_claim(idempotency._hash("anonymous", "POST", "/v1/things", key), now - LEASE * 2)
    command = Counter()
    assert keys.run(key, post(), command).status_code == 201 and command.runs == 1
    assert record(key)["state"] == "done"


def test_a_killed_gateway_s_claim_is_taken_over_once_it_has_been_silent(keys, monkeypatch):
    """The sigkill drill: a registration whose gateway was killed mid-request was refused with 409 for 61 s
    (the whole lease).  Now its claim is free once its process has missed its beats; the claim of a process
    that still beats is not, however old it looks, nor is one too young to judge, nor is any judged by a
    process whose own beats only just reached the store again (after a store pause every beat is old)."""
    monkeypatch.setattr(idempotency, "SILENCE", timedelta(seconds=1))
    alive, returning = IdempotencyStore(gateway_store()), IdempotencyStore(gateway_store())
    alive.beat()
    keys.beat()
    silent = datetime.now(UTC) - timedelta(seconds=2)
    held = claimed_by(alive.instance, silent)
    orphan = claimed_by(f"gateway_gone{uuid.uuid4().hex[:6]}", silent)
    # not a wait on a condition: the silence passing is the scenario
    eventlet.sleep(1.1)
    alive.beat()
    keys.beat()
    returning.beat()  # its first beat since the store came back
    young = claimed_by(f"gateway_gone{uuid.uuid4().hex[:6]}", datetime.now(UTC))
    before = {k: record(k) for k in (held, young, orphan)}
    for judge, busy in ((keys, held), (keys, young), (returning, orphan)):
        with pytest.raises(Conflict):
            judge.run(busy, post(), Counter())
    assert {k: record(k) for k in (held, young, orphan)} == before  # refusing changed no claim
    command = Counter()
    assert keys.run(orphan, post(), command).status_code == 201 and command.runs == 1
    assert record(orphan)["state"] == "done"
    assert {k: record(k) for k in (held, young)} == {k: before[k] for k in (held, young)}


def test_a_refused_command_lets_the_retry_run(keys):
    key = uuid.uuid4().hex
    with pytest.raises(NotFound):
        keys.run(key, post(), Counter(NotFound("No such edition.")))
    assert record(key) is None
    command = Counter()
    assert keys.run(key, post(), command).status_code == 201 and command.runs == 1


def test_a_503_keeps_the_key_until_its_retry_after(keys, monkeypatch):
    """The first attempt may still finish behind the 503: a retry at once is 409, one after Retry-After
    runs (and the commands that repeat safely make that run harmless)."""
    monkeypatch.setattr(idempotency, "RETRY_AFTER_SECONDS", 1)
    key = uuid.uuid4().hex
    with pytest.raises(ServiceUnavailable):
        keys.run(key, post(), Counter(ServiceUnavailable("The registration service did not answer.")))
    assert record(key)["state"] == "pending"
    with pytest.raises(Conflict):
        keys.run(key, post(), Counter())

    def free_at() -> datetime | None:
        """When the key may be taken over, once the gateway's green thread has dated its claim back."""
        claimed_at = from_text(record(key)["claimed_at"])
        return claimed_at + LEASE if claimed_at < datetime.now(UTC) - LEASE / 2 else None

    retry_at = wait_for(free_at)
    # not a wait on a condition: the client waiting out the Retry-After (1 s here) is the scenario
    eventlet.sleep(max((retry_at - datetime.now(UTC)).total_seconds(), 0) + 0.05)
    command = Counter()
    assert keys.run(key, post(), command).status_code == 201 and command.runs == 1


def test_the_gateway_beats_in_a_thread_of_its_own_while_every_worker_is_busy(container_factory, amqp_uri, monkeypatch):
    """A beat that waited for a free worker would stop while requests hold them all, and a busy gateway would
    look dead to the others, which would then run its requests a second time."""
    monkeypatch.setattr(idempotency, "BEAT_SECONDS", 0.2)
    release = eventlet.event.Event()

    class Busy:
        name = "busygateway"
        heartbeat = idempotency.Heartbeat()

        @rpc
        def hold(self) -> None:
            release.wait()

    container = container_factory(Busy, {"AMQP_URI": amqp_uri, "max_workers": 1})
    container.start()
    keys = idempotency.idempotency_store()

    def hold_the_only_worker() -> None:
        with entrypoint_hook(container, "hold") as hold:
            hold()

    holding = eventlet.spawn(hold_the_only_worker)
    try:
        wait_for(lambda: container._worker_threads, timeout=10)  # the only worker is taken
        first = wait_for(lambda: keys.records.seen_at(keys.instance), timeout=10)
        wait_for(lambda: (keys.records.seen_at(keys.instance) or "") > first, timeout=10)
        assert container._worker_threads  # still held while it beat
    finally:
        release.send()
        holding.wait()
