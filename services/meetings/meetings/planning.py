"""From stored documents to the scheduling domain and back: slot times, profiles, languages.

Plain Python (no nameko, no pymongo), so the rules that decide who meets whom
in which language are tested without a broker or a store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from meetings.domain import interpreters
from meetings.domain.matching import Profile
from meetings.domain.model import Booking, Meeting, Objectives, Session, Timetable

SIDES = {"exhibitor": "supplier", "buyer": "buyer"}
HOME_LANGUAGE = "vi"
GRID_MINUTES = 5  # slots start and end on this grid, so one person's busy time is a set of whole steps


def slot_times(day: date, starts_at: str, minutes: int, count: int, zone: str) -> list[dict[str, str]]:
    """``count`` back-to-back slots from ``starts_at`` local time, ids ``S01``…, times with their offset."""
    tz = ZoneInfo(zone)
    hour, minute = map(int, starts_at.split(":"))
    first = datetime.combine(day, time(hour, minute), tzinfo=tz)
    slots = []
    for i in range(count):
        start = first + timedelta(minutes=minutes * i)
        slots.append(
            {
                "id": f"S{i + 1:02d}",
                "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(minutes=minutes)).isoformat(),
            }
        )
    return slots


def busy_steps(slot: Mapping[str, str]) -> list[str]:
    """The grid steps (UTC, ``YYYY-MM-DDTHH:MMZ``) a slot covers: two slots of any sessions overlap in time
    exactly when they share a step, so one unique key per (person, step) keeps anyone from being in two
    meetings at once across every session of an edition."""
    start = datetime.fromisoformat(slot["starts_at"]).astimezone(UTC)
    end = datetime.fromisoformat(slot["ends_at"]).astimezone(UTC)
    step = timedelta(minutes=GRID_MINUTES)
    steps = []
    while start < end:
        steps.append(start.strftime("%Y-%m-%dT%H:%MZ"))
        start += step
    return steps


def overlapping_slots(session: Mapping[str, Any], busy: Iterable[Mapping[str, str]]) -> list[str]:
    """The ids of ``session``'s slots that overlap any of the ``busy`` times (slots of other sessions)."""
    taken = {step for slot in busy for step in busy_steps(slot)}
    return [s["id"] for s in session["slots"] if taken.intersection(busy_steps(s))]


def table_ids(count: int) -> list[str]:
    return [f"T{i + 1:02d}" for i in range(count)]


def break_slots(slots: list[dict[str, str]], breaks: Iterable[str]) -> list[str]:
    """Slot ids whose local start time (``HH:MM``) is a break; unknown times are an error."""
    by_time = {s["starts_at"][11:16]: s["id"] for s in slots}
    missing = sorted(set(breaks) - set(by_time))
    if missing:
        raise ValueError(f"no slot starts at {', '.join(missing)}")
    return sorted(by_time[b] for b in breaks)


def side_of(role: str) -> str | None:
    """Exhibitors supply, buyers buy; visitors and agencies do not take B2B meetings."""
    return SIDES.get(role)


def party(participant: Mapping[str, Any]) -> dict[str, Any]:
    """How a meeting names a side: the organisation, never a person."""
    return {
        "participation_id": participant["_id"],
        "organisation_id": participant["organisation_id"],
        "name": participant.get("name"),
        "country": participant.get("country", "VN"),
        "province": participant.get("province"),
    }


def profile(
    participant: Mapping[str, Any], organisation: Mapping[str, Any] | None, products: Iterable[Mapping[str, Any]]
) -> Profile:
    """A participant's matchmaking profile: what it stated, else what registration told us.

    Suppliers offer their products' categories and sectors; buyers seek their
    sectors; certifications held are those of their products; languages are
    their delegates' (Vietnamese for a Vietnamese organisation that says none).
    """
    stated = participant.get("profile") or {}
    org = organisation or {}
    products = list(products)
    sectors = set(org.get("sectors") or participant.get("sectors") or [])
    categories = {p["category"] for p in products} | sectors
    country = org.get("country") or participant.get("country") or "VN"
    languages = (
        stated.get("languages") or participant.get("languages") or ([HOME_LANGUAGE] if country == "VN" else ["en"])
    )
    side = participant["side"]
    return Profile(
        id=participant["_id"],
        side=side,
        organisation_kind=org.get("kind") or participant.get("organisation_kind", "enterprise"),
        province=org.get("province") or participant.get("province") or "",
        country=country,
        categories_offered=frozenset(stated.get("offers") or (categories if side == "supplier" else ())),
        categories_sought=frozenset(stated.get("seeks") or (sectors if side == "buyer" else ())),
        markets=frozenset(stated.get("markets") or ()),
        certifications_held=frozenset(
            stated.get("certifications_held") or {c for p in products for c in p.get("certifications") or []}
        ),
        certifications_required=frozenset(stated.get("certifications_required") or ()),
        languages=frozenset(languages),
    )


