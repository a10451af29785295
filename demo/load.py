"""Load the demo editions through the public API, once.

Going through the gateway (not the database) means the demo exercises the
same validation, events and metrics as real users, and proves they work on
every ``make up``.  A second run finds the series and does nothing.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import requests

DEMO = Path(__file__).with_name("thanh-hoa-2024.json")
QUANG_TRI = Path(__file__).with_name("quang-tri-2025.json")
FLOOR_PLAN = Path(__file__).with_name("thanh-hoa-2024-floor-plan.csv")
DECISIONS = {"approved": "approve", "rejected": "reject", "waitlisted": "waitlist", "cancelled": "cancel"}


class Api:
    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()

    def token(self, **claims: Any) -> str:
        return self.call("POST", "/v1/dev/tokens", claims)["token"]

    def call(
        self, method: str, path: str, body: Any = None, token: str | None = None, wait_for_events: float = 0
    ) -> Any:
        """``wait_for_events``: retry a 404/409 that only means another service has not caught up yet."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        deadline = time.monotonic() + wait_for_events
        while True:
            response = self.http.request(method, self.base + path, json=body, headers=headers, timeout=30)
            if response.status_code in (404, 409) and time.monotonic() < deadline:
                time.sleep(0.3)
                continue
            if response.status_code >= 400:
                raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
            return response.json()


def _at(day: str, hour: str) -> str:
    return f"{day}T{hour}:00+07:00"


def edition_body(series_id: str, raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "series_id": series_id,
        "title": raw["name"],
        "host_province": raw["host_province"],
        "partner_provinces": raw["partner_provinces"],
        "venue": {"name": raw["venue"]["name"]["vi"], "address": raw["venue"]["address"]},
        "starts_on": raw["starts_on"],
        "ends_on": raw["ends_on"],
        "theme": raw["theme"],
        "plan_reference": raw["plan_reference"],
        "registration_opens_at": _at(raw["registration_opens_on"], "08:00"),
        "registration_closes_at": _at(raw["registration_closes_on"], "17:00"),
        "capacity": raw["capacity"],
        "programme": [{k: v for k, v in item.items() if v is not None} for item in raw["programme"]],
    }


def registration_body(org: dict[str, Any], participation: dict[str, Any]) -> dict[str, Any]:
    foreign = org["kind"] == "foreign_company"
    organisation = {
        "kind": "foreign_buyer" if foreign else org["kind"],
        "legal_name": {"vi": org["name"]},
        "sectors": org["sectors"],
        "delegates": org["delegates"],
    }
    if foreign:
        organisation["foreign"] = {"country": org["country"], "registration_no": org["registration_no"]}
    else:
        organisation.update(tax_code=org["tax_code"], province=org["province"])
    products = [
        {**p, "certifications": [c.lower() for c in p.get("certifications", [])]} for p in org.get("products", [])
    ]
    wants = participation["wants"]
    return {
        "organisation": organisation,
        "products": products,
        "role": participation["role"],
        "wants": {
            "booths": wants.get("booth", 0),
            "b2b": wants["b2b"],
            "site_visits": wants["site_visits"],
            "livestream": wants["livestream"],
        },
    }


def load_edition(api: Api, data: dict[str, Any]) -> tuple[str, str, dict[str, dict[str, Any]]] | None:
    """Series, edition, registrations and decisions; None if the series is there already.

    Returns the edition id, an organiser token and, by organisation key, each
    registration as the API returned it.
    """
    ops = api.token(role="ops")
    series_id = data["series"]["key"]
    if api.http.get(f"{api.base}/v1/series/{series_id}", timeout=30).status_code == 200:
        return None
    api.call("POST", "/v1/series", {"key": series_id, "name": data["series"]["name"]}, ops)
    organiser = api.token(role="organiser", series=series_id)
    edition = api.call("POST", "/v1/editions", edition_body(series_id, data["edition"]), organiser)
    organisations = {o["key"]: o for o in data["organisations"]}
    registered = {}
    for participation in data["participations"]:
        org = organisations[participation["organisation"]]
        result = api.call(
            "POST", f"/v1/editions/{edition['id']}/registrations", registration_body(org, participation), organiser
        )
        action = DECISIONS.get(participation["status"])
        if action:
            api.call(
                "POST",
                f"/v1/participations/{result['participation']['id']}/decision",
                {"action": action, "reason": participation.get("reason")},
                organiser,
            )
        registered[participation["organisation"]] = result
    api.call("POST", f"/v1/editions/{edition['id']}/status", {"status": "open"}, organiser)
    return edition["id"], organiser, registered


