"""Every request example of the served document, submitted to the running system: each gets a success.

The examples (services/gateway/gateway/examples.py) tell one story, and this test walks it in order: a
series, its edition, opened; the floor plan and booth rules; the food processor put on file, applying, its
delegates and products; the Japanese importer registering; decisions; booths allocated, offered, claimed,
moved, a livestream slot booked; a badge scanned; a B2B session with requests, a brokered meeting, a
timetable, an agenda, a meeting done and an MoU; a province's webhook; claims confirmed and declined.
Each example is taken from ``GET /v1/openapi.json`` as served, its sample ids replaced by the ones the
earlier steps made, and the values that must be new each run (the series key, the tax code, the foreign
registration number, the registration window, which must include today) replaced likewise.  Its answer
must be a success the document lists (the client checks the body against the document too).  Steps that
no example covers (a commit, a cancellation that frees a booth) are made with plain bodies.
"""

from __future__ import annotations

import copy
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from gateway import examples as ex
from tests.support.api import Client, registration, tax_code
from tests.support.mail import mails_to
from tests.support.receiver import Receiver
from tests.support.waiting import eventually


class Walk:
    """The served examples, submitted one operation after another with the ids found so far."""

    def __init__(self, api: Client) -> None:
        self.api = api
        document = api.request("GET", "/v1/openapi.json").json()
        self.operations: dict[str, tuple[str, str, Any, set[int]]] = {
            op["operationId"]: (
                method.upper(),
                path,
                op["requestBody"]["content"]["application/json"].get("example"),
                {int(code) for code in op["responses"] if code.startswith("2")},
            )
            for path, ops in document["paths"].items()
            for method, op in ops.items()
            if "requestBody" in op
        }
        self.values: dict[str, str] = {}  # sample value -> the real one
        self.submitted: list[str] = []

    def body(self, operation_id: str, **more: str) -> Any:
        values = {**self.values, **more}

        def swap(value: Any) -> Any:
            if isinstance(value, dict):
                return {values.get(k, k): swap(v) for k, v in value.items()}
            if isinstance(value, list):
                return [swap(v) for v in value]
            return values.get(value, value) if isinstance(value, str) else value

        example = self.operations[operation_id][2]
        assert example is not None, f"{operation_id}: the document shows no request example"
        return swap(copy.deepcopy(example))

    def submit(
        self,
        operation_id: str,
        token: str | None,
        path: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        retry: bool = False,
        **more: str,
    ) -> requests.Response:
        """Submit the example (``more``: sample values replaced for this request only); retried while a
        service that learns from events has not caught up, where ``retry``."""
        method, template, _, successes = self.operations[operation_id]
        url = re.sub(r"\{([a-z_]+)\}", lambda m: (path or {})[m.group(1)], template)
        body = self.body(operation_id, **more)

        def call() -> requests.Response:
            return self.api.request(method, url, token, json=body, headers=headers)

        response = eventually(call) if retry else call()
        assert response.status_code in successes, f"{operation_id} {method} {url}: {response.text[:2000]}"
        self.submitted.append(operation_id)
        return response


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    made.close()


def etag(api: Client, path: str, token: str) -> str:
    response = api.request("GET", path, token)
    assert response.status_code == 200, response.text
    return response.headers["ETag"]


def claim_link_token(stack, address: str) -> str:
    [mail] = mails_to(stack.config.mail_dir, address, expect=1, where=lambda m: "token=" in _text(m))
    return re.search(r"token=([^\s&\"'<>]+)", _text(mail)).group(1)


def _text(message) -> str:
    return "".join(
        (part.get_payload(decode=True) or b"").decode("utf-8", "replace")
        for part in message.walk()
        if part.get_content_type() == "text/plain"
    )


