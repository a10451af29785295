"""Random sequences of everything that takes, frees or waits for a place, through the registration service's own
entrypoints on the real store, with every rule of :mod:`registration.invariants` checked after every step
(hypothesis' stateful testing).

Steps: new organisations registering (also the same form twice, once at once), organisations on file
applying as ops or as a member, decisions one by one and in bulk (approve, reject, waitlist, cancel, also by
the organisation itself), the limits changed, added or dropped, approvals racing in threads for the last
place or for the same application, the recovery passes, and the outbox relay (hand-over first or sweep
first), whose published events are checked against the catalogue and scanned for people.  ``make hunt``
runs it longer (``KETNOI_HUNT_EXAMPLES``).  Sequences that found a bug stay below as plain tests.
"""

from __future__ import annotations

import copy
import itertools
import os
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule
from nameko.testing.services import worker_factory

from registration import invariants
from registration.service import RegistrationService
from registration.store import COLLECTIONS, RegistrationStore
from shared.auth import Principal
from shared.errors import KetnoiError
from shared.events.catalogue import public_types, schema_errors
from shared.events.outbox import Relay
from shared.store import database, door_for
from shared.store.staged import StagedEvents
from tests.support.api import edition_body, registration

pytestmark = pytest.mark.usefixtures("service_env")
EXAMPLES = int(os.environ.get("KETNOI_HUNT_EXAMPLES", "20"))
OPS = Principal(role="ops", subject="rules-ops").as_dict()
ROLES = ["exhibitor", "buyer"]
LIMITS = st.one_of(st.none(), st.integers(0, 3))  # None: the role has no limit
# An organiser's words to an applicant, with a person in them: never on the public exchange.
WORDS = "Liên hệ chị Nguyễn Thị Hoa, 0912 345 678, hoa.nguyen@example.vn để bổ sung hồ sơ."
PUBLIC = frozenset(public_types())
LONG_AGO = "2020-01-01T00:00:00.000000Z"
_serial = itertools.count(1)