def load_demo(gateway: str) -> str:
    """Thanh Hóa 2024 (booths) and Quảng Trị 2025 (B2B meetings and MOUs), each once."""
    api = Api(gateway)
    lines = []
    for path, extra in ((DEMO, load_thanh_hoa_booths), (QUANG_TRI, load_b2b)):
        data = json.loads(path.read_text(encoding="utf-8"))
        loaded = load_edition(api, data)
        if loaded is None:
            lines.append(f"demo: series {data['series']['key']} already loaded")
            continue
        edition_id, organiser, registered = loaded
        extra(api, data, edition_id, organiser, registered)
        lines.append(
            f"demo: loaded {data['edition']['key']} as edition {edition_id} "
            f"with {len(data['participations'])} registrations"
        )
    return "\n".join(lines)


def load_thanh_hoa_booths(
    api: Api, data: dict[str, Any], edition_id: str, organiser: str, registered: dict[str, dict[str, Any]]
) -> None:
    exhibitors = [
        (registered[p["organisation"]], p["wants"].get("booth", 1) or 1)
        for p in data["participations"]
        if p["status"] == "approved" and p["role"] == "exhibitor"
    ]
    load_booths(api, edition_id, data["edition"]["host_province"], organiser, exhibitors)


def load_b2b(
    api: Api, data: dict[str, Any], edition_id: str, organiser: str, registered: dict[str, dict[str, Any]]
) -> None:
    """Seed 003's afternoon: profiles, the B2B session, late buyers, requests and answers, MOUs.

    The timetable itself is left for the organiser to compute from the docs
    page (``POST /v1/b2b-sessions/{id}/schedule``).
    """
    b2b = data["b2b"]
    pid = {key: r["participation"]["id"] for key, r in registered.items()}
    members = {key: api.token(role="member", organisation=r["organisation_id"]) for key, r in registered.items()}
    base = f"/v1/editions/{edition_id}"
    for key, profile in sorted(b2b["profiles"].items()):
        api.call("PUT", f"{base}/b2b-profiles/{pid[key]}", profile, organiser, wait_for_events=30)
    session = api.call("POST", f"{base}/b2b-sessions", b2b["session"], organiser)
    late = [s["id"] for s in session["slots"][:2]]
    for key in b2b["late_from_site_visit"]:
        api.call(
            "PUT",
            f"/v1/b2b-sessions/{session['id']}/availability/{pid[key]}",
            {"away": late, "reason": "site visit"},
            members[key],
        )
    meetings = {}
    for request in b2b["requests"]:
        made = api.call(
            "POST",
            f"/v1/b2b-sessions/{session['id']}/requests",
            {"from": pid[request["from"]], "to": pid[request["to"]]},
            members[request["from"]],
        )
        meetings[frozenset((request["from"], request["to"]))] = made["id"]
        answer = {"accepted": "accept", "declined": "decline"}.get(request["status"])
        if answer:
            api.call("POST", f"/v1/meetings/{made['id']}/{answer}", {}, members[request["to"]])
    for mou in b2b["mous"]:
        parties = [
            {"organisation_id": registered[p]["organisation_id"]}
            if isinstance(p, str)
            else {"name": p["alliance"], "kind": "alliance", "province": p["province"]}
            for p in mou["parties"]
        ]
        keys = [p for p in mou["parties"] if isinstance(p, str)]
        linked = [meetings[frozenset(keys)]] if frozenset(keys) in meetings else []
        api.call(
            "POST",
            f"{base}/mous",
            {
                **{k: mou[k] for k in ("title", "kind", "sector", "products", "value", "document_ref", "signed_on")},
                "parties": parties,
                "meeting_ids": linked,
                "signed_at_event": data["edition"]["name"]["vi"],
            },
            organiser,
        )


def load_booths(api: Api, edition_id: str, host: str, organiser: str, exhibitors: list[tuple[dict, int]]) -> None:
    """Seed 000's 82 booths, 36 for Thanh Hóa and 46 for the other provinces, and every exhibitor's wish.

    The booths service learns the edition and the approvals from events, so
    each call waits until it has caught up.
    """
    base = f"/v1/editions/{edition_id}"
    api.call(
        "PUT", f"{base}/floor-plan", {"csv": FLOOR_PLAN.read_text(encoding="utf-8")}, organiser, wait_for_events=30
    )
    api.call(
        "PUT",
        f"{base}/booth-rules",
        {
            "groups": [
                {"name": "host", "booths": 36, "provinces": [host]},
                {"name": "others", "booths": 46, "provinces": None, "province_cap": 8},
            ],
            "organisation_max": 3,
        },
        organiser,
    )
    zones = ["A", "B", "B", "O"]
    for index, (registration, wanted) in enumerate(exhibitors):
        member = api.token(role="member", organisation=registration["organisation_id"])
        preferences = [{"type": "zone", "value": zones[index % len(zones)]}, {"type": "kind", "value": "standard"}]
        if registration["participation"]["org"].get("ocop_max_stars"):
            preferences.insert(0, {"type": "kind", "value": "ocop"})
        api.call(
            "POST",
            f"{base}/booth-applications",
            {
                "participation_id": registration["participation"]["id"],
                "booths_wanted": min(wanted, 3),
                "preferences": preferences,
                "needs": ["power"],
            },
            member,
            wait_for_events=30,
        )