def meeting_language(
    supplier: Profile, buyer: Profile, interpreter_needs: Iterable[str], interpreters: Mapping[str, int]
) -> str | None:
    """The interpreter language a meeting needs, or None when the two sides share a language.

    A language a delegate asked an interpreter for comes first, then one the
    session has interpreters for, then the buyer's first language (which will
    show as ``no_interpreter`` if nobody speaks it).
    """
    if supplier.languages & buyer.languages:
        return None
    for language in sorted(interpreter_needs):
        if language != HOME_LANGUAGE:
            return language
    foreign = sorted(buyer.languages - {HOME_LANGUAGE})
    for language in foreign:
        if interpreters.get(language):
            return language
    return foreign[0] if foreign else None


def domain_session(session: Mapping[str, Any]) -> Session:
    """The slots meetings may use (breaks left out), the tables and the suppliers' reserved ones."""
    free = [s["id"] for s in session["slots"] if s["id"] not in set(session.get("breaks") or [])]
    return Session(tuple(free), tuple(session["tables"]), tuple(sorted((session.get("supplier_tables") or {}).items())))


def objectives(session: Mapping[str, Any]) -> Objectives:
    """The session's objectives; sessions stored before they existed get the defaults (fair, one table each)."""
    return Objectives(**(session.get("objectives") or {}))


def scores(timetable: Timetable) -> list[dict[str, Any]]:
    """The run report's objectives, in the order they were optimised."""
    return [
        {"name": s.name, "value": s.value, "bound": s.bound, "optimal": s.optimal, "method": s.method}
        for s in timetable.scores
    ]


def domain_meeting(doc: Mapping[str, Any]) -> Meeting:
    return Meeting(
        doc["_id"],
        doc["supplier"]["participation_id"],
        doc["buyer"]["participation_id"],
        doc.get("language"),
        int(doc.get("priority") or 0),
    )


def booking_of(doc: Mapping[str, Any]) -> Booking | None:
    return Booking(doc["_id"], doc["slot"], doc.get("table")) if doc.get("slot") else None


def availability(session: Mapping[str, Any], away: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """participant -> slots they are away, limited to the slots meetings may use."""
    usable = set(domain_session(session).slots)
    return {doc["participation_id"]: sorted(set(doc["slots"]) & usable) for doc in away if doc.get("slots")}


def programme_away(
    session: Mapping[str, Any], edition: Mapping[str, Any] | None, participants: Iterable[Mapping[str, Any]]
) -> dict[str, list[str]]:
    """participant -> this session's usable slots that overlap a site visit it signed up for: it is away then,
    without anyone entering slot ids (the programme's times come with the edition's events)."""
    visits = {item["key"]: item for item in (edition or {}).get("programme") or [] if item["kind"] == "site_visit"}
    if not visits:
        return {}
    usable = set(domain_session(session).slots)
    away = {}
    for p in participants:
        times = [visits[key] for key in p.get("site_visits") or [] if key in visits]
        slots = [s for s in overlapping_slots(session, times) if s in usable] if times else []
        if slots:
            away[p["_id"]] = slots
    return away


def periods_away(session: Mapping[str, Any], time_away: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """participant -> this session's usable slots that overlap a period it said it is away (booth duty…),
    said once for the edition in times, so no one re-enters slot ids per session."""
    usable = set(domain_session(session).slots)
    bounds = [
        (s["id"], datetime.fromisoformat(s["starts_at"]), datetime.fromisoformat(s["ends_at"]))
        for s in session["slots"]
        if s["id"] in usable
    ]
    away = {}
    for doc in time_away:
        periods = [
            (datetime.fromisoformat(p["starts_at"]), datetime.fromisoformat(p["ends_at"]))
            for p in doc.get("periods") or []
        ]
        slots = [sid for sid, start, end in bounds if any(a < end and start < b for a, b in periods)]
        if slots:
            away[doc["participation_id"]] = slots
    return away


def met_pairs(meetings: Iterable[Mapping[str, Any]], participant_of: Mapping[str, str]) -> set[frozenset[str]]:
    """Participation pairs that met or have a meeting under way, including organisations met in other editions.

    ``participant_of``: organisation id -> participation id in this edition.
    """
    pairs = set()
    for m in meetings:
        a = participant_of.get(m["supplier"]["organisation_id"])
        b = participant_of.get(m["buyer"]["organisation_id"])
        if a and b:
            pairs.add(frozenset((a, b)))
    return pairs


def interpreter_people(session: Mapping[str, Any]) -> list[interpreters.Interpreter]:
    """The session's named interpreters (empty: it counts seats per language, as before)."""
    return interpreters.people_of(session.get("interpreter_people") or [])


def interpreter_capacity(session: Mapping[str, Any]) -> dict[str, int | dict[str, int]]:
    """What the optimiser is given: language-group capacities per usable slot derived from the named
    interpreters when there are any (:mod:`meetings.domain.interpreters`), else the seat counts."""
    people = interpreter_people(session)
    if people:
        return dict(interpreters.capacities(people, domain_session(session).slots))
    return {k: int(v) for k, v in (session.get("interpreters") or {}).items()}


def interpreter_counts(session: Mapping[str, Any]) -> dict[str, int]:
    """language -> interpreters who speak it (named ones, else the counts): which languages a session offers."""
    people = interpreter_people(session)
    if not people:
        return {k: int(v) for k, v in (session.get("interpreters") or {}).items()}
    counts: dict[str, int] = {}
    for person in people:
        for language in person.languages:
            counts[language] = counts.get(language, 0) + 1
    return counts