class Recorded:
    """The relay's publisher: keeps what it was asked to publish, in order."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def publish_all(self, events: list[dict[str, Any]]) -> None:
        self.events.extend(copy.deepcopy(events))

    def close(self) -> None:
        """Nothing to close."""


def member(organisation_id: str) -> dict[str, Any]:
    return Principal(role="member", subject=f"m-{organisation_id}", organisation=organisation_id).as_dict()


def attempt(call) -> Any:
    """A step the service may refuse (a 4xx is an answer); anything else fails the test."""
    with suppress(KetnoiError):
        return call()
    return None


class RegistrationRules(RuleBasedStateMachine):
    participations = Bundle("participations")

    @initialize()
    def edition(self) -> None:
        self.published = Recorded()
        self.relay = Relay(StagedEvents.of("registration", list(COLLECTIONS)), self.published)
        self.store = RegistrationStore(door_for("registration"), self.hand_over)
        self.mine: set[str] = set()  # ids of the events this edition's steps staged (the sweep finds others')
        self.store.ensure_indexes()
        key = f"rules-{uuid.uuid4().hex[:8]}"
        self.service().create_series(OPS, {"key": key, "name": {"vi": "Kết nối"}})
        created = self.service().create_edition(
            OPS, edition_body(key, date(2026, 8, 16), "thanh-hoa", ["nghe-an"], {"exhibitor": 2, "buyer": 1})
        )
        self.service().set_edition_status(OPS, created["id"], None, {"status": "open"})
        self.edition_id, self.series_id = created["id"], key
        self.forms: dict[str, dict[str, Any]] = {}  # participation id -> the form that registered it
        self.personal: set[str] = {WORDS, "Nguyễn Thị Hoa", "0912 345 678", "+84912345678", "hoa.nguyen@example.vn"}
        self.ceilings: dict[str, int] = {}  # places an organiser's lowering left above the limit
        self.waiting_by_hand: set[str] = set()
        self.seen_staged: set[str] = set()
        self.relayed = False

    def hand_over(self, collection: str, doc_id: Any, events: list[dict[str, Any]]) -> None:
        self.mine |= {e["id"] for e in events}
        self.relay.staged(collection, doc_id, events)

    def service(self) -> RegistrationService:
        return worker_factory(RegistrationService, store=self.store)

    # -- what changes the state ------------------------------------------------------------

    def _form(self, role: str, household: bool) -> dict[str, Any]:
        n = next(_serial)
        kind = "household_business" if household else "enterprise"
        name = f"Hộ kinh doanh Lê Văn Tám {n}" if household else f"Công ty Nông sản Quy tắc {n}"
        form = registration("thanh-hoa", role=role, name=name, kind=kind)
        for delegate in form["organisation"]["delegates"]:
            self.personal |= {delegate["name"], delegate["email"]}
        if household:
            self.personal |= {name, form["organisation"]["tax_code"]}
        return form

    @rule(target=participations, role=st.sampled_from(ROLES), household=st.booleans(), twice=st.booleans())
    def register(self, role: str, household: bool, twice: bool) -> str:
        form = self._form(role, household)
        answer = self.service().register(None, self.edition_id, form)
        pid = answer["participation"]["id"]
        if twice:  # the client did not hear the answer and sends the same form again
            assert self.service().register(None, self.edition_id, form)["participation"]["id"] == pid
        self.forms[pid] = form
        self.relayed = False
        return pid

    @rule(target=participations, role=st.sampled_from(ROLES))
    def register_twice_at_once(self, role: str) -> str:
        form = self._form(role, False)
        with ThreadPoolExecutor(2) as pool:
            answers = list(
                pool.map(lambda _: attempt(lambda: self.service().register(None, self.edition_id, form)), range(2))
            )
        ids = {a["participation"]["id"] for a in answers if a}
        assert len(ids) == 1, answers  # one registration, whoever came second
        self.relayed = False
        return ids.pop()

    @rule(target=participations, role=st.sampled_from(ROLES), as_member=st.booleans())
    def apply_on_file(self, role: str, as_member: bool) -> str:
        """An organisation put on file by ops applies, itself or through ops."""
        form = self._form(role, False)
        org = self.service().create_organisation(OPS, form["organisation"])
        actor = member(org["id"]) if as_member else OPS
        pid = self.service().apply(actor, self.edition_id, {"organisation_id": org["id"], "role": role})["id"]
        self.relayed = False
        return pid

    @rule(pid=participations, role=st.sampled_from(ROLES))
    def apply_again(self, pid: str, role: str) -> None:
        """An organisation of the edition applies again (in any role): one participation per organisation."""
        organisation_id = self.store.get("participations", pid)["organisation_id"]
        with pytest.raises(KetnoiError, match="already registered"):
            self.service().apply(
                member(organisation_id), self.edition_id, {"organisation_id": organisation_id, "role": role}
            )

    def _before_decision(self, pids: list[str]) -> list[dict[str, Any]]:
        return [self.store.get("participations", pid) for pid in pids]

    def _after_decision(self, before: list[dict[str, Any]], action: str, by_hand: bool = True) -> None:
        """What the machine must remember of a decision: waitlisting by hand, places freed."""
        for old in before:
            now = self.store.get("participations", old["_id"])
            if action == "waitlist" and now["status"] == "waitlisted" and old["status"] != "waitlisted" and by_hand:
                self.waiting_by_hand.add(old["_id"])
            if old["status"] == "approved" and now["status"] != "approved":
                self._promotion_ran(old["role"])
        self.relayed = False

    def _promotion_ran(self, role: str) -> None:
        """The role's waitlist had its chance at the free places: nobody may wait by hand any more."""
        self.waiting_by_hand -= {
            p["_id"]
            for p in database("registration").participations.find(
                {"edition_id": self.edition_id, "role": role, "status": "waitlisted"}
            )
        }

    def _decision(self, action: str) -> dict[str, Any]:
        if action == "reject":
            return {"action": action, "reason": WORDS, "reason_code": "incomplete"}
        return {"action": action, "reason": WORDS if action == "cancel" else None}

    @rule(
        pid=participations, action=st.sampled_from(["approve", "reject", "waitlist", "cancel"]), by_itself=st.booleans()
    )
    def decide(self, pid: str, action: str, by_itself: bool) -> None:
        before = self._before_decision([pid])
        actor = member(before[0]["organisation_id"]) if by_itself and action == "cancel" else OPS
        attempt(lambda: self.service().decide(actor, pid, self._decision(action)))
        self._after_decision(before, action)

    @rule(
        pids=st.lists(participations, min_size=1, max_size=4),
        action=st.sampled_from(["approve", "reject", "waitlist", "cancel"]),
    )
    def decide_many(self, pids: list[str], action: str) -> None:
        before = self._before_decision(pids)
        answer = self.service().decide_many(OPS, self.edition_id, {"participation_ids": pids, **self._decision(action)})
        assert answer["succeeded"] + answer["failed"] == len(pids)
        self._after_decision(before, action)

    @rule(pids=st.lists(participations, min_size=2, max_size=3), bulk=st.booleans())
    def race_approvals(self, pids: list[str], bulk: bool) -> None:
        """Approvals at once (two organisers, or a click and a bulk review), for the last places or, when the
        same application is drawn twice, for one application."""
        before = self._before_decision(list(dict.fromkeys(pids)))

        def approve(args: tuple[int, str]) -> None:
            n, pid = args
            if bulk and n % 2:
                self.service().decide_many(OPS, self.edition_id, {"participation_ids": [pid], "action": "approve"})
            else:
                attempt(lambda: self.service().decide(OPS, pid, {"action": "approve"}))

        with ThreadPoolExecutor(len(pids)) as pool:
            list(pool.map(approve, enumerate(pids)))
        self._after_decision(before, "approve")

    @rule(pid=participations)
    def approve_and_cancel_at_once(self, pid: str) -> None:
        before = self._before_decision([pid])
        with ThreadPoolExecutor(2) as pool:
            list(
                pool.map(
                    lambda action: attempt(lambda: self.service().decide(OPS, pid, self._decision(action))),
                    ("approve", "cancel"),
                )
            )
        self._after_decision(before, "cancel")

    @rule(leaving=participations, coming=participations)
    def cancel_and_approve_at_once(self, leaving: str, coming: str) -> None:
        """One organisation withdraws while the organiser approves another: the place freed is not left free
        with the other waiting."""
        before = self._before_decision(list(dict.fromkeys([leaving, coming])))
        organisation_id = before[0]["organisation_id"]
        with ThreadPoolExecutor(2) as pool:
            list(
                pool.map(
                    lambda call: attempt(call),
                    (
                        lambda: self.service().decide(member(organisation_id), leaving, self._decision("cancel")),
                        lambda: self.service().decide(OPS, coming, {"action": "approve"}),
                    ),
                )
            )
        self._after_decision(before, "cancel")

    @rule(role=st.sampled_from(ROLES), limit=LIMITS)
    def change_limit(self, role: str, limit: int | None) -> None:
        """The organiser changes one role's places (None: the role loses its limit)."""
        edition = self.store.get("editions", self.edition_id)
        capacity = {k: v for k, v in edition["capacity"].items() if k != role}
        if limit is not None:
            capacity[role] = limit
        approved = Counter(
            p["role"]
            for p in database("registration").participations.find({"edition_id": self.edition_id, "status": "approved"})
        )
        self.service().update_edition(OPS, self.edition_id, None, {"capacity": capacity})
        for name in set(capacity) | set(edition["capacity"]):
            self._promotion_ran(name)
        if limit is not None and approved[role] > limit:
            self.ceilings[role] = max(self.ceilings.get(role, 0), approved[role])
        self.relayed = False

    @rule(a_minute_later=st.booleans())
    def recovery_passes(self, a_minute_later: bool) -> None:
        """The timers' passes; a minute later, they take what was left pending (a lost approval's place)."""
        capacity = database("registration").capacity
        if a_minute_later:
            for doc in capacity.find({"edition_id": self.edition_id}):
                capacity.update_one(
                    {"_id": doc["_id"]},
                    {
                        "$set": {
                            **{f"pending.{pid}": LONG_AGO for pid in doc.get("pending") or {}},
                            **({"promotion_due": LONG_AGO} if doc.get("promotion_due") else {}),
                        }
                    },
                )
        held = {doc["role"]: set(doc["holders"]) for doc in capacity.find({"edition_id": self.edition_id})}
        self.service().finish_cut_off_work()
        self.service()._reconcile_places()  # the timer's work, without its wait for a change
        for doc in capacity.find({"edition_id": self.edition_id}):
            if held.get(doc["role"], set()) - set(doc["holders"]):  # a place freed: the waitlist's turn came
                self._promotion_ran(doc["role"])
        self.relayed = False

    @rule(handed_first=st.booleans())
    def relay_runs(self, handed_first: bool) -> None:
        if handed_first:
            self.relay.publish_handed()
        self.relay.sweep()
        self.relay.publish_handed()
        self.relayed = True

    # -- the rules -------------------------------------------------------------------------

    def state(self) -> tuple[dict, list[dict], list[dict], dict[str, dict]]:
        db = database("registration")
        edition = db.editions.find_one({"_id": self.edition_id})
        places = list(db.capacity.find({"edition_id": self.edition_id}))
        participations = list(db.participations.find({"edition_id": self.edition_id}))
        org_ids = sorted({p["organisation_id"] for p in participations})
        organisations = {o["_id"]: o for o in db.organisations.find({"_id": {"$in": org_ids}})}
        organisations.update({o["_id"]: o for o in db.organisations.find({"pending.edition_id": self.edition_id})})
        return edition, places, participations, organisations

    @invariant()
    def every_rule_holds(self) -> None:
        if not hasattr(self, "edition_id"):
            return
        db = database("registration")
        edition, places, participations, organisations = self.state()
        problems = invariants.broken(
            edition, places, participations, organisations, self.ceilings, self.waiting_by_hand
        )
        for pid, form in self.forms.items():  # every form answered is there, complete, with its organisation
            stored = next((p for p in participations if p["_id"] == pid), None)
            org = organisations.get(stored["organisation_id"]) if stored else None
            if org is None or org.get("state") or org["tax_code"] != form["organisation"]["tax_code"]:
                problems.append(f"the registration {pid} answered is not stored with its organisation")
        documents = [("editions", edition), ("series", db.series.find_one({"_id": self.series_id}))]
        documents += [("participations", p) for p in participations]
        documents += [("organisations", o) for o in organisations.values()]
        documents += [("products", p) for p in db.products.find({"organisation_id": {"$in": sorted(organisations)}})]
        problems += invariants.outbox_broken(documents, self.published.events, self.seen_staged, self.relayed)
        ours = [e for e in self.published.events if e["id"] in self.mine]
        problems += invariants.leaks(ours, PUBLIC, self.personal)
        problems += [f"{e['type']} {e['id']}: {err}" for e in ours for err in schema_errors(e["type"], e["data"])]
        assert not problems, problems
        self.seen_staged |= {eid for _, doc in documents for eid in (doc.get("outbox") or {})}
        approved = Counter(p["role"] for p in participations if p["status"] == "approved")
        limits = {doc["role"]: doc["limit"] for doc in places}
        self.ceilings = {
            role: min(ceiling, approved[role])
            for role, ceiling in self.ceilings.items()
            if limits.get(role) is not None and min(ceiling, approved[role]) > limits[role]
        }
        waiting = {p["_id"] for p in participations if p["status"] == "waitlisted"}
        self.waiting_by_hand &= waiting


