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
import pytest
from werkzeug.wrappers import Request, Response

from gateway import idempotency
from gateway.idempotency import LEASE, IdempotencyStore
from gateway.store import gateway_store
from shared.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable
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


def test_a_crashed_gateway_s_claim_is_taken_over_after_its_lease(keys):
    key = uuid.uuid4().hex
    store = gateway_store()
    record_id = idempotency._hash("anonymous", "POST", "/v1/things", key)
    now = datetime.now(UTC)
    assert store.claim_key(record_id, idempotency._hash(post().get_data()), now, now + timedelta(hours=1))
    with pytest.raises(Conflict):  # within the lease: the first may still be running
        keys.run(key, post(), Counter())
    store.backdate_claim(record_id, now - LEASE - timedelta(seconds=5))
    command = Counter()
    assert keys.run(key, post(), command).status_code == 201 and command.runs == 1
    assert record(key)["state"] == "done"


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
