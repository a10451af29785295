"""The rules the meetings service promises, as checks over an edition's whole state.

Plain functions over stored documents (no nameko, no store): the stateful
tests call :func:`broken` after every step they take, and ops can run it
against a live database.  Each returned string names one broken rule.

"At" a slot means placed there (an accepted meeting's ``slot``) or holding it
(a request that named a slot, ``held_slot``): both keep a person busy.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime
from itertools import pairwise
from typing import Any

from meetings.planning import busy_steps, domain_session
from meetings.store import OPEN, participant_hold, person_hold, table_hold


def _at(meeting: dict[str, Any]) -> str | None:
    if meeting["status"] == "accepted":
        return meeting.get("slot")
    return meeting.get("held_slot") if meeting["status"] == "requested" else None


def _interpreted(
    meeting: dict[str, Any],
    session: dict[str, Any],
    at: str,
    owner: dict[str, str],
    interpreted: Counter[tuple[str, str, str]],
) -> list[str]:
    """A placed meeting needing a language, in a session with named interpreters: it has one who speaks the
    language, is not away then, and whose hold it keeps (counted, so two meetings sharing one show)."""
    pid = meeting.get("interpreter")
    person = next((p for p in session["interpreter_people"] if p["id"] == pid), None)
    if person is None:
        return [f"{meeting['_id']} needs {meeting['language']} at {at} and has no interpreter"]
    interpreted[(meeting["session_id"], at, pid)] += 1
    problems = []
    if meeting["language"] not in person["languages"]:
        problems.append(f"{meeting['_id']}'s interpreter {pid} does not speak {meeting['language']}")
    if at in (person.get("away") or []):
        problems.append(f"{meeting['_id']}'s interpreter {pid} is away at {at}")
    if owner.get(person_hold(meeting["session_id"], pid, at)) != meeting["_id"]:
        problems.append(f"{meeting['_id']} does not hold interpreter {pid} at {at}")
    return problems


def broken(
    sessions: list[dict[str, Any]], meetings: list[dict[str, Any]], holds: list[dict[str, Any]], loads: dict[str, int]
) -> list[str]:
    """Every rule the edition's meetings break; empty when all hold.

    ``holds``: the hold documents of the edition's sessions; ``loads``: the
    per-session meeting counters, ``"{session}|{participation}" -> n``.
    """
    problems: list[str] = []
    by_session = {s["_id"]: s for s in sessions}
    owner = {h["_id"]: h["meeting_id"] for h in holds}
    busy: defaultdict[str, list[tuple[datetime, datetime, str]]] = defaultdict(list)
    tables: Counter[tuple[str, str, str]] = Counter()
    seats: Counter[tuple[str, str, str]] = Counter()
    interpreted: Counter[tuple[str, str, str]] = Counter()
    open_count: Counter[str] = Counter()
    alive: dict[str, str] = {}
    for m in meetings:
        session = by_session[m["session_id"]]
        slots = {s["id"]: s for s in session["slots"]}
        pids = [m["supplier"]["participation_id"], m["buyer"]["participation_id"]]
        if m["status"] not in OPEN and (m.get("slot") or m.get("table") or m.get("held_slot")):
            problems.append(f"{m['_id']} is {m['status']} but still has a place")
        if m["status"] == "requested" and m.get("slot"):
            problems.append(f"{m['_id']} is placed before it was accepted")
        if m["status"] in OPEN:
            open_count.update(f"{m['session_id']}|{pid}" for pid in pids)
        at = _at(m)
        if not at:
            continue
        alive[m["_id"]] = at
        if at not in domain_session(session).slots:
            problems.append(f"{m['_id']} is at {at}, not a meeting slot of its session")
            continue
        slot = slots[at]
        start, end = datetime.fromisoformat(slot["starts_at"]), datetime.fromisoformat(slot["ends_at"])
        for pid in pids:
            busy[pid].append((start, end, m["_id"]))
            missing = [s for s in busy_steps(slot) if owner.get(participant_hold(m["edition_id"], pid, s)) != m["_id"]]
            if missing:
                problems.append(f"{m['_id']} does not hold {pid}'s time at {at}")
        if m["status"] == "accepted":
            tables[(m["session_id"], at, m.get("table"))] += 1
            if owner.get(table_hold(m["session_id"], m.get("table"), at)) != m["_id"]:
                problems.append(f"{m['_id']} does not hold table {m.get('table')} at {at}")
            if m.get("language") and session.get("interpreter_people"):
                problems += _interpreted(m, session, at, owner, interpreted)
            elif m.get("language"):
                seats[(m["session_id"], at, m["language"])] += 1
    for pid, times in busy.items():
        for (_, end, first), (start, _, second) in pairwise(sorted(times)):
            if start < end:
                problems.append(f"{pid} is in {first} and {second} at overlapping times")
    problems += [f"table {t} of {sid} has {n} meetings at {at}" for (sid, at, t), n in tables.items() if n > 1]
    problems += [
        f"interpreter {pid} is in {n} meetings at {at} in {sid}" for (sid, at, pid), n in interpreted.items() if n > 1
    ]
    for (sid, at, language), n in seats.items():
        if n > int((by_session[sid].get("interpreters") or {}).get(language, 0)):
            problems.append(f"{n} {language} meetings at {at} in {sid}, more than its interpreters")
    for key, n in open_count.items():
        limit = by_session[key.split("|")[0]]["max_meetings"]
        if n > limit:
            problems.append(f"{key} has {n} open meetings, more than the session's {limit}")
    for key in set(open_count) | set(loads):
        if loads.get(key, 0) != open_count.get(key, 0):
            problems.append(f"counter {key} says {loads.get(key, 0)}, the meetings {open_count.get(key, 0)}")
    problems += [
        f"hold {h['_id']} kept by {h['meeting_id']}, which is not at {h.get('slot')}"
        for h in holds
        if alive.get(h["meeting_id"]) != h.get("slot")
    ]
    return problems