# make test reports a failing sequence as found (shrinking one step by step can take minutes);
# make hunt (KETNOI_HUNT_SHRINK=1) shrinks it to the shortest
PHASES = [Phase.explicit, Phase.reuse, Phase.generate] + (
    [Phase.shrink] if os.environ.get("KETNOI_HUNT_SHRINK") else []
)
RegistrationRules.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=14,
    deadline=None,
    database=None,
    phases=PHASES,
    suppress_health_check=list(HealthCheck),
)
test_registration_rules = RegistrationRules.TestCase


class Interleaved(RegistrationStore):
    """Runs ``between`` once, right after the next place is taken or refused: another request's whole step lands
    inside this one, as it may from another worker or replica (the race the machine's threads found, made
    certain)."""

    between: Any = None

    def take_place(self, edition_id: str, role: str, participation_id: str) -> bool:
        took = super().take_place(edition_id, role, participation_id)
        step, self.between = self.between, None
        if step:
            step()
        return took


def interleaved(state: RegistrationRules) -> Interleaved:
    state.store = Interleaved(door_for("registration"), state.hand_over)
    return state.store


def test_found_the_losers_of_three_approvals_of_one_application_freeing_its_place():
    """Found by the machine (three approvals of one application at once): the approvals that lost the race
    freed the place the winner held, so the approved application held none and the role took one more."""
    state = RegistrationRules()
    state.edition()
    pid = state.register(role="buyer", household=False, twice=True)
    state.race_approvals(pids=[pid, pid, pid], bulk=False)
    state.every_rule_holds()
    # the same, certain: a second click on "approve" lands between the first's place and its write
    other = state.register(role="exhibitor", household=False, twice=False)
    interleaved(state).between = lambda: state.service().decide(OPS, other, {"action": "approve"})
    with pytest.raises(KetnoiError, match="changed at the same time"):
        state.service().decide(OPS, other, {"action": "approve"})
    state.every_rule_holds()
    late = state.register(role="buyer", household=False, twice=False)  # the buyers' one place is taken
    assert state.service().decide(OPS, late, {"action": "approve"})["status"] == "waitlisted"
    state.every_rule_holds()


