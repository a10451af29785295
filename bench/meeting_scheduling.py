"""Meeting scheduling: slots used, share placed and time of ``schedule_meetings``, against a greedy baseline.

Instances (fixed seeds, so every run measures the same problems):

- Quảng Trị 2025: 60 suppliers × 15 foreign buyers, 300 accepted requests,
  27 twenty-minute slots, enough tables.  Targets: every meeting in exactly Δ
  slots (the busiest participant's meeting count, König's bound), < 0.2 s.
- The same requests with no slack at all: Δ slots and ⌈300 / Δ⌉ tables,
  which still hold every meeting (equitable edge colouring) but defeat
  first-fit.
- A large one: 1,000 participants (800 suppliers, 200 buyers), 5,000
  requests, 40 tables over 150 slots (a multi-day fair), interpreters for
  Japanese, Korean and Chinese, some suppliers away on booth duty.  The fewest
  slots any schedule can use is max(Δ, ⌈meetings / tables⌉).  Target: < 2 s,
  everything placed within that bound.

- Quảng Trị-shaped, issue 15: 62 suppliers × 16 foreign buyers of different
  priority, 128 accepted requests, 6 slots, 16 tables (and again with 64),
  one interpreter per slot for ja/zh/th/lo and two for en (every meeting needs
  one), 12 suppliers on a site visit for the first three slots.  The session's
  default objectives (fair to buyers, one table per supplier, compact days)
  against the heuristic alone, in the same run.

The greedy baseline takes meetings by buyer priority and puts each in the
first slot where everyone and everything is free: what one would write by
hand.  It can need more slots than Δ and leave meetings out that fit.

The API row (``--api``) starts the whole system (its own store, vhost and ports,
as ``bench/booth_claims.py`` does), registers 200 suppliers and 200 buyers, brokers
1,000 meetings (five each) in a session of 12 slots and 40 tables, waits until every
set-up event is handled, then times ``POST /v1/b2b-sessions/{id}/schedule`` from the
call until every placed meeting and its holds are stored and every event the run
staged has been published (the meetings database has nothing left in its outbox),
with the solver's share.  Target: < 5 s.  Set-up is bounded (timeouts), and all
traffic goes to 127.0.0.1.

Missed targets are printed as MISSED; the exit code stays 0 because this is a
measurement, not a test.  Run: ``PYTHONPATH=.:services/meetings python -m bench.meeting_scheduling``
(add ``--api`` for the API row, ``--api-only`` for it alone).
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from meetings.domain import tables as seating
from meetings.domain.model import Meeting, Objectives, Session, Timetable, max_degree
from meetings.domain.timetable import schedule_meetings


@dataclass(frozen=True)
class Instance:
    name: str
    session: Session
    meetings: list[Meeting]
    away: dict[str, list[str]] = field(default_factory=dict)
    interpreters: dict[str, int] = field(default_factory=dict)
    target_s: float = 2.0


def session(slots: int, tables: int) -> Session:
    return Session(tuple(f"t{i:03d}" for i in range(slots)), tuple(f"T{i:02d}" for i in range(tables)))


def requests(rng: random.Random, suppliers: int, buyers: int, count: int, languages: dict[str, float]) -> list[Meeting]:
    """``count`` distinct supplier-buyer requests, spread evenly over buyers; a buyer needs one language or none."""
    buyer_language = {}
    for b in range(buyers):
        roll, language = rng.random(), None
        for lang, share in languages.items():
            if roll < share:
                language = lang
                break
            roll -= share
        buyer_language[b] = language
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < count:
        pairs.add((rng.randrange(suppliers), len(pairs) % buyers))
    priority = {b: rng.choice((0, 0, 1, 2)) for b in range(buyers)}
    return [
        Meeting(f"r{i:05d}", f"s{s:04d}", f"b{b:03d}", buyer_language[b], priority[b])
        for i, (s, b) in enumerate(sorted(pairs))
    ]


def quang_tri(seed: int) -> Instance:
    rng = random.Random(seed)
    meetings = requests(rng, 60, 15, 300, {})
    name = "Quảng Trị 2025: 60 suppliers × 15 buyers, 300 requests, 27 slots, 30 tables"
    return Instance(name, session(27, 30), meetings, target_s=0.2)


def quang_tri_tight(seed: int) -> Instance:
    """The same requests with no slack: exactly Δ = 20 slots and ⌈300 / 20⌉ = 15 tables."""
    rng = random.Random(seed)
    meetings = requests(rng, 60, 15, 300, {})
    name = "Quảng Trị 2025, tight: same 300 requests, 20 slots (= Δ), 15 tables (= 300 / 20)"
    return Instance(name, session(20, 15), meetings, target_s=0.2)


def large(seed: int) -> Instance:
    rng = random.Random(seed)
    meetings = requests(rng, 800, 200, 5000, {"ja": 0.1, "ko": 0.08, "zh": 0.06})
    slots = session(150, 40)
    away = {f"s{s:04d}": rng.sample(slots.slots, 10) for s in rng.sample(range(800), 80)}
    return Instance(
        "Large: 1,000 participants, 5,000 requests, 150 slots, 40 tables, interpreters ja/ko/zh",
        slots,
        meetings,
        away,
        {"ja": 5, "ko": 4, "zh": 3},
    )


def greedy(instance: Instance) -> tuple[int, int]:
    """(placed, slots used) of first-fit by priority."""
    n = len(instance.session.slots)
    away = {p: {instance.session.slots.index(s) for s in slots} for p, slots in instance.away.items()}
    busy: set[tuple[str, int]] = set()
    count, langs, used, placed = [0] * n, Counter(), set(), 0
    tables = len(instance.session.tables)
    for m in sorted(instance.meetings, key=lambda m: (-m.priority, m.id)):
        for s in range(n):
            if (
                (m.supplier, s) in busy
                or (m.buyer, s) in busy
                or count[s] >= tables
                or s in away.get(m.supplier, ())
                or s in away.get(m.buyer, ())
                or (m.language and langs[m.language, s] >= instance.interpreters.get(m.language, 0))
            ):
                continue
            busy |= {(m.supplier, s), (m.buyer, s)}
            count[s] += 1
            if m.language:
                langs[m.language, s] += 1
            used.add(s)
            placed += 1
            break
    return placed, len(used)


def measure(instance: Instance, repeats: int) -> None:
    print(f"\n== {instance.name}")
    durations, tt = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        tt = schedule_meetings(instance.session, instance.meetings, instance.away, instance.interpreters)
        durations.append(time.perf_counter() - started)
    assert isinstance(tt, Timetable)
    seconds = statistics.median(durations)
    m = len(instance.meetings)
    delta = max_degree(instance.meetings)
    bound = max(delta, math.ceil(m / len(instance.session.tables)))
    reasons = Counter(u.reason for u in tt.unplaced)
    print(
        f"schedule_meetings: median {seconds * 1000:.1f} ms of {repeats} (min {min(durations) * 1000:.1f}, "
        f"max {max(durations) * 1000:.1f}); slots used {tt.slots_used} (Δ {delta}, lower bound {bound}); "
        f"placed {len(tt.bookings)}/{m} ({len(tt.bookings) / m:.1%}); unplaced {dict(sorted(reasons.items()))}"
    )
    started = time.perf_counter()
    g_placed, g_slots = greedy(instance)
    g_seconds = time.perf_counter() - started
    print(
        f"greedy baseline: {g_seconds * 1000:.1f} ms; slots used {g_slots}; placed {g_placed}/{m} ({g_placed / m:.1%})"
    )
    fits = not tt.unplaced and tt.slots_used <= bound
    print(f"target all placed in {bound} slots: {'MET' if fits else 'MISSED'} ({tt.slots_used} slots)")
    verdict = "MET" if seconds < instance.target_s else "MISSED"
    print(f"target < {instance.target_s:g} s: {verdict} ({seconds:.3f} s)")


def issue_15(seed: int, tables: int) -> Instance:
    rng = random.Random(seed)
    languages = ["ja"] * 4 + ["zh"] * 3 + ["th"] * 3 + ["lo"] * 2 + ["en"] * 4
    buyers = {b: (languages[b], rng.choice((0, 0, 1, 2))) for b in range(16)}
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < 128:
        pairs.add((rng.randrange(62), len(pairs) % 16))
    meetings = [Meeting(f"r{i:05d}", f"s{s:04d}", f"b{b:03d}", *buyers[b]) for i, (s, b) in enumerate(sorted(pairs))]
    slots = session(6, tables)
    away = {f"s{s:04d}": list(slots.slots[:3]) for s in rng.sample(range(62), 12)}
    name = f"Quảng Trị-shaped (issue 15): 62 × 16, 128 requests, 6 slots, {tables} tables, tight interpreters"
    return Instance(name, slots, meetings, away, {"ja": 1, "zh": 1, "th": 1, "lo": 1, "en": 2}, target_s=1.0)


def compare_objectives(instance: Instance, repeats: int) -> None:
    """The heuristic alone against the default objectives: time, placed, buyers without a meeting, table changes."""
    print(f"\n== {instance.name}")
    by_id = {m.id: m for m in instance.meetings}
    buyers = sorted({m.buyer for m in instance.meetings})
    for label, objectives in (("heuristic (before issue 15)", None), ("objectives (default)", Objectives())):
        durations, tt = [], None
        for _ in range(repeats):
            started = time.perf_counter()
            tt = schedule_meetings(
                instance.session, instance.meetings, instance.away, instance.interpreters, objectives=objectives
            )
            durations.append(time.perf_counter() - started)
        assert isinstance(tt, Timetable)
        per_buyer = Counter(by_id[b.meeting_id].buyer for b in tt.bookings)
        counts = [per_buyer[b] for b in buyers]
        suppliers = Counter(by_id[b.meeting_id].supplier for b in tt.bookings)
        tables_of: dict[str, set[str]] = {}
        for b in tt.bookings:
            tables_of.setdefault(by_id[b.meeting_id].supplier, set()).add(b.table or "")
        multi = [s for s, n in suppliers.items() if n >= 2]
        print(
            f"{label}: median {statistics.median(durations) * 1000:.1f} ms; placed {len(tt.bookings)}; "
            f"min per buyer {min(counts)}, max {max(counts)}, buyers with none {counts.count(0)}/{len(buyers)}; "
            f"table changes {seating.changes(tt.bookings, by_id)} "
            f"({sum(len(tables_of[s]) == 1 for s in multi)}/{len(multi)} suppliers with 2+ keep one table)"
        )
        if tt.scores:
            print(
                "  "
                + "; ".join(
                    f"{s.name} {s.value} (bound {s.bound}, {s.method}{', optimal' if s.optimal else ''})"
                    for s in tt.scores
                )
            )


def buyer_form(n: int) -> dict[str, Any]:
    """A foreign buyer; every tenth asks for a Japanese interpreter, the others meet in English."""
    delegate = {
        "name": "Tanaka Hiroshi",
        "email": f"buyer{n}@example.jp",
        "phone": "+81 90 1234 5678",
        "preferred_language": "en",
        "interpreter_language": "ja" if n % 10 == 0 else None,
    }
    name = f"Import Co. {n:04d}"
    return {
        "organisation": {
            "kind": "foreign_buyer",
            "legal_name": {"vi": name, "en": name},
            "foreign": {"country": "JP", "registration_no": f"BENCH-{n:05d}"},
            "sectors": ["processed_food"],
            "delegates": [delegate],
        },
        "role": "buyer",
        "products": [],
        "wants": {"booths": 0, "b2b": True, "site_visits": [], "livestream": False},
    }


def measure_api(suppliers: int, buyers: int, per_supplier: int, slots: int, tables: int, timeout: float = 120) -> None:
    """The API row: one ``POST …/schedule`` on a running system, to every meeting, hold and event stored and
    published (see the module's docstring)."""
    import requests
    from pymongo import MongoClient

    from bench.registration_rush import EDITION_DAY, Forms, open_edition, settle_seconds
    from bench.workspace import workspace
    from demo.load import Api
    from scripts.stack import Stack, StackConfig

    meetings = suppliers * per_supplier
    print(
        f"\n== API: {suppliers + buyers} participants, {meetings} accepted meetings, {slots} slots, "
        f"{tables} tables (POST /v1/b2b-sessions/{{id}}/schedule)"
    )
    with workspace("ketnoi-schedule-") as work:
        stack = Stack(StackConfig.for_tests(work.dir / "stack", work.amqp))
        try:
            stack.start(timeout=90)
            api = Api(stack.config.gateway_url)
            edition_id, organiser = open_edition(api)
            forms = Forms()

            def approved(body: dict[str, Any]) -> str:
                created = requests.post(
                    f"{api.base}/v1/editions/{edition_id}/registrations", json=body, timeout=30
                ).json()
                pid = created["participation"]["id"]
                api.call("POST", f"/v1/participations/{pid}/decision", {"action": "approve"}, organiser)
                return pid

            started = time.perf_counter()
            with ThreadPoolExecutor(16) as pool:
                supplier_ids = list(pool.map(lambda _: approved(forms()), range(suppliers)))
                buyer_ids = list(pool.map(lambda n: approved(buyer_form(n)), range(buyers)))
            session = api.call(
                "POST",
                f"/v1/editions/{edition_id}/b2b-sessions",
                {
                    "name": {"vi": "Kết nối B2B (bench)"},
                    "date": EDITION_DAY.isoformat(),
                    "starts_at": "08:00",
                    "slot_minutes": 20,
                    "slots": slots,
                    "tables": tables,
                    "mode": "optimise",
                    "max_meetings": per_supplier * 2,
                    "interpreters": {"en": tables, "ja": 4},
                },
                organiser,
            )
            sid = session["id"]
            # supplier i meets buyers i, i + step, …: distinct pairs, every buyer as busy as every supplier
            step = max(1, buyers // per_supplier)
            pairs = [(s, (s + k * step) % buyers) for s in range(suppliers) for k in range(per_supplier)]
            with ThreadPoolExecutor(16) as pool:
                list(
                    pool.map(
                        lambda p: api.call(
                            "POST",
                            f"/v1/b2b-sessions/{sid}/brokered-meetings",
                            {"supplier": supplier_ids[p[0]], "buyer": buyer_ids[p[1]]},
                            organiser,
                            wait_for_events=60,
                        ),
                        pairs,
                    )
                )
            settled = settle_seconds(stack, work.vhost, timeout=timeout)
            print(
                f"set-up: {time.perf_counter() - started:.0f} s (events settled: "
                f"{'not measured' if settled is None else f'{settled:.0f} s'})"
            )

            db = MongoClient(stack.config.mongo_uri)[f"{stack.config.db_prefix}_meetings"]
            called = time.perf_counter()
            response = requests.post(
                f"{api.base}/v1/b2b-sessions/{sid}/schedule",
                json={},
                headers={"Authorization": f"Bearer {organiser}"},
                timeout=timeout,
            )
            answered = time.perf_counter() - called
            run, deadline = None, time.monotonic() + timeout
            while time.monotonic() < deadline:
                run = db.runs.find_one({"session_id": sid})
                if (
                    run
                    and not db.meetings.count_documents({"session_id": sid, "outbox_n": {"$gt": 0}})
                    and not db.runs.count_documents({"session_id": sid, "outbox_n": {"$gt": 0}})
                ):
                    break
                time.sleep(0.05)
            published = time.perf_counter() - called
            if run is None:
                print(
                    f"schedule answered {response.status_code} after {answered:.2f} s; no run stored in "
                    f"{timeout:.0f} s: MISSED"
                )
                return
            placed = db.meetings.count_documents({"session_id": sid, "status": "accepted", "slot": {"$ne": None}})
            holds = db.holds.count_documents({"session_id": sid})
            unplaced = Counter(u["reason"] for u in run["unplaced"])
            print(
                f"answer {response.status_code} after {answered:.2f} s; every meeting, hold and event stored and "
                f"published after {published:.2f} s; solver {run['solver_ms']:.0f} ms "
                f"({run['solver_ms'] / 1000 / published:.1%})"
            )
            print(
                f"placed {placed}/{meetings} in {run['slots_used']} slots (Δ {run['delta']}), {holds} holds, "
                f"unplaced {dict(sorted(unplaced.items()))}"
            )
            print(
                f"target < 5 s: {'MET' if published < 5 and response.status_code == 200 else 'MISSED'} "
                f"({published:.2f} s)"
            )
        finally:
            stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--api", action="store_true", help="also the API row (starts the whole system)")
    parser.add_argument("--api-only", action="store_true", help="only the API row")
    parser.add_argument("--suppliers", type=int, default=200)
    parser.add_argument("--buyers", type=int, default=200)
    parser.add_argument("--per-supplier", type=int, default=5, help="meetings each supplier is brokered")
    parser.add_argument("--slots", type=int, default=12)
    parser.add_argument("--tables", type=int, default=40)
    args = parser.parse_args()
    if not args.api_only:
        measure(quang_tri(args.seed), args.repeats * 4)
        measure(quang_tri_tight(args.seed), args.repeats * 4)
        measure(large(args.seed), args.repeats)
        compare_objectives(issue_15(args.seed, 16), args.repeats)
        compare_objectives(issue_15(args.seed, 64), args.repeats)
        compare_objectives(quang_tri(args.seed), args.repeats)  # everything fits: the objectives' own cost
        compare_objectives(quang_tri_tight(args.seed), args.repeats)
    if args.api or args.api_only:
        measure_api(args.suppliers, args.buyers, args.per_supplier, args.slots, args.tables)


if __name__ == "__main__":
    main()
