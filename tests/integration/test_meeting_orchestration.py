"""What the meetings service does around a place, fast (worker_factory on the real store, no broker): the
per-session limit and its rollback when the place is refused, and locks that cannot move a meeting.  Each
refusal leaves both meetings, their holds and every counter as they were."""

from __future__ import annotations

import pytest

from shared.errors import Conflict
from shared.store import database
from tests.integration.test_meeting_rules import OPS, SESSIONS, MeetingRules, service

pytestmark = pytest.mark.usefixtures("service_env")


@pytest.fixture
def edition() -> MeetingRules:
    state = MeetingRules()
    state.edition()
    return state


def snapshot(state: MeetingRules) -> tuple[list, list, list]:
    db = database("meetings")
    sids = sorted(state.sessions.values())
    return (
        state._meetings(),
        sorted(h["_id"] for h in db.holds.find({"session_id": {"$in": sids}})),
        sorted((d["_id"], d["n"]) for d in db.loads.find({"session_id": {"$in": sids}}) if d["n"]),
    )


def broker(state: MeetingRules, where: str, s: int, b: int, slot: str | None = None, table: str | None = None):
    return service().broker(
        OPS,
        state.sessions[where],
        {"supplier": state.suppliers[s], "buyer": state.buyers[b], "slot": slot, "table": table},
    )


def test_the_limit_refuses_the_next_meeting_and_a_refused_place_gives_both_limits_back(edition):
    assert SESSIONS["hall"]["max_meetings"] == 2
    broker(edition, "hall", 0, 0)
    broker(edition, "hall", 1, 0)  # the buyer has its two
    before = snapshot(edition)
    with pytest.raises(Conflict) as full:  # the supplier's place in its limit is taken first, then given back
        broker(edition, "hall", 2, 0)
    assert full.value.code == "meeting_limit"
    assert snapshot(edition) == before
    edition.every_rule_holds()

    taken = broker(edition, "hall", 1, 2, "S01")
    before = snapshot(edition)
    with pytest.raises(Conflict) as busy:  # s2's limit is taken first, then the place is refused: given back
        broker(edition, "hall", 2, 2, "S01")
    assert busy.value.code == "participant_busy"
    assert snapshot(edition) == before
    assert service().meeting(OPS, taken["id"])["slot"] == "S01"
    edition.every_rule_holds()


def test_a_lock_onto_a_taken_table_moves_nothing(edition):
    first = broker(edition, "hall", 0, 2, "S01", "T01")  # b2 speaks Vietnamese: no interpreter needed
    second = broker(edition, "hall", 1, 1, "S02", "T02")
    before = snapshot(edition)
    with pytest.raises(Conflict) as taken:
        service().lock(OPS, second["id"], {"slot": "S01", "table": "T01"})
    assert taken.value.code == "table_taken"
    assert snapshot(edition) == before
    assert (service().meeting(OPS, first["id"])["slot"], service().meeting(OPS, second["id"])["slot"]) == ("S01", "S02")
    edition.every_rule_holds()


def test_a_lock_while_the_timetable_is_computed_is_409_and_moves_nothing(edition):
    meeting = broker(edition, "side", 0, 2)
    database("meetings").sessions.update_one(
        {"_id": edition.sessions["side"]}, {"$set": {"scheduler": {"run": "claim_x", "at": "2099-01-01"}}}
    )
    before = snapshot(edition)
    with pytest.raises(Conflict) as running:
        service().lock(OPS, meeting["id"], {"slot": "S02"})
    assert running.value.code == "scheduling"
    assert snapshot(edition) == before
