"""One time convention through the gateway: every moment is RFC 3339 with milliseconds at most; what people read
(created, submitted, decided, sent) carries the edition's offset (+07:00 for Asia/Ho_Chi_Minh), what programs
compare (an expiry, a retry) is UTC with ``Z``; each is the instant it happened."""

from __future__ import annotations

import copy
import csv
import io
import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.api import registration
from tests.support.waiting import wait_for

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?(Z|[+-]\d{2}:\d{2})$")
LOOKS_LIKE_A_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T")
MACHINE = {"expires_at", "next_at", "lease_until", "previous_secret_valid_until"}  # compared by programs: UTC


def moments(answer: Any, key: str = "") -> list[tuple[str, str]]:
    """Every (field, value) of an answer whose value is a date and time, however deep."""
    if isinstance(answer, dict):
        return [m for k, v in answer.items() for m in moments(v, k)]
    if isinstance(answer, list):
        return [m for v in answer for m in moments(v, key)]
    return [(key, answer)] if isinstance(answer, str) and LOOKS_LIKE_A_MOMENT.match(answer) else []


def check(answer: Any, since: datetime, until: datetime) -> list[str]:
    """The fields seen; each in its form, and (but the edition's own times) within [since, until]."""
    seen = []
    for key, value in moments(answer):
        assert RFC3339.match(value), (key, value)
        if key in MACHINE:
            assert value.endswith("Z"), (key, value)
        else:
            assert value.endswith("+07:00"), (key, value)
            if key not in ("registration_opens_at", "registration_closes_at", "starts_at", "ends_at"):
                assert since <= datetime.fromisoformat(value) <= until, (key, value)  # the same instant
        seen.append(key)
    return seen


def test_answers_and_the_export_follow_one_time_convention(api, organiser, new_edition):
    since = datetime.now(UTC).replace(microsecond=0)
    edition = new_edition()
    eid = edition["id"]
    body = registration("thanh-hoa", name=f"Hợp tác xã Giờ {time.monotonic_ns()}")
    created = api.request("POST", f"/v1/editions/{eid}/registrations", json=body)
    assert created.status_code == 201, created.text
    pid, org_id = created.json()["participation"]["id"], created.json()["organisation_id"]
    decided = api.request("POST", f"/v1/participations/{pid}/decision", organiser, json={"action": "approve"})
    assert decided.status_code == 200, decided.text
    member = api.token("member", organisation=org_id)

    def all_sent():
        items = api.request("GET", f"/v1/organisations/{org_id}/notifications", member).json()["items"]
        return items if len(items) >= 2 and all(m["status"] == "sent" for m in items) else None

    messages = wait_for(all_sent, timeout=30)
    log = api.request("GET", f"/v1/editions/{eid}/notifications", organiser, params={"organisation_id": org_id})
    participation = api.request("GET", f"/v1/participations/{pid}", organiser).json()
    listed = api.request("GET", f"/v1/editions/{eid}/participations", organiser).json()
    organisation = api.request("GET", f"/v1/organisations/{org_id}", organiser).json()
    opened = api.request("GET", f"/v1/editions/{eid}").json()
    # the same organisation registered for another edition by someone else: a claim its contacts confirm
    other = new_edition()
    claimed = api.request("POST", f"/v1/editions/{other['id']}/registrations", json=copy.deepcopy(body))
    assert claimed.status_code == 202, claimed.text
    until = datetime.now(UTC) + timedelta(seconds=1)

    seen = set()
    for answer in (created.json(), decided.json(), participation, listed, organisation, messages, log.json(), opened):
        seen.update(check(answer, since, until))
    assert {"submitted_at", "decided_at", "updated_at", "created_at", "sent_at"} <= seen

    expires_at = claimed.json()["expires_at"]
    assert RFC3339.match(expires_at) and expires_at.endswith("Z"), expires_at  # machine-facing: UTC
    assert datetime.fromisoformat(expires_at) > until + timedelta(days=6)

    assert participation["submitted_at"] == created.json()["participation"]["submitted_at"]
    assert (
        since
        <= datetime.fromisoformat(participation["submitted_at"])
        <= datetime.fromisoformat(participation["decided_at"])
    )

    exported = api.request("GET", f"/v1/editions/{eid}/participations.csv", organiser)
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [r["submitted_at"] for r in rows] == [participation["submitted_at"]]  # the export shows what the API does

    # neighbour: the edition's own times, in its offset already, are unchanged
    assert edition["programme"][0]["starts_at"] == "2024-08-16T08:00:00+07:00"
    assert opened["registration_opens_at"] == edition["registration_opens_at"]
    assert opened["registration_opens_at"].endswith("T08:00:00+07:00")
