"""One request id greps across every service's log: the path of one request, as ops would follow it.

An organiser approves a registration with a chosen ``X-Request-ID``.  The
approval crosses every service: the gateway calls registration by RPC,
registration publishes ``participation.approved``, booths and meetings take
the exhibitor in, notifications e-mails each delegate.  Once the e-mail has
arrived, ``grep <id>`` over the stack's logs must find the request in every
one of them, each line a JSON object with the fields every line has.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shared.logs import REQUIRED_KEYS
from tests.support.api import registration
from tests.support.mail import mails_to, subject
from tests.support.waiting import wait_for

SERVICES = ("gateway", "registration", "booths", "meetings", "notifications")
RFC3339_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
APPROVED = "vn.ketnoi.registration.participation.approved.v1"


def lines_with(logs: Path, service: str, request_id: str) -> list[dict[str, Any]]:
    """``grep <id> <service>.log``, each line read as the JSON object it must be."""
    text = (logs / f"{service}.log").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if request_id in line]


def logged(logs: Path, service: str, request_id: str, what: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """The lines of ``service`` about ``request_id`` that ``what`` picks, once there is one (a service logs
    what it handled after its answer or ack has left, so the log may trail the effect a little)."""
    return wait_for(lambda: [line for line in lines_with(logs, service, request_id) if what(line)])


def test_one_request_id_greps_across_every_service(api, organiser, new_edition, stack):
    eid = new_edition()["id"]
    tag = uuid.uuid4().hex[:10]
    email = f"trace.{tag}@example.vn"
    body = registration("thanh-hoa", name=f"Hợp tác xã Truy vết {tag}")
    body["organisation"]["delegates"][0]["email"] = email
    created = api.request("POST", f"/v1/editions/{eid}/registrations", json=body)
    assert created.status_code == 201, created.text
    pid = created.json()["participation"]["id"]
    assert len(mails_to(stack.config.mail_dir, email, expect=1)) == 1  # the receipt, before the request we follow

    request_id = f"trace-{tag}"
    decided = api.request(
        "POST",
        f"/v1/participations/{pid}/decision",
        organiser,
        json={"action": "approve"},
        headers={"X-Request-ID": request_id},
    )
    assert decided.status_code == 200, decided.text
    assert decided.headers["X-Request-ID"] == request_id
    approved = mails_to(stack.config.mail_dir, email, expect=2, where=lambda m: "duyệt" in subject(m))
    assert len(approved) == 1

    logs = stack.config.logs
    [access] = logged(logs, "gateway", request_id, lambda line: line["logger"] == "gateway.access")
    assert (access["request_id"], access["method"], access["route"], access["status"]) == (
        request_id,
        "POST",
        "/v1/participations/<participation_id>/decision",
        "200",
    )
    assert access["handler"].startswith("gateway.") and access["duration_ms"] >= 0

    [rpc] = logged(logs, "registration", request_id, lambda line: line["message"].startswith("handled rpc"))
    assert (rpc["request_id"], rpc["status"], rpc["correlation_id"]) == (request_id, "ok", None)
    assert rpc["handler"].startswith("registration.") and rpc["duration_ms"] >= 0

    # each service handles the event, in no particular order (notifications twice: its facts, then the e-mail)
    for handler in (
        "booths.on_approved",
        "meetings.on_approved",
        "notifications.on_participation",
        "notifications.notify",
    ):
        [handled] = logged(
            logs,
            handler.split(".")[0],
            request_id,
            lambda line, handler=handler: line["message"].startswith("handled event") and line["handler"] == handler,
        )
        assert (handled["request_id"], handled["correlation_id"], handled["status"], handled["event_type"]) == (
            request_id,
            request_id,
            "ok",
            APPROVED,
        ), handled

    [sent] = logged(logs, "notifications", request_id, lambda line: line["logger"] == "notifications.delivery")
    assert (sent["status"], sent["channel"], sent["template"]) == ("sent", "email", "participation.approved")


def test_every_line_of_every_log_is_json_with_the_common_fields(api, stack):
    """Checked after the other end-to-end tests of the session ran (and left what they logged)."""
    assert api.request("GET", "/healthz").status_code == 200
    logs = sorted(stack.config.logs.glob("*.log"))
    assert {p.stem for p in logs} >= {*SERVICES, "store", "smtp"}
    counted = 0
    for path in logs:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            try:
                record = json.loads(line)
            except ValueError:
                raise AssertionError(f"{path.name}:{number} is not JSON: {line[:300]}") from None
            missing = [key for key in REQUIRED_KEYS if key not in record]
            assert not missing, f"{path.name}:{number} lacks {missing}: {line[:300]}"
            assert RFC3339_UTC.fullmatch(record["time"]), record["time"]
            assert record["service"] == path.stem, f"{path.name}:{number}"
            counted += 1
    assert counted > 0
    # every readiness probe pinged the store, and probes hit /healthz: DEBUG now, below the logs' level
    assert "'ping'" not in (stack.config.logs / "store.log").read_text(encoding="utf-8")
    assert '"/healthz"' not in (stack.config.logs / "gateway.log").read_text(encoding="utf-8")


def test_a_request_without_an_id_gets_one_that_its_lines_carry(api, stack):
    answered = api.request("GET", "/v1/editions/ed_nope")
    assert answered.status_code == 404
    request_id = answered.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    [access] = logged(stack.config.logs, "gateway", request_id, lambda line: line["logger"] == "gateway.access")
    assert (access["status"], access["handler"]) == ("404", "gateway.get_edition")
    [rpc] = logged(stack.config.logs, "registration", request_id, lambda line: line["message"].startswith("handled"))
    assert (rpc["handler"], rpc["status"], rpc["error"]) == (
        "registration.get_edition",
        "rejected",
        "edition_not_found",
    )
