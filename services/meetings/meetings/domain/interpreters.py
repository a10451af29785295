"""Named interpreters: the capacity they give the optimiser, and who sits in which meeting.

A session may name its interpreters instead of counting seats per language.
A person speaking several languages makes per-language counts non-additive:
Lan (ja, en) and Minh (en) are two English seats or one Japanese and one
English, never two English and one Japanese.  Per slot, whether the meetings
placed there can all be interpreted is a bipartite matching (meetings needing
language L ↔ people speaking L who are not away), and by Hall's theorem a
matching exists exactly when, for every set S of languages, the meetings
needing a language of S are at most the people available who speak one of S.

So the optimiser is given one capacity per *language group* (the languages of
S joined by ``+``, ``"en+ja"``) and per slot, and a meeting needing L counts
against every group containing L; a session with counts only has the
singleton groups and behaves exactly as before.  This is sound and complete
(no timetable the people cannot staff, none they could staff refused), unlike
a fixed assignment of each person to one language per slot, which may refuse
placements a different assignment would allow.  Only groups whose languages
are connected through people who speak two of them are needed (for a
disconnected S the condition is the sum of its parts'), which keeps the count
small: a handful of languages gives at most a few dozen groups.

After solving, :func:`assign` finds the matching slot by slot (augmenting
paths, seeded with the interpreters meetings already have, so a re-run moves
as few as it can).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

SEP = "+"
MAX_LANGUAGES = 8  # connected languages per session: 2^8 groups at most


@dataclass(frozen=True)
class Interpreter:
    """One named interpreter: the languages they interpret and the slots they are away."""

    id: str
    languages: frozenset[str]
    away: frozenset[str] = frozenset()


def people_of(records: Iterable[Mapping[str, Any]]) -> list[Interpreter]:
    """The session document's ``interpreter_people`` as domain values (names stay out of the optimiser)."""
    return [Interpreter(str(r["id"]), frozenset(r["languages"]), frozenset(r.get("away") or ())) for r in records]


def languages_of(group: str) -> tuple[str, ...]:
    return tuple(group.split(SEP))


def _components(people: Sequence[Interpreter]) -> list[list[str]]:
    """Languages linked through people who speak more than one, each component sorted."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for person in people:
        langs = sorted(person.languages)
        for other in langs:
            parent[root(other)] = root(langs[0])
    by_root: dict[str, list[str]] = {}
    for language in sorted(parent):
        by_root.setdefault(root(language), []).append(language)
    return sorted(by_root.values())


def groups(people: Sequence[Interpreter]) -> list[tuple[str, ...]]:
    """Every connected set of languages (see the module docstring), in a fixed order."""
    out: list[tuple[str, ...]] = []
    for component in _components(people):
        if len(component) > MAX_LANGUAGES:
            raise ValueError(f"more than {MAX_LANGUAGES} languages linked by interpreters: {component}")
        for size in range(1, len(component) + 1):
            for subset in combinations(component, size):
                if size == 1 or _connected(subset, people):
                    out.append(subset)
    return out


def _connected(subset: tuple[str, ...], people: Sequence[Interpreter]) -> bool:
    chosen = set(subset)
    reached, frontier = {subset[0]}, [subset[0]]
    while frontier:
        language = frontier.pop()
        for person in people:
            if language in person.languages:
                for other in person.languages & chosen - reached:
                    reached.add(other)
                    frontier.append(other)
    return reached == chosen


def capacities(people: Sequence[Interpreter], slots: Sequence[str]) -> dict[str, dict[str, int]]:
    """group key -> slot -> people available there who speak a language of the group: the per-slot
    capacities :func:`meetings.domain.timetable.schedule_meetings` takes as ``interpreters``."""
    return {
        SEP.join(group): {
            slot: sum(1 for p in people if slot not in p.away and p.languages & set(group)) for slot in slots
        }
        for group in groups(people)
    }


def assign(
    people: Sequence[Interpreter], needs: Mapping[str, tuple[str, str]], current: Mapping[str, str | None] | None = None
) -> dict[str, str | None]:
    """meeting -> interpreter id, for ``needs`` (meeting -> (slot, language)); None where none can be found.

    Per slot, a maximum bipartite matching by augmenting paths: meetings in id
    order, people in id order, each meeting first trying the interpreter it
    has (``current``), so an unchanged slot keeps its interpreters.
    """
    current = current or {}
    out: dict[str, str | None] = {}
    by_slot: dict[str, list[str]] = {}
    for mid, (slot, _) in needs.items():
        by_slot.setdefault(slot, []).append(mid)
    for slot, mids in sorted(by_slot.items()):
        mids.sort()
        options = {}
        for mid in mids:
            language = needs[mid][1]
            able = [p.id for p in sorted(people, key=lambda p: p.id) if language in p.languages and slot not in p.away]
            mine = current.get(mid)
            options[mid] = ([mine] if mine in able else []) + [i for i in able if i != mine]
        holder: dict[str, str] = {}
        for mid in mids:
            if current.get(mid) in options[mid] and current[mid] not in holder:
                holder[current[mid]] = mid  # type: ignore[index]
        for mid in mids:
            if mid not in holder.values():
                _augment(mid, options, holder, set())
        seated = {mid: pid for pid, mid in holder.items()}
        for mid in mids:
            out[mid] = seated.get(mid)
    return out


def _augment(mid: str, options: Mapping[str, list[str]], holder: dict[str, str], seen: set[str]) -> bool:
    for pid in options[mid]:
        if pid in seen:
            continue
        seen.add(pid)
        if pid not in holder or _augment(holder[pid], options, holder, seen):
            holder[pid] = mid
            return True
    return False
