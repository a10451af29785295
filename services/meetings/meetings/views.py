"""Documents as the API shows them: sessions, meetings, agendas, table sheets, MOU stats.

Times (:mod:`shared.timestamps`): slots already carry the edition's offset; when something was created,
published, accepted or registered is shown in the session's (the edition's) zone too; a request's expiry and a
timetable job's times, which programs compare and poll, in UTC.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from meetings import planning
from shared.calendar import Entry
from shared.reference.provinces import rollup
from shared.timestamps import local_iso, utc_iso

INTERNAL = ("outbox", "outbox_n", "scheduler")
# Why a meeting has no place -> what would give it one (the gateway words it in vi/en: messages.yaml).
UNPLACED_HINTS = {
    "unavailable": "change_availability",  # one side is away at every slot still open
    "participant_busy": "free_a_slot",  # both sides are never free at the same slot
    "no_table": "add_tables",  # every table is taken at every slot both are free
    "no_interpreter": "add_interpreter",  # no interpreter seat left for its language
    "conflict": "run_again",  # someone took the place while the timetable was computed
}


# People-facing moments of a document, shown in its edition's zone.
SHOWN_LOCAL = ("created_at", "updated_at", "published_at", "accepted_at", "registered_at", "closed_at")
# A timetable job's moments: a program polls the job.
JOB_TIMES = ("requested_at", "started_at", "finished_at")


def _clean(doc: Mapping[str, Any], zone: str | None = None) -> dict[str, Any]:
    """Without internals, ``_id`` as ``id``; with a ``zone``, its people-facing moments in it."""
    return {
        ("id" if k == "_id" else k): local_iso(v, zone) if zone and k in SHOWN_LOCAL and isinstance(v, str) else v
        for k, v in doc.items()
        if k not in INTERNAL
    }


def interpreter(doc: Mapping[str, Any], session_doc: Mapping[str, Any]) -> dict[str, str] | None:
    """The named interpreter of a placed meeting, ``{"id", "name"}``: for its parties and organisers only
    (a name is personal data; events and the public session view carry languages, never people)."""
    pid = doc.get("interpreter") if doc.get("slot") else None
    person = next((p for p in session_doc.get("interpreter_people") or [] if p["id"] == pid), None)
    return {"id": person["id"], "name": person["name"]} if person else None


def session(doc: Mapping[str, Any], last_run: Mapping[str, Any] | None = None) -> dict[str, Any]:
    out = _clean(doc, doc["timezone"])
    if doc.get("agenda"):
        out["agenda"] = _clean(doc["agenda"], doc["timezone"])
    out["interpreter_people"] = [
        {k: p[k] for k in ("id", "languages", "away")} for p in doc.get("interpreter_people") or []
    ]  # sessions are public: no names
    breaks = set(doc.get("breaks") or [])
    out["slots"] = [{**s, "break": s["id"] in breaks} for s in doc["slots"]]
    out["last_run"] = run(last_run, doc["timezone"]) if last_run else None
    out["objectives"] = dataclasses.asdict(planning.objectives(doc))
    out["supplier_tables"] = dict(doc.get("supplier_tables") or {})
    return out


def run(doc: Mapping[str, Any], zone: str) -> dict[str, Any]:
    """A timetable run; when it ran is a people-facing moment (the organiser's "last run at 09:12")."""
    out = _clean(doc)
    out.pop("edition_id", None)
    out["at"] = local_iso(doc["at"], zone)
    return out


def job(doc: Mapping[str, Any]) -> dict[str, Any]:
    out = _clean(doc)
    out.update({k: utc_iso(doc.get(k)) for k in JOB_TIMES if k in doc})
    for key in ("edition_id", "series_id"):
        out.pop(key, None)
    return out


def slot_times(session_doc: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    return {s["id"]: s for s in session_doc["slots"]}


def meeting(doc: Mapping[str, Any], session_doc: Mapping[str, Any], private: bool = True) -> dict[str, Any]:
    """A meeting; ``private`` (its parties and organisers) adds the note and the outcome."""
    times = slot_times(session_doc).get(doc.get("slot") or "", {})
    out = {
        "id": doc["_id"],
        "session_id": doc["session_id"],
        "edition_id": doc["edition_id"],
        "status": doc["status"],
        "live": doc.get("live"),
        "supplier": doc["supplier"],
        "buyer": doc["buyer"],
        "requested_by": doc["requested_by"],
        "brokered": doc.get("brokered") == "yes",
        "slot": doc.get("slot"),
        "table": doc.get("table"),
        "starts_at": times.get("starts_at"),
        "ends_at": times.get("ends_at"),
        "timezone": session_doc["timezone"],
        "locked": doc.get("locked"),
        "language": doc.get("language"),
        "sequence": int(doc.get("sequence") or 0),
        "expires_at": utc_iso(doc.get("expires_at")) if doc["status"] == "requested" else None,
        "unplaced_reason": doc.get("unplaced_reason"),
        "unplaced_hint": UNPLACED_HINTS.get(doc.get("unplaced_reason") or ""),
        "version": int(doc.get("version") or 0),
    }
    if private:
        out["interpreter"] = interpreter(doc, session_doc)
        out["note"] = doc.get("note")
        outcome = doc.get("outcome")
        out["outcome"] = {**outcome, "at": local_iso(outcome["at"], session_doc["timezone"])} if outcome else None
    return out


def counterpart(doc: Mapping[str, Any], participation_id: str) -> dict[str, Any]:
    return doc["buyer"] if doc["supplier"]["participation_id"] == participation_id else doc["supplier"]


def _name(party: Mapping[str, Any], language: str = "vi") -> str:
    name = party.get("name") or {}
    return name.get(language) or name.get("vi") or name.get("en") or "(hộ kinh doanh)"


def agenda(
    session_doc: Mapping[str, Any], participant: Mapping[str, Any], meetings: Iterable[Mapping[str, Any]]
) -> dict[str, Any]:
    """A participant's day: scheduled meetings in time order, and those dropped since they were placed."""
    times = slot_times(session_doc)
    order = {s["id"]: i for i, s in enumerate(session_doc["slots"])}
    items, dropped, waiting = [], [], []
    for m in sorted(meetings, key=lambda m: (order.get(m.get("slot") or "", 999), m["_id"])):
        other = counterpart(m, participant["_id"])
        item = {
            "meeting_id": m["_id"],
            "slot": m.get("slot"),
            "table": m.get("table"),
            "starts_at": times.get(m.get("slot") or "", {}).get("starts_at"),
            "ends_at": times.get(m.get("slot") or "", {}).get("ends_at"),
            "counterpart": other,
            "language": m.get("language"),
            "interpreter": interpreter(m, session_doc),
            "status": m["status"],
            "live": m.get("live"),
            "sequence": int(m.get("sequence") or 0),
        }
        if m["status"] == "accepted" and m.get("slot"):
            items.append(item)
        elif m["status"] == "accepted":
            waiting.append(item)
        elif m["status"] == "cancelled" and m.get("last_slot"):
            dropped.append(
                {
                    **item,
                    "slot": m["last_slot"],
                    "table": m.get("last_table"),
                    "starts_at": times.get(m["last_slot"], {}).get("starts_at"),
                    "ends_at": times.get(m["last_slot"], {}).get("ends_at"),
                }
            )
    return {
        "session_id": session_doc["_id"],
        "session_name": session_doc["name"],
        "date": session_doc["date"],
        "timezone": session_doc["timezone"],
        "venue": session_doc.get("venue"),
        "agenda": _clean(session_doc["agenda"], session_doc["timezone"]) if session_doc.get("agenda") else None,
        "participant": {
            "participation_id": participant["_id"],
            "organisation_id": participant["organisation_id"],
            "name": participant.get("name"),
        },
        "meetings": items,
        "not_yet_scheduled": waiting,
        "cancelled": dropped,
    }


def calendar_entries(view: Mapping[str, Any], language: str = "vi") -> list[Entry]:
    """The agenda's meetings (and cancelled ones) as calendar entries, in the participant's language."""
    label = {"vi": ("Gặp gỡ B2B", "Bàn"), "en": ("B2B meeting", "Table")}.get(language, ("B2B meeting", "Table"))
    zone = ZoneInfo(view["timezone"])  # a named zone, so calendars get its TZID and VTIMEZONE
    entries = []
    for item, cancelled in [*((i, False) for i in view["meetings"]), *((i, True) for i in view["cancelled"])]:
        entries.append(
            Entry(
                meeting_id=item["meeting_id"],
                sequence=item["sequence"],
                starts_at=datetime.fromisoformat(item["starts_at"]).astimezone(zone),
                ends_at=datetime.fromisoformat(item["ends_at"]).astimezone(zone),
                summary=f"{label[0]}: {_name(item['counterpart'], language)}",
                location=f"{label[1]} {item['table']}, {view.get('venue') or ''}".rstrip(", "),
                description=f"{view['session_name'].get(language) or view['session_name']['vi']}"
                + (f" · interpreter: {item['language']}" if item.get("language") else ""),
                cancelled=cancelled,
            )
        )
    return entries


def table_sheets(session_doc: Mapping[str, Any], meetings: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One sheet per table: who sits there in each slot (organisers print these for the hall)."""
    by_table: dict[str, dict[str, Mapping[str, Any]]] = defaultdict(dict)
    for m in meetings:
        if m["status"] == "accepted" and m.get("slot") and m.get("table"):
            by_table[m["table"]][m["slot"]] = m
    breaks = set(session_doc.get("breaks") or [])
    sheets = []
    for table in session_doc["tables"]:
        rows = []
        for s in session_doc["slots"]:
            seated = by_table[table].get(s["id"])
            rows.append(
                {
                    "slot": s["id"],
                    "starts_at": s["starts_at"],
                    "ends_at": s["ends_at"],
                    "break": s["id"] in breaks,
                    "meeting_id": seated["_id"] if seated else None,
                    "supplier": seated["supplier"] if seated else None,
                    "buyer": seated["buyer"] if seated else None,
                    "language": seated.get("language") if seated else None,
                    "interpreter": interpreter(seated, session_doc) if seated else None,
                    "live": seated.get("live") if seated else None,
                }
            )
        sheets.append({"table": table, "rows": rows, "meetings": len(by_table[table])})
    return sheets


def mou(doc: Mapping[str, Any], zone: str) -> dict[str, Any]:
    return _clean(doc, zone)


def mou_stats(mous: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """MOUs by country, 2025 province and sector: how many, and their value per currency (never converted).

    A party registered under a province merged in 2025 counts under the unit it went into, as its events
    are routed (:mod:`shared.events.routing`) and as registration's statistics count."""
    buckets: dict[str, dict[str, dict[str, Any]]] = {"by_country": {}, "by_province": {}, "by_sector": {}}
    total: dict[str, Any] = {"count": 0, "value": defaultdict(int)}

    def add(group: str, key: str, value: Mapping[str, Any] | None) -> None:
        entry = buckets[group].setdefault(key, {"count": 0, "value": defaultdict(int)})
        entry["count"] += 1
        if value:
            entry["value"][value["currency"]] += value["amount"]

    for m in mous:
        value = m.get("value")
        total["count"] += 1
        if value:
            total["value"][value["currency"]] += value["amount"]
        add("by_sector", m["sector"], value)
        for country in sorted({p.get("country") or "VN" for p in m["parties"]}):
            add("by_country", country, value)
        for province in sorted(
            {p.get("province_2025") or rollup(p["province"]) for p in m["parties"] if p.get("province")}
        ):
            add("by_province", province, value)
    out: dict[str, Any] = {"total": {"count": total["count"], "value": dict(total["value"])}}
    for group, entries in buckets.items():
        out[group] = {k: {"count": v["count"], "value": dict(v["value"])} for k, v in sorted(entries.items())}
    return out
