"""The planning aid's hints: for meetings the last run left out, the smallest change that places them.

One more interpreter of the language they need, one more table, or one more
slot at the end of the session; each tried by solving the session again as a
full run would (``solve``), so a hint says exactly how many more meetings the
change places and in which slots it is used.  One solve per kind of change
that some left-out meeting could use (one per language for interpreters), so
the cost is bounded by the session's languages plus two.  Nothing is written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from meetings import planning
from meetings.domain.model import Timetable

Solve = Callable[[dict[str, Any]], Timetable]
FOR_REASON = {"no_interpreter": "interpreter", "no_table": "table", "participant_busy": "slot", "unavailable": "slot"}


def hints(
    session: dict[str, Any], accepted: list[dict[str, Any]], unplaced: Mapping[str, str], solve: Solve
) -> list[dict[str, Any]]:
    """``unplaced``: meeting id -> the reason the last run gave.  A hint per left-out meeting that some change
    could help, each naming the change, the slots it is used in and how many more meetings it places."""
    waiting = {m["_id"]: m for m in accepted if m["_id"] in unplaced}
    wanted: dict[tuple[str, str | None], list[str]] = {}
    for mid, meeting in sorted(waiting.items()):
        change = FOR_REASON.get(unplaced[mid])
        if change == "interpreter" and not meeting.get("language"):
            continue
        if change is not None:
            wanted.setdefault((change, meeting.get("language") if change == "interpreter" else None), []).append(mid)
    if not wanted:
        return []
    order = list(planning.domain_session(session).slots)
    base = solve(session)
    out = []
    for (change, language), mids in sorted(wanted.items(), key=lambda item: (item[0][0], item[0][1] or "")):
        variant, extra_slot = _variant(session, change, language)
        after = solve(variant)
        slots = _used(change, language, base, after, accepted, session, [*order, *filter(None, [extra_slot])])
        gained = len(after.bookings) - len(base.bookings)
        english, vietnamese = _text(change, language, slots, gained)
        hint: dict[str, Any] = {
            "change": change,
            "add": 1,
            "slots": slots,
            "places": gained,
            "text": english,
            "text_vi": vietnamese,
        }
        if language:
            hint["language"] = language
        out += [{"meeting_id": mid, "hint": hint} for mid in mids]
    return sorted(out, key=lambda h: h["meeting_id"])


def _variant(session: dict[str, Any], change: str, language: str | None) -> tuple[dict[str, Any], str | None]:
    """The session with one more of ``change`` (never stored); the new slot's id when it is a slot."""
    if change == "interpreter" and language:
        if session.get("interpreter_people"):
            extra = {"id": "+hint", "name": "", "languages": [language], "away": []}
            return {**session, "interpreter_people": [*session["interpreter_people"], extra]}, None
        counts = dict(session.get("interpreters") or {})
        return {**session, "interpreters": {**counts, language: int(counts.get(language, 0)) + 1}}, None
    if change == "table":
        return {**session, "tables": [*session["tables"], planning.table_ids(len(session["tables"]) + 1)[-1]]}, None
    last = session["slots"][-1]
    start, end = datetime.fromisoformat(last["starts_at"]), datetime.fromisoformat(last["ends_at"])
    new = {
        "id": f"S{len(session['slots']) + 1:02d}",
        "starts_at": end.isoformat(),
        "ends_at": (end + (end - start)).isoformat(),
    }
    return {**session, "slots": [*session["slots"], new]}, new["id"]


def _used(
    change: str,
    language: str | None,
    base: Timetable,
    after: Timetable,
    accepted: Iterable[dict[str, Any]],
    session: dict[str, Any],
    order: list[str],
) -> list[str]:
    """The slots in which the what-if timetable uses what was added: more meetings of the language than
    before, more meetings than the hall had tables, or the new slot."""
    if change == "interpreter":
        lang_of = {m["_id"]: m.get("language") for m in accepted}
        used = Counter(b.slot for b in after.bookings if lang_of[b.meeting_id] == language)
        used.subtract(Counter(b.slot for b in base.bookings if lang_of[b.meeting_id] == language))
        return [s for s in order if used[s] > 0]
    counts = Counter(b.slot for b in after.bookings)
    if change == "table":
        return [s for s in order if counts[s] > len(session["tables"])]
    return [s for s in order[len(planning.domain_session(session).slots) :] if counts[s]]


def spans(slots: list[str]) -> str:
    """``S01–S03, S05``: runs of consecutive slots (by number, so a break between two slots splits a run)."""
    runs: list[list[str]] = []
    for s in sorted(slots):
        if runs and int(s[1:]) == int(runs[-1][-1][1:]) + 1:
            runs[-1].append(s)
        else:
            runs.append([s])
    return ", ".join(r[0] if len(r) == 1 else f"{r[0]}–{r[-1]}" for r in runs)


def _text(change: str, language: str | None, slots: list[str], gained: int) -> tuple[str, str]:
    """The hint in English and Vietnamese (organisers read the planning aid in either)."""
    what = {
        "interpreter": (f"one more {language} interpreter", f"thêm một phiên dịch viên tiếng {language}"),
        "table": ("one more table", "thêm một bàn"),
        "slot": ("one more slot at the end", "thêm một khung giờ ở cuối phiên"),
    }[change]
    if gained <= 0 or not slots:
        return f"{what[0]} would not place more meetings", f"{what[1]} cũng không xếp thêm được cuộc gặp nào"
    where = f" in slots {spans(slots)}" if change != "slot" else f" ({slots[0]})"
    where_vi = f" vào khung {spans(slots)}" if change != "slot" else f" ({slots[0]})"
    return f"{what[0]}{where} would place {gained} more", f"{what[1]}{where_vi} sẽ xếp thêm được {gained} cuộc gặp"
