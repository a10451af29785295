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
FLOOR_PLAN = Path(__file__).with_name("thanh-hoa-2024-floor-plan.csv")
DECISIONS = {"approved": "approve", "rejected": "reject", "waitlisted": "waitlist", "cancelled": "cancel"}


class Api:
    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()

    def token(self, **claims: Any) -> str:
        return self.call("POST", "/v1/dev/tokens", claims)["token"]

    def call(self, method: str, path: str, body: Any = None, token: str | None = None,
             wait_for_events: float = 0) -> Any:
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
    products = [{**p, "certifications": [c.lower() for c in p.get("certifications", [])]}
                for p in org.get("products", [])]
    wants = participation["wants"]
    return {"organisation": organisation, "products": products, "role": participation["role"],
            "wants": {"booths": wants.get("booth", 0), "b2b": wants["b2b"],
                      "site_visits": wants["site_visits"], "livestream": wants["livestream"]}}


def load_demo(gateway: str) -> str:
    data = json.loads(DEMO.read_text(encoding="utf-8"))
    api = Api(gateway)
    ops = api.token(role="ops")
    series_id = data["series"]["key"]
    if any(s["id"] == series_id for s in api.call("GET", "/v1/series")["items"]):
        return f"demo: series {series_id} already loaded"
    api.call("POST", "/v1/series", {"key": series_id, "name": data["series"]["name"]}, ops)
    organiser = api.token(role="organiser", series=series_id)
    edition = api.call("POST", "/v1/editions", edition_body(series_id, data["edition"]), organiser)
    organisations = {o["key"]: o for o in data["organisations"]}
    exhibitors = []
    for participation in data["participations"]:
        org = organisations[participation["organisation"]]
        result = api.call("POST", f"/v1/editions/{edition['id']}/registrations",
                          registration_body(org, participation), organiser)
        action = DECISIONS.get(participation["status"])
        if action:
            api.call("POST", f"/v1/participations/{result['participation']['id']}/decision",
                     {"action": action, "reason": participation.get("reason")}, organiser)
        if participation["status"] == "approved" and participation["role"] == "exhibitor":
            exhibitors.append((result, participation["wants"].get("booth", 1) or 1))
    api.call("POST", f"/v1/editions/{edition['id']}/status", {"status": "open"}, organiser)
    load_booths(api, edition["id"], data["edition"]["host_province"], organiser, exhibitors)
    return (f"demo: loaded {data['edition']['key']} as edition {edition['id']} "
            f"with {len(data['participations'])} registrations")


def load_booths(api: Api, edition_id: str, host: str, organiser: str, exhibitors: list[tuple[dict, int]]) -> None:
    """Seed 000's 82 booths, 36 for Thanh Hóa and 46 for the other provinces, and every exhibitor's wish.

    The booths service learns the edition and the approvals from events, so
    each call waits until it has caught up.
    """
    base = f"/v1/editions/{edition_id}"
    api.call("PUT", f"{base}/floor-plan", {"csv": FLOOR_PLAN.read_text(encoding="utf-8")}, organiser,
             wait_for_events=30)
    api.call("PUT", f"{base}/booth-rules", {
        "groups": [{"name": "host", "booths": 36, "provinces": [host]},
                   {"name": "others", "booths": 46, "provinces": None, "province_cap": 8}],
        "organisation_max": 3,
    }, organiser)
    zones = ["A", "B", "B", "O"]
    for index, (registration, wanted) in enumerate(exhibitors):
        member = api.token(role="member", organisation=registration["organisation_id"])
        preferences = [{"type": "zone", "value": zones[index % len(zones)]}, {"type": "kind", "value": "standard"}]
        if registration["participation"]["org"].get("ocop_max_stars"):
            preferences.insert(0, {"type": "kind", "value": "ocop"})
        api.call("POST", f"{base}/booth-applications",
                 {"participation_id": registration["participation"]["id"], "booths_wanted": min(wanted, 3),
                  "preferences": preferences, "needs": ["power"]}, member, wait_for_events=30)