@pytest.mark.timeout(300)
def test_every_request_example_succeeds_in_order(api, ops, stack, receiver):
    walk = Walk(api)
    missing = sorted(op for op, (_, _, example, _) in walk.operations.items() if example is None)
    assert missing == [], f"operations with a body and no example: {missing}"
    tag = uuid.uuid4().hex[:8]
    now = datetime.now(UTC)
    walk.values.update(
        {
            ex.SERIES_KEY: f"{ex.SERIES_KEY}-{tag}",
            ex.TAX_CODE: tax_code(),
            ex.BUYER_REGISTRATION_NO: f"{ex.BUYER_REGISTRATION_NO[:8]}{tag[:6]}",
            # registration is open today, whenever the test runs
            ex.EXAMPLES["create_edition"]["registration_opens_at"]: (now - timedelta(days=1)).isoformat(),
            ex.EXAMPLES["create_edition"]["registration_closes_at"]: (now + timedelta(days=30)).isoformat(),
            # development mode sends webhooks to this machine only
            ex.EXAMPLES["register_webhook"]["url"]: f"{receiver.base}/good/thanh-hoa-{tag}",
        }
    )
    found = walk.values

    # -- the series, its organisers, the edition -------------------------------------------------------
    walk.submit("create_series", ops)
    organiser = walk.submit("dev_token", None).json()["token"]
    created = walk.submit("create_edition", organiser)
    eid = found[ex.EDITION_ID] = created.json()["id"]
    edition = f"/v1/editions/{eid}"
    patched = walk.submit(
        "update_edition", organiser, {"edition_id": eid}, headers={"If-Match": created.headers["ETag"]}
    )
    walk.submit("set_edition_status", organiser, {"edition_id": eid}, headers={"If-Match": patched.headers["ETag"]})
    walk.submit("import_floor_plan", organiser, {"edition_id": eid}, retry=True)
    walk.submit("set_booth_rules", organiser, {"edition_id": eid})

    # -- the food processor: on file, its people and products, its application -------------------------
    org = found[ex.ORGANISATION_ID] = walk.submit("create_organisation", None).json()["id"]
    member = api.token("member", organisation=org)
    walk.submit(
        "update_organisation",
        member,
        {"organisation_id": org},
        headers={"If-Match": etag(api, f"/v1/organisations/{org}", member)},
    )
    delegate = found[ex.DELEGATE_ID] = walk.submit("add_delegate", member, {"organisation_id": org}).json()["id"]
    walk.submit("add_product", member, {"organisation_id": org})
    walk.submit("set_notification_preferences", member, {"organisation_id": org, "delegate_id": delegate}, retry=True)
    pid = found[ex.PARTICIPATION_ID] = walk.submit("apply", member, {"edition_id": eid}).json()["id"]

    # -- the importer registers; a cooperative from Nghệ An and two more from Thanh Hóa (plain forms) -----
    registered = walk.submit("register", None, {"edition_id": eid}).json()
    buyer_pid = found[ex.BUYER_PARTICIPATION_ID] = registered["participation"]["id"]
    found[ex.BUYER_ORGANISATION_ID] = registered["organisation_id"]
    buyer = api.token("member", organisation=registered["organisation_id"])

    def plain(province: str) -> tuple[str, str]:
        made = api.request("POST", f"/v1/editions/{eid}/registrations", json=registration(province))
        assert made.status_code == 201, made.text
        return made.json()["participation"]["id"], api.token("member", organisation=made.json()["organisation_id"])

    other_pid, other = plain("nghe-an")
    found[ex.OTHER_PARTICIPATION_ID] = other_pid
    neighbours = [plain("thanh-hoa") for _ in range(2)]

    walk.submit("decide", organiser, {"participation_id": pid})
    walk.submit("decide_many", organiser, {"edition_id": eid})
    for n_pid, _ in neighbours:
        decided = api.request("POST", f"/v1/participations/{n_pid}/decision", organiser, json={"action": "approve"})
        assert decided.status_code == 200, decided.text

    # -- booths: three from Thanh Hóa for the host's two; one freed and offered; a claim; a move; a slot --
    walk.submit("apply_for_booths", member, {"edition_id": eid}, retry=True)
    for n_pid, n_member in neighbours:
        applied = eventually(
            lambda n_pid=n_pid, n_member=n_member: api.request(
                "POST", f"/v1/editions/{eid}/booth-applications", n_member, json={"participation_id": n_pid}
            )
        )
        assert applied.status_code == 200, applied.text
    run = walk.submit("run_allocation", organiser, {"edition_id": eid}).json()
    found[ex.RUN_ID] = run["id"]
    committed = api.request("POST", f"/v1/editions/{eid}/allocations/{run['id']}/commit", organiser)
    assert committed.status_code == 200, committed.text
    held = {p: codes for p, codes in run["assignments"].items()}
    waiting = [(p, m) for p, m in [(pid, member), *neighbours] if p not in held]
    assert len(waiting) == 1, run
    leaving = next(p for p, _ in neighbours if p in held)
    cancelled = api.request("POST", f"/v1/participations/{leaving}/decision", organiser, json={"action": "cancel"})
    assert cancelled.status_code == 200, cancelled.text
    waiting_pid, waiting_member = waiting[0]
    offers = eventually(
        lambda: api.request("GET", f"{edition}/booth-offers", waiting_member, params={"participation_id": waiting_pid}),
        ok=lambda r: r.ok and r.json()["items"],
    ).json()["items"]
    found[ex.OFFER_ID] = offers[0]["id"]
    walk.submit("reply_to_offer", waiting_member, {"offer_id": offers[0]["id"]})

    def booths() -> dict[str, dict]:
        plan = api.request("GET", f"{edition}/floor-plan").json()["booths"]
        return {b["code"]: b for b in plan}

    free = [c for c, b in booths().items() if b["status"] == "free" and b["kind"] != "livestream"]
    assert len(free) == 2, booths()
    walk.submit("claim_booth", other, {"edition_id": eid, "booth_code": free[0]}, retry=True)
    mine = next(c for c, b in booths().items() if (b.get("holder") or {}).get("participation_id") == pid)
    found[ex.BOOTH_CODE], found[ex.OTHER_BOOTH_CODE] = mine, free[1]
    walk.submit("override_booth", organiser, {"edition_id": eid, "booth_code": mine})
    walk.submit("book_slot", member, {"edition_id": eid, "booth_code": ex.LIVESTREAM_BOOTH_CODE}, retry=True)

    # -- the processor's new delegate is scanned at the gate ---------------------------------------------
    badge = api.request("GET", f"/v1/participations/{pid}/badges/{delegate}", organiser)
    assert badge.status_code == 200, badge.text
    found[ex.BADGE_TOKEN] = badge.json()["token"]
    walk.submit("check_in", organiser)

    # -- B2B: profiles, a session, requests, a brokered meeting, a timetable, the day, an MoU ------------
    walk.submit("set_b2b_profile", member, {"edition_id": eid, "participation_id": pid}, retry=True)
    sid = found[ex.SESSION_ID] = walk.submit("create_b2b_session", organiser, {"edition_id": eid}).json()["id"]
    walk.submit("set_time_away", member, {"edition_id": eid, "participation_id": pid})
    walk.submit("set_availability", buyer, {"session_id": sid, "participation_id": buyer_pid}, retry=True)
    walk.submit("set_supplier_tables", organiser, {"session_id": sid})
    meeting = found[ex.MEETING_ID] = walk.submit("request_meeting", buyer, {"session_id": sid}).json()["id"]
    walk.submit("accept_meeting", member, {"meeting_id": meeting})
    neighbour_pid, neighbour = next((p, m) for p, m in neighbours if p != leaving)
    asked = api.request(
        "POST", f"/v1/b2b-sessions/{sid}/requests", buyer, json={"from": buyer_pid, "to": neighbour_pid}
    )
    assert asked.status_code == 201, asked.text
    walk.submit("decline_meeting", neighbour, {"meeting_id": asked.json()["id"]})
    brokered = walk.submit("broker_meeting", organiser, {"session_id": sid}).json()["id"]
    walk.submit("cancel_meeting", organiser, {"meeting_id": brokered})
    walk.submit("schedule_session", organiser, {"session_id": sid})
    walk.submit("lock_meeting", organiser, {"meeting_id": meeting})
    walk.submit("publish_agenda", organiser, {"session_id": sid})
    walk.submit("meeting_status", buyer, {"meeting_id": meeting})
    walk.submit("register_mou", organiser, {"edition_id": eid})

    # -- the host province's system subscribes ------------------------------------------------------------
    walk.submit("register_webhook", api.token("province", province="thanh-hoa"))

    # -- forms in the name of organisations on file: one confirmed by its contact, one declined -----------
    for operation_id in ("confirm_registration_claim", "decline_registration_claim"):
        contact = f"lien-he.{operation_id[:7]}.{tag}@example.vn"
        on_file = registration("nghe-an")["organisation"]
        on_file["delegates"][0].update(email=contact, preferred_language="en")
        put = api.request("POST", "/v1/organisations", json=on_file)
        assert put.status_code == 201, put.text
        form = registration("nghe-an")
        form["organisation"]["tax_code"] = on_file["tax_code"]
        claimed = api.request("POST", f"/v1/editions/{eid}/registrations", json=form)
        assert claimed.status_code == 202, claimed.text
        claim = claimed.json()["claim_id"]
        walk.submit(operation_id, None, {"claim_id": claim}, **{ex.CLAIM_LINK_TOKEN: claim_link_token(stack, contact)})

    assert sorted(walk.submitted) == sorted(walk.operations), (
        f"not submitted: {sorted(set(walk.operations) - set(walk.submitted))}"
    )


def test_the_walk_replaces_sample_values_in_keys_and_values_and_leaves_others(api):
    walk = Walk(api)
    walk.values[ex.PARTICIPATION_ID] = "par_real"
    assert walk.body("set_supplier_tables") == {"tables": {"par_real": "T01"}}
    assert walk.body("request_meeting", **{ex.BUYER_PARTICIPATION_ID: "par_buyer"})["from"] == "par_buyer"
    assert walk.body("publish_agenda") == ex.EXAMPLES["publish_agenda"]