def test_found_a_dropped_limit_still_applying_and_a_new_limit_not_counting_earlier_approvals():
    """Found by the machine: with the exhibitors' limit dropped, approvals were still waitlisted at the old
    limit (and the edition showed it).  Seen while fixing it: a limit set on a role without one started from
    zero places taken, whatever had been approved."""
    state = RegistrationRules()
    state.edition()
    state.change_limit(role="exhibitor", limit=None)
    exhibitors = [state.register(role="exhibitor", household=False, twice=False) for _ in range(3)]
    state.decide_many(pids=exhibitors, action="approve")
    state.every_rule_holds()
    assert {state.store.get("participations", p)["status"] for p in exhibitors} == {"approved"}
    assert "exhibitor" not in state.service().get_edition(OPS, state.edition_id)["places"]
    state.change_limit(role="exhibitor", limit=3)  # three approved already: the role is full
    fourth = state.register(role="exhibitor", household=False, twice=False)
    state.decide(pid=fourth, action="approve", by_itself=False)
    state.every_rule_holds()
    assert state.store.get("participations", fourth)["status"] == "waitlisted"


def test_found_a_place_freed_while_an_approval_waitlisted_left_free():
    """Found by the machine (a withdrawal and an approval at once): the approval found the role full, the
    withdrawal freed its place and found nobody waiting, and then the approval put its application on the
    waitlist, where it stayed beside a free place."""
    state = RegistrationRules()
    state.edition()
    leaving = state.register(role="buyer", household=False, twice=False)
    state.decide(pid=leaving, action="approve", by_itself=False)
    coming = state.register(role="buyer", household=False, twice=False)
    organisation_id = state.store.get("participations", leaving)["organisation_id"]
    interleaved(state).between = lambda: state.service().decide(member(organisation_id), leaving, {"action": "cancel"})
    assert state.service().decide(OPS, coming, {"action": "approve"})["status"] == "approved"
    state.every_rule_holds()
