"""The rules the registration service promises, as checks over an edition's whole state.

Plain functions over stored documents (no nameko, no store): the stateful
tests call them after every step they take, and ops can run them against a
live database.  Each returned string names one broken rule.  They hold once
no operation is in flight: an approval between taking its place and writing
itself, or a form between its participation and its organisation's
completion, is a moment the recovery passes (``reconcile_places``,
``finish_cut_off_work``) exist for.  A place an approval took and then lost
to a concurrent change of the application stays *pending* for the
reconciler, which frees it after a minute unless the application is approved.

Two things an organiser may do by hand are outside the limits, on the caller's
record (nothing in the documents tells them apart): lowering a role's limit
below the places already taken (those approvals stand; the role takes no more
until it is back under), and putting an application on the waitlist while
places are free (it waits until the role's next promotion).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from registration.domain.workflow import PARTICIPATION_STATUSES, check_transition

# What each status carries: the fields the decision that made it writes.
_FIELDS = {
    "submitted": (),
    "approved": ("decided_at",),
    "rejected": ("decided_at", "reason", "reason_code"),
    "waitlisted": ("decided_at", "waitlisted_at"),
    "cancelled": ("decided_at",),
}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_E164 = re.compile(r"\+\d{8,15}")


def _reachable(start: str = "submitted") -> set[str]:
    """Statuses the workflow can lead to from a new application."""
    seen, todo = {start}, [start]
    while todo:
        current = todo.pop()
        for target in PARTICIPATION_STATUSES:
            try:
                check_transition(current, target)
            except ValueError:
                continue
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


REACHABLE = frozenset(_reachable())


def broken(
    edition: dict[str, Any],
    places: list[dict[str, Any]],
    participations: list[dict[str, Any]],
    organisations: Mapping[str, dict[str, Any]],
    ceilings: Mapping[str, int] | None = None,
    waiting_by_hand: Collection[str] = (),
) -> list[str]:
    """Every rule an edition's registrations break; empty when all hold.

    ``places``: the edition's capacity documents; ``organisations``: by id, at
    least those of the participations and those pending for this edition.
    ``ceilings``: per role, the places an organiser's lowering left above the
    limit (default: the limit).  ``waiting_by_hand``: participations an
    organiser waitlisted while places were free, not yet offered a promotion.
    """
    problems: list[str] = []
    by_role = {doc["role"]: doc for doc in places}
    approved: dict[str, set[str]] = {}
    seen: Counter[str] = Counter()
    for p in participations:
        pid, status = p["_id"], p["status"]
        seen[p["organisation_id"]] += 1
        if status not in REACHABLE:
            problems.append(f"{pid} is {status!r}, not a status the workflow reaches")
        missing = [f for f in _FIELDS.get(status, ()) if not p.get(f)]
        if missing:
            problems.append(f"{pid} is {status} without {', '.join(missing)}")
        if status == "submitted" and any(p.get(f) for f in ("decided_at", "reason", "waitlisted_at")):
            problems.append(f"{pid} is submitted but carries a decision")
        if status == "approved":
            approved.setdefault(p["role"], set()).add(pid)
        org = organisations.get(p["organisation_id"])
        if org is None:
            problems.append(f"{pid} belongs to organisation {p['organisation_id']}, which does not exist")
        elif org.get("state") == "pending":
            problems.append(f"{pid} is stored but its organisation {org['_id']} is still pending")
        elif (p.get("org") or {}).get("kind") != org.get("kind"):
            problems.append(f"{pid}'s copy of its organisation says {p['org'].get('kind')}, not {org.get('kind')}")
    problems += [f"organisation {org} has {n} participations in the edition" for org, n in seen.items() if n > 1]
    problems += _pending_broken(edition, participations, organisations)
    problems += _places_broken(edition, by_role, participations, approved, ceilings or {})
    problems += _waitlist_broken(by_role, participations, set(waiting_by_hand))
    return problems


def _pending_broken(
    edition: dict[str, Any], participations: list[dict[str, Any]], organisations: Mapping[str, dict[str, Any]]
) -> list[str]:
    """A form under way holds all of itself; once its participation is stored it must not stay pending."""
    problems = []
    stored = {p["_id"] for p in participations}
    for org in organisations.values():
        pending = org.get("pending")
        if org.get("state") != "pending":
            if pending:
                problems.append(f"organisation {org['_id']} shows but still carries its pending form")
            continue
        if not pending or not all(pending.get(k) for k in ("form", "participation_id", "edition_id", "since")):
            problems.append(f"pending organisation {org['_id']} does not carry its whole form")
        elif pending["edition_id"] == edition["_id"] and pending["participation_id"] in stored:
            problems.append(
                f"organisation {org['_id']} is still pending though its participation "
                f"{pending['participation_id']} is stored"
            )
    return problems


def _places_broken(
    edition: dict[str, Any],
    by_role: Mapping[str, dict[str, Any]],
    participations: list[dict[str, Any]],
    approved: Mapping[str, set[str]],
    ceilings: Mapping[str, int],
) -> list[str]:
    problems = []
    limits = edition.get("capacity") or {}
    if not edition.get("capacity_due"):  # a change of places under way is finished by the recovery pass
        for role in sorted(set(limits) | set(by_role)):
            if role not in by_role:
                problems.append(f"{role} has a limit of {limits[role]} but no places are counted")
            elif by_role[role]["limit"] != limits.get(role):
                problems.append(
                    f"{role}'s places say a limit of {by_role[role]['limit']}, the edition {limits.get(role)}"
                )
    for role, doc in by_role.items():
        holders, pending = set(doc.get("holders") or {}), set(doc.get("pending") or {})
        held = approved.get(role, set())
        if doc["taken"] != len(holders):
            problems.append(f"{role}: taken says {doc['taken']}, {len(holders)} places are held")
        if held - holders:
            problems.append(f"{role}: {sorted(held - holders)} approved without a place")
        if holders - held - pending:
            problems.append(
                f"{role}: places held by {sorted(holders - held - pending)}, not approved, "
                "and not left for the reconciler"
            )
        if pending & held:
            problems.append(f"{role}: the places of approved {sorted(pending & held)} are still unconfirmed")
        ceiling = None if doc["limit"] is None else max(doc["limit"], ceilings.get(role, 0))
        if ceiling is not None and len(held) > ceiling:
            problems.append(f"{role}: {len(held)} approved, more than its {ceiling} places")
    roles_with = {p["role"] for p in participations if p["status"] == "approved"}
    for role in sorted(roles_with - set(by_role)):
        if role in limits:
            problems.append(f"{role} is limited but its approvals take no places")
    return problems


def _waitlist_broken(
    by_role: Mapping[str, dict[str, Any]], participations: list[dict[str, Any]], by_hand: set[str]
) -> list[str]:
    """Nobody waits while a place of their role is free, once the role's promotion has run."""
    problems = []
    for p in participations:
        if p["status"] != "waitlisted" or p["_id"] in by_hand:
            continue
        doc = by_role.get(p["role"])
        if doc is None:
            problems.append(f"{p['_id']} waits for a {p['role']} place, and that role has no limit")
        elif doc["limit"] is None:
            problems.append(f"{p['_id']} waits for a {p['role']} place, and that role has no limit any more")
        elif doc["taken"] < doc["limit"]:
            problems.append(f"{p['_id']} waits though {doc['limit'] - doc['taken']} {p['role']} places are free")
    return problems


