"""Random sequences of everything that books or frees a meeting, across two B2B sessions of one edition that
overlap in time, through the service's own entrypoints on the real store, with every rule of
:mod:`meetings.invariants` checked after every step (hypothesis' stateful testing).

Steps: organisers broker (placed or not), participants request (naming a slot in the pick session) and
accept, decline or cancel, organisers lock meetings and run the optimiser, requests expire, a participant
withdraws from the edition, a supplier goes on booth duty or gets a table of its own (the side stage has
named interpreters, the hall counts seats); and racing steps in threads: one buyer booked in both sessions at
overlapping times at once, two requests of one buyer accepted into one slot at once.  ``make hunt`` runs it longer.
"""

from __future__ import annotations

import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from nameko.testing.services import worker_factory

from meetings import invariants
from meetings.service import MeetingsService
from meetings.store import MeetingsStore
from shared.auth import Principal
from shared.errors import KetnoiError
from shared.store import database, door_for
from tests.integration.test_meeting_events import participation
from tests.support.meetings import edition_created

pytestmark = pytest.mark.usefixtures("service_env")
EXAMPLES = int(os.environ.get("KETNOI_HUNT_EXAMPLES", "20"))
OPS = Principal(role="ops", subject="it-ops").as_dict()
SESSIONS = {  # 13:30-14:50 in 20-minute slots, and 13:40-15:10 in 30-minute ones: every slot overlaps another
    "hall": {
        "name": {"vi": "Hội trường"},
        "date": "2025-07-10",
        "starts_at": "13:30",
        "slot_minutes": 20,
        "slots": 4,
        "tables": 2,
        "mode": "pick",
        "max_meetings": 2,
        "interpreters": {"ja": 1},
    },
    "side": {
        "name": {"vi": "Sân khấu phụ"},
        "date": "2025-07-10",
        "starts_at": "13:40",
        "slot_minutes": 30,
        "slots": 3,
        "tables": 1,
        "mode": "optimise",
        "max_meetings": 3,
        "interpreter_people": [
            {"id": "lan", "name": "Nguyễn Thị Lan", "languages": ["ja", "en"], "away": ["S02"]},
            {"id": "minh", "name": "Trần Minh", "languages": ["ja"]},
        ],
    },
}  # the hall counts interpreter seats, the side stage has named interpreters
SLOTS = ["S01", "S02", "S03", "S04"]
PEOPLE = st.integers(0, 2)


def service() -> MeetingsService:
    return worker_factory(MeetingsService, store=MeetingsStore(door_for("meetings")))


def attempt(call) -> None:
    """A step the service may refuse (a 4xx is an answer); anything else fails the test."""
    with suppress(KetnoiError):
        call()


