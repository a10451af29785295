"""The consumer's inbox on the real store: one run per event, a dead worker's claim taken over after its
lease, a failed run's claim given back, and other events' records left alone by every step."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from shared.store import database
from shared.store.inbox import INBOX, Inbox

pytestmark = pytest.mark.usefixtures("service_env")
LEASE = timedelta(minutes=5)
TYPE = "vn.ketnoi.registration.participation.approved.v1"


def key() -> str:
    return f"on_approved:ev-{uuid.uuid4().hex}"


def records(*keys: str) -> dict[str, dict]:
    return {k: database("booths")[INBOX].find_one({"_id": k}, {"state": 1, "claimed_at": 1}) for k in keys}


def age(event: str) -> None:
    """The claim's worker died longer ago than the lease."""
    database("booths")[INBOX].update_one({"_id": event}, {"$set": {"claimed_at": "2020-01-01T00:00:00.000000Z"}})


@pytest.fixture
def inbox() -> Inbox:
    return Inbox.of("booths", LEASE)


def test_an_event_runs_once_and_a_repeat_after_it_is_done(inbox):
    event, neighbour = key(), key()
    assert inbox.claim(neighbour, TYPE) == "run"
    before = records(neighbour)
    assert inbox.claim(event, TYPE) == "run"
    assert inbox.claim(event, TYPE) == "busy"  # another worker holds it now
    inbox.done(event)
    assert inbox.claim(event, TYPE) == "done"
    assert records(neighbour) == before


def test_two_workers_given_one_event_at_once_run_it_once(inbox):
    event = key()
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: Inbox.of("booths", LEASE).claim(event, TYPE), range(8)))
    assert sorted(answers) == ["busy"] * 7 + ["run"]


def test_a_dead_worker_s_claim_is_taken_over_after_its_lease_only(inbox):
    event, neighbour = key(), key()
    assert inbox.claim(event, TYPE) == "run"
    assert inbox.claim(neighbour, TYPE) == "run"
    assert inbox.claim(event, TYPE) == "busy"  # the lease has not run out
    before = records(neighbour)
    age(event)
    assert inbox.claim(event, TYPE) == "run"  # taken over once…
    assert inbox.claim(event, TYPE) == "busy"  # …and the take-over is a fresh claim
    assert records(neighbour) == before


def test_workers_racing_to_take_over_a_dead_worker_s_claim_run_it_once(inbox):
    """One compare-and-set on the claim's token: of the workers that all see the claim expired, one wins."""
    event = key()
    assert inbox.claim(event, TYPE) == "run"
    age(event)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: Inbox.of("booths", LEASE).claim(event, TYPE), range(8)))
    assert sorted(answers) == ["busy"] * 7 + ["run"]


def test_a_released_claim_runs_again_and_a_done_one_cannot_be_released(inbox):
    failed, finished = key(), key()
    for k in (failed, finished):
        assert inbox.claim(k, TYPE) == "run"
    inbox.done(finished)
    inbox.release(failed)  # the handler raised, or the worker was stopped before it ran: the retry runs it
    inbox.release(finished)  # a late release never undoes a run that finished
    assert records(failed)[failed] is None
    assert records(finished)[finished]["state"] == "done"
    assert inbox.claim(failed, TYPE) == "run"
    assert inbox.claim(finished, TYPE) == "done"