def outbox_broken(
    documents: Iterable[tuple[str, dict[str, Any]]],
    published: list[dict[str, Any]],
    staged_before: Collection[str],
    relayed: bool,
) -> list[str]:
    """The outbox's promises: every staged event is published at most once, and exactly once after a relay pass.

    ``documents``: (collection, raw document with its ``outbox``); ``published``:
    everything the relay sent, in order; ``staged_before``: ids of events seen
    staged earlier (each must now be staged still or published); ``relayed``:
    the relay has run since the last write, so nothing may be left staged.
    """
    problems = []
    counts = Counter(e["id"] for e in published)
    problems += [f"event {eid} published {n} times" for eid, n in counts.items() if n > 1]
    staged: set[str] = set()
    for collection, doc in documents:
        outbox = doc.get("outbox") or {}
        staged |= set(outbox)
        if doc.get("outbox_n", 0) != len(outbox):
            problems.append(
                f"{collection}/{doc['_id']} counts {doc.get('outbox_n', 0)} staged events, holds {len(outbox)}"
            )
        problems += [
            f"event {eid} staged in {collection}/{doc['_id']} is published already" for eid in outbox if eid in counts
        ]
        if relayed and outbox:
            problems.append(f"{collection}/{doc['_id']} still holds {sorted(outbox)} after the relay ran")
    lost = set(staged_before) - staged - set(counts)
    problems += [f"event {eid} was staged and is gone unpublished" for eid in sorted(lost)]
    return problems


def leaks(events: Iterable[dict[str, Any]], public_types: Collection[str], personal: Iterable[str]) -> list[str]:
    """Public events that carry a person or an organiser's words: any of ``personal`` (names, e-mail
    addresses, phone numbers, remarks, household businesses' names) or anything shaped like an e-mail
    address or an international phone number."""
    needles = [n for n in {s.strip() for s in personal} if len(n) >= 4]
    problems = []
    for event in events:
        if event["type"] not in public_types:
            continue
        text = json.dumps(event.get("data"), ensure_ascii=False)
        found = (
            [n for n in needles if n in text]
            + [m.group() for m in _EMAIL.finditer(text)]
            + [m.group() for m in _E164.finditer(text)]
        )
        if found:
            problems.append(f"public event {event['type']} {event['id']} carries {sorted(set(found))}")
    return problems