class MeetingRules(RuleBasedStateMachine):
    @initialize()
    def edition(self) -> None:
        self.edition_id = f"ed_{uuid.uuid4().hex[:8]}"
        service().on_edition(edition_created(self.edition_id))
        self.suppliers = [f"s{i}-{self.edition_id}" for i in range(3)]
        self.buyers = [f"b{i}-{self.edition_id}" for i in range(3)]
        for pid in self.suppliers:
            service().on_approved(participation(self.edition_id, pid, "exhibitor"))
        for i, pid in enumerate(self.buyers):
            event = participation(self.edition_id, pid, "buyer")
            if i == 2:  # speaks Vietnamese: meets without an interpreter
                event["data"].update(languages=["vi"], interpreter_languages=[])
            service().on_approved(event)
        self.sessions = {
            name: service().create_session(OPS, self.edition_id, body)["id"] for name, body in SESSIONS.items()
        }

    def _meetings(self, *statuses: str) -> list[dict]:
        query = {"edition_id": self.edition_id, **({"status": {"$in": list(statuses)}} if statuses else {})}
        return list(database("meetings").meetings.find(query).sort("_id", 1))

    def _pick(self, index: int, *statuses: str) -> dict | None:
        found = self._meetings(*statuses)
        return found[index % len(found)] if found else None

    @rule(where=st.sampled_from(sorted(SESSIONS)), s=PEOPLE, b=PEOPLE, slot=st.none() | st.sampled_from(SLOTS))
    def broker(self, where: str, s: int, b: int, slot: str | None) -> None:
        attempt(
            lambda: service().broker(
                OPS, self.sessions[where], {"supplier": self.suppliers[s], "buyer": self.buyers[b], "slot": slot}
            )
        )

    @rule(
        where=st.sampled_from(sorted(SESSIONS)),
        s=PEOPLE,
        b=PEOPLE,
        from_supplier=st.booleans(),
        slot=st.none() | st.sampled_from(SLOTS),
    )
    def request(self, where: str, s: int, b: int, from_supplier: bool, slot: str | None) -> None:
        ends = [self.suppliers[s], self.buyers[b]]
        sender, receiver = ends if from_supplier else ends[::-1]
        attempt(
            lambda: service().request_meeting(
                OPS, self.sessions[where], {"from": sender, "to": receiver, "slot": slot if where == "hall" else None}
            )
        )

    @rule(index=st.integers(0, 20), slot=st.none() | st.sampled_from(SLOTS))
    def accept(self, index: int, slot: str | None) -> None:
        meeting = self._pick(index, "requested")
        if meeting:
            pick = slot or meeting.get("held_slot") if meeting["session_id"] == self.sessions["hall"] else None
            attempt(lambda: service().accept(OPS, meeting["_id"], {"slot": pick}))

    @rule(index=st.integers(0, 20), decline=st.booleans())
    def decline_or_cancel(self, index: int, decline: bool) -> None:
        meeting = self._pick(index, "requested", "accepted")
        if meeting:
            step = service().decline if decline else service().cancel
            attempt(lambda: step(OPS, meeting["_id"], {"reason": None}))

    @rule(index=st.integers(0, 20), slot=st.sampled_from(SLOTS), table=st.none() | st.sampled_from(["T01", "T02"]))
    def lock(self, index: int, slot: str, table: str | None) -> None:
        meeting = self._pick(index, "accepted")
        if meeting:
            attempt(lambda: service().lock(OPS, meeting["_id"], {"slot": slot, "table": table}))

    @rule(where=st.sampled_from(sorted(SESSIONS)), full=st.booleans())
    def schedule(self, where: str, full: bool) -> None:
        attempt(lambda: service().schedule(OPS, self.sessions[where], {"full": full}))

    @rule(s=PEOPLE, start=st.sampled_from(["13:30", "13:50", "14:10"]), minutes=st.sampled_from([0, 20, 45]))
    def booth_duty(self, s: int, start: str, minutes: int) -> None:
        """A supplier's booth duty for the edition (0 minutes: it is over); placed meetings stay where they are."""
        begin = datetime.fromisoformat(f"2025-07-10T{start}:00+07:00")
        periods = (
            [
                {
                    "kind": "booth_duty",
                    "starts_at": begin.isoformat(),
                    "ends_at": (begin + timedelta(minutes=minutes)).isoformat(),
                }
            ]
            if minutes
            else []
        )
        attempt(lambda: service().set_time_away(OPS, self.edition_id, self.suppliers[s], {"periods": periods}))

    @rule(s=st.none() | PEOPLE, table=st.sampled_from(["T01", "T02"]))
    def own_table(self, s: int | None, table: str) -> None:
        """A supplier gets a hall table of its own (None: nobody has one any more)."""
        tables = {} if s is None else {self.suppliers[s]: table}
        attempt(lambda: service().set_supplier_tables(OPS, self.sessions["hall"], {"tables": tables}))

    @rule()
    def requests_expire(self) -> None:
        database("meetings").meetings.update_many(
            {"edition_id": self.edition_id, "status": "requested"},
            {"$set": {"expires_at": "2020-01-01T00:00:00.000000Z"}},
        )
        service().expire_requests()

    @rule(b=PEOPLE)
    def a_buyer_withdraws(self, b: int) -> None:
        service().on_cancelled(participation(self.edition_id, self.buyers[b], "buyer", status="cancelled"))

    @rule(
        s=st.tuples(PEOPLE, PEOPLE), b=PEOPLE, slots=st.tuples(st.sampled_from(SLOTS[:4]), st.sampled_from(SLOTS[:3]))
    )
    def race_one_buyer_in_both_sessions(self, s: tuple[int, int], b: int, slots: tuple[str, str]) -> None:
        calls = [
            (self.sessions["hall"], self.suppliers[s[0]], slots[0]),
            (self.sessions["side"], self.suppliers[s[1]], slots[1]),
        ]
        with ThreadPoolExecutor(2) as pool:
            list(
                pool.map(
                    lambda c: attempt(
                        lambda: service().broker(OPS, c[0], {"supplier": c[1], "buyer": self.buyers[b], "slot": c[2]})
                    ),
                    calls,
                )
            )

    @rule(slot=st.sampled_from(SLOTS))
    def race_two_acceptances_into_one_slot(self, slot: str) -> None:
        hall = [m for m in self._meetings("requested") if m["session_id"] == self.sessions["hall"]]
        if len(hall) >= 2:
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(lambda m: attempt(lambda: service().accept(OPS, m["_id"], {"slot": slot})), hall[:2]))

    @invariant()
    def every_rule_holds(self) -> None:
        if not hasattr(self, "sessions"):
            return
        db = database("meetings")
        sids = sorted(self.sessions.values())
        sessions = list(db.sessions.find({"_id": {"$in": sids}}))
        holds = list(db.holds.find({"session_id": {"$in": sids}}))
        loads = {d["_id"]: d["n"] for d in db.loads.find({"session_id": {"$in": sids}})}
        problems = invariants.broken(sessions, self._meetings(), holds, loads)
        assert not problems, problems


# make test reports a failing sequence as found; make hunt (KETNOI_HUNT_SHRINK=1) shrinks it to the shortest
PHASES = [Phase.explicit, Phase.reuse, Phase.generate] + (
    [Phase.shrink] if os.environ.get("KETNOI_HUNT_SHRINK") else []
)
MeetingRules.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=16,
    deadline=None,
    database=None,
    phases=PHASES,
    suppress_health_check=list(HealthCheck),
)
test_meeting_rules = MeetingRules.TestCase


def test_found_one_buyer_booked_in_both_sessions_at_once():
    """Found by the machine with a person's holds keyed by session slot (as they were): the buyer was placed
    at 13:30-13:50 in the hall and 13:40-14:10 on the side stage by two organisers at once."""
    state = MeetingRules()
    state.edition()
    state.race_one_buyer_in_both_sessions(b=1, s=(0, 1), slots=("S01", "S01"))
    state.every_rule_holds()
