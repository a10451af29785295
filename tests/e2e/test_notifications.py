"""Notifications end to end: a registration approved through the gateway reaches each delegate's mailbox
(the stack's real SMTP sink) once, in the delegate's language; SMS goes to the local outbox once opted in;
organisers see the delivery log, members their own messages; the unsubscribe link works."""

from __future__ import annotations

import json
import time
import uuid

from notifications.domain.policy import unsubscribe_token
from notifications.settings import DEV_UNSUBSCRIBE_SECRET
from tests.support.api import registration
from tests.support.events import Tap
from tests.support.mail import mails_to, subject
from tests.support.waiting import wait_for


def test_approval_reaches_each_delegate_once_in_their_language(api, organiser, new_edition, stack, service_env):
    eid = new_edition()["id"]
    tag = str(time.monotonic_ns())
    vi_email, en_email = f"thu.{tag}@example.vn", f"export.{tag}@example.vn"
    body = registration("thanh-hoa", name=f"Hợp tác xã Cói {tag}")
    body["organisation"]["delegates"] = [
        {"name": "Mai Thị Thu", "email": vi_email, "phone": "0912 345 678", "preferred_language": "vi"},
        {"name": "Mai Văn Tấn", "email": en_email, "phone": "0988 123 456", "preferred_language": "en"},
    ]
    created = api.request("POST", f"/v1/editions/{eid}/registrations", json=body)
    assert created.status_code == 201, created.text
    pid, org = created.json()["participation"]["id"], created.json()["organisation_id"]
    decided = api.request("POST", f"/v1/participations/{pid}/decision", organiser, json={"action": "approve"})
    assert decided.status_code == 200, decided.text

    vi_mail = mails_to(stack.config.mail_dir, vi_email, expect=2)
    en_mail = mails_to(stack.config.mail_dir, en_email, expect=2)
    assert sorted(subject(m) for m in vi_mail) == [
        "Đã nhận đăng ký tham gia Hội nghị kết nối cung cầu",
        "Đăng ký tham gia Hội nghị kết nối cung cầu đã được duyệt",
    ]
    assert sorted(subject(m) for m in en_mail) == [
        "Registration received: Supply–demand connection conference",
        "Your registration for Supply–demand connection conference is approved",
    ]
    approved = next(m for m in en_mail if "approved" in subject(m))
    assert approved.is_multipart() and {p.get_content_type() for p in approved.walk()} >= {"text/plain", "text/html"}
    assert f"Hợp tác xã Cói {tag}" in approved.get_payload()[0].get_payload(decode=True).decode("utf-8")

    member = api.token("member", organisation=org)
    mine = api.request("GET", f"/v1/organisations/{org}/notifications", member).json()["items"]
    assert {(m["template"], m["language"], m["status"]) for m in mine} == {
        ("participation.submitted", "vi", "sent"),
        ("participation.submitted", "en", "sent"),
        ("participation.approved", "vi", "sent"),
        ("participation.approved", "en", "sent"),
    }
    assert all("…" in m["to"] for m in mine)  # masked outside the organisers' log
    log = api.request(
        "GET", f"/v1/editions/{eid}/notifications", organiser, params={"organisation_id": org, "status": "sent"}
    ).json()["items"]
    assert {m["to"] for m in log} == {vi_email, en_email}
    assert api.request("GET", f"/v1/editions/{eid}/notifications", member).status_code == 403
    assert (
        api.request("GET", f"/v1/editions/{eid}/notifications", organiser, params={"status": "lost"}).status_code == 422
    )

    # the Vietnamese delegate opts into SMS; the cancellation then goes by e-mail and SMS (to the local outbox)
    delegate = next(m["delegate_id"] for m in mine if m["language"] == "vi")
    empty = api.request(
        "PUT", f"/v1/organisations/{org}/delegates/{delegate}/notification-preferences", member, json={}
    )
    assert empty.status_code == 422 and empty.json()["errors"][0]["code"] == "nothing_to_change", empty.text
    prefs = api.request(
        "PUT", f"/v1/organisations/{org}/delegates/{delegate}/notification-preferences", member, json={"sms": True}
    )
    assert prefs.status_code == 200 and prefs.json()["sms"] is True, prefs.text
    cancelled = api.request(
        "POST", f"/v1/participations/{pid}/decision", organiser, json={"action": "cancel", "reason": "Đơn vị rút lui"}
    )
    assert cancelled.status_code == 200, cancelled.text
    assert len(mails_to(stack.config.mail_dir, vi_email, expect=3)) == 3
    outbox = stack.config.outbox_dir / "sms.jsonl"
    wait_for(lambda: outbox.exists() and "+84912345678" in outbox.read_text("utf-8"), timeout=20)
    sms = [json.loads(line) for line in outbox.read_text("utf-8").splitlines() if "+84912345678" in line]
    assert len(sms) == 1 and "đã được hủy" in sms[0]["text"]

    token = unsubscribe_token(DEV_UNSUBSCRIBE_SECRET.encode(), delegate)
    tap = Tap(
        f"e2e.prefs.{uuid.uuid4().hex[:6]}", ("vn.ketnoi.notifications.preferences.#",), amqp_uri=stack.config.amqp_uri
    )
    try:
        assert api.request("GET", "/v1/notifications/unsubscribe", params={"token": token}).status_code == 200
        assert api.request("GET", "/v1/notifications/unsubscribe", params={"token": token + "x"}).status_code == 422
        after = api.request("GET", f"/v1/organisations/{org}/delegates/{delegate}/notification-preferences", member)
        assert after.json()["unsubscribed_non_essential"] is True
        announced = [json.loads(m.body) for m in tap.drain(expect=1)]
    finally:
        tap.delete()
    assert {(e["data"]["delegate_id"], e["data"]["via"]) for e in announced} == {(delegate, "unsubscribe_link")}
    assert vi_email not in json.dumps(announced) and "+8491" not in json.dumps(announced)
