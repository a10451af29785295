"""The working state of a schedule: who sits where in which slot, and Kempe-chain recolouring.

Slots are the colours of a bipartite edge colouring (suppliers on one side,
buyers on the other, a meeting is an edge).  When a meeting cannot go straight
into a slot both people have free, König's argument still places it: take a
slot ``a`` free for one end ``u`` and a slot ``b`` free for the other end
``v``; the path from ``v`` whose meetings alternate between ``a`` and ``b``
never reaches ``u`` (the graph is bipartite), so swapping ``a`` and ``b`` on
it frees ``a`` at ``v`` and the meeting goes there.  With only people
constraining, this never fails while fewer than Δ meetings touch either end,
which is why Δ slots always suffice.  Tables, interpreters and availability
are checked on every swap, so a swap that would break them is not made.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from meetings.domain.interpreters import SEP
from meetings.domain.model import NO_INTERPRETER, NO_TABLE, PARTICIPANT_BUSY, REASONS, UNAVAILABLE, Meeting


class Grid:
    """Mutable placement of meetings into slot indices, with the counts the constraints need."""

    def __init__(
        self,
        meetings: dict[str, Meeting],
        n_slots: int,
        tables: int,
        away: dict[str, frozenset[int]],
        interpreters: dict[str, tuple[int, ...]],
        reserved: frozenset[str] = frozenset(),
    ) -> None:
        self.meetings = meetings
        self.n_slots = n_slots
        self.tables = tables  # the shared tables; a supplier with a reserved table never needs one of them
        self.reserved = reserved
        self.enforce_tables = True
        self.away = away
        self.interpreters = interpreters
        self.slot: dict[str, int] = {}
        self.busy: dict[tuple[str, int], str] = {}
        self.count = [0] * n_slots  # meetings at shared tables, per slot
        self.used = [0] * n_slots  # every meeting, per slot
        self.lang: defaultdict[tuple[str, int], int] = defaultdict(int)  # (language group, slot) -> meetings
        self._groups: dict[str, tuple[str, ...]] = {}
        self.pinned: set[str] = set()  # locked, or history: never moved by a swap

    # -- checks ---------------------------------------------------------------------------------

    def pooled(self, meeting_id: str) -> bool:
        """Whether the meeting takes one of the shared tables (its supplier has none of its own)."""
        return self.meetings[meeting_id].supplier not in self.reserved

    def available(self, m: Meeting, s: int) -> bool:
        return s not in self.away.get(m.supplier, ()) and s not in self.away.get(m.buyer, ())

    def interpreter_cap(self, group: str, s: int) -> int:
        caps = self.interpreters.get(group)
        return caps[s] if caps else 0

    def groups(self, language: str) -> tuple[str, ...]:
        """The capacity groups a meeting needing ``language`` counts against: the language itself with
        counts, every connected language set containing it with named interpreters
        (:mod:`meetings.domain.interpreters`); a language nobody interprets has capacity 0."""
        if language not in self._groups:
            found = tuple(g for g in sorted(self.interpreters) if language in g.split(SEP))
            self._groups[language] = found or (language,)
        return self._groups[language]

    def interpreter_free(self, language: str, s: int, extra: int = 1) -> bool:
        return all(self.lang[g, s] + extra <= self.interpreter_cap(g, s) for g in self.groups(language))

    def blocker(self, m: Meeting, s: int) -> str | None:
        """Why ``m`` cannot go into slot ``s`` as things stand (checks in ``REASONS`` order), or None."""
        if not self.available(m, s):
            return UNAVAILABLE
        if (m.supplier, s) in self.busy or (m.buyer, s) in self.busy:
            return PARTICIPANT_BUSY
        if self.enforce_tables and m.supplier not in self.reserved and self.count[s] >= self.tables:
            return NO_TABLE
        if m.language is not None and not self.interpreter_free(m.language, s):
            return NO_INTERPRETER
        return None

    def reason(self, m: Meeting, palette: Iterable[int]) -> str:
        """The furthest any slot of ``palette`` got for ``m``: what really kept it out."""
        return max((self.blocker(m, s) or NO_INTERPRETER for s in palette), key=REASONS.index, default=UNAVAILABLE)

    # -- moves ----------------------------------------------------------------------------------

    def place(self, meeting_id: str, s: int) -> None:
        m = self.meetings[meeting_id]
        self.slot[meeting_id] = s
        self.busy[m.supplier, s] = meeting_id
        self.busy[m.buyer, s] = meeting_id
        self.count[s] += self.pooled(meeting_id)
        self.used[s] += 1
        if m.language is not None:
            for g in self.groups(m.language):
                self.lang[g, s] += 1

    def remove(self, meeting_id: str) -> int:
        m = self.meetings[meeting_id]
        s = self.slot.pop(meeting_id)
        del self.busy[m.supplier, s]
        del self.busy[m.buyer, s]
        self.count[s] -= self.pooled(meeting_id)
        self.used[s] -= 1
        if m.language is not None:
            for g in self.groups(m.language):
                self.lang[g, s] -= 1
        return s

    def chain(self, start: str, a: int, b: int) -> list[str]:
        """Meetings on the path from participant ``start`` alternating slots a, b, a, ..."""
        path: list[str] = []
        person, colour = start, a
        while (mid := self.busy.get((person, colour))) is not None:
            path.append(mid)
            m = self.meetings[mid]
            person = m.buyer if m.supplier == person else m.supplier
            colour = b if colour == a else a
        return path

    def swap_ok(self, path: list[str], a: int, b: int, extra: Meeting | None) -> bool:
        """Whether exchanging slots a and b on ``path`` (then adding ``extra`` to ``a``) keeps every rule."""
        gain = {a: 0, b: 0}
        langs: defaultdict[tuple[str, int], int] = defaultdict(int)
        for mid in path:
            if mid in self.pinned:
                return False
            m = self.meetings[mid]
            new = b if self.slot[mid] == a else a
            if not self.available(m, new):
                return False
            if self.pooled(mid):
                gain[new] += 1
                gain[a + b - new] -= 1
            for g in self.groups(m.language) if m.language is not None else ():
                langs[g, new] += 1
                langs[g, a + b - new] -= 1
        if extra is not None:
            gain[a] += extra.supplier not in self.reserved
            for g in self.groups(extra.language) if extra.language is not None else ():
                langs[g, a] += 1
        if self.enforce_tables and any(self.count[s] + g > self.tables for s, g in gain.items() if g > 0):
            return False
        return all(self.lang[key] + g <= self.interpreter_cap(key[0], key[1]) for key, g in langs.items() if g > 0)

    def swap(self, path: list[str], a: int, b: int) -> None:
        moved = [(mid, self.remove(mid)) for mid in path]
        for mid, s in moved:
            self.place(mid, b if s == a else a)

    def insert(self, meeting_id: str, palette: list[int], minimal: bool = False) -> list[str] | None:
        """Place a meeting in ``palette``, directly or by one Kempe swap.

        Returns the meetings that had to move (empty when placed directly), or
        None when neither worked.  ``minimal`` looks at every swap and takes one
        moving the fewest meetings (for reschedules); otherwise the first valid.
        """
        m = self.meetings[meeting_id]
        direct = [s for s in palette if self.blocker(m, s) is None]
        if direct:
            # Least-filled slot first keeps slots balanced against the table limit.
            self.place(meeting_id, min(direct, key=lambda s: (self.count[s], s)))
            return []
        best: tuple[int, int, int, list[str]] | None = None
        for u, v in ((m.supplier, m.buyer), (m.buyer, m.supplier)):
            free_u = [s for s in palette if (u, s) not in self.busy and self.available(m, s)]
            free_v = [s for s in palette if (v, s) not in self.busy]
            for a in free_u:
                if (v, a) not in self.busy:
                    continue  # both free at a: the blocker was a table or interpreter, not a person
                for b in free_v:
                    if b == a:
                        continue
                    path = self.chain(v, a, b)
                    if best is not None and len(path) >= len(best[3]):
                        continue
                    if self.swap_ok(path, a, b, m):
                        best = (a, b, 0, path)
                        if not minimal:
                            break
                if best is not None and not minimal:
                    break
            if best is not None and not minimal:
                break
        if best is None:
            return None
        a, b, _, path = best
        self.swap(path, a, b)
        self.place(meeting_id, a)
        return path
