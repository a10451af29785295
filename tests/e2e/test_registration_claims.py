"""A form in an organisation's name, end to end: its contacts on file get the link, and only the link registers.

Found from outside (issue 13): anyone could type a known tax code into the public form; the organisation
was registered at once and its real delegates were e-mailed about a registration they never made.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from email.message import Message
from urllib.parse import urlsplit

from notifications.events import CLAIM_REQUESTED, PARTICIPATION
from tests.support.api import registration
from tests.support.counters import CONSUMED, PUBLISHED, Counted, metrics_page
from tests.support.events import Tap
from tests.support.mail import mails_to, subject
from tests.support.waiting import wait_for


def plain_text(message: Message) -> str:
    [part] = [p for p in message.walk() if p.get_content_type() == "text/plain"]
    return part.get_payload(decode=True).decode("utf-8")


def test_only_the_contacts_on_file_are_asked_and_only_their_link_registers(api, organiser, new_edition, stack):
    first, second = new_edition()["id"], new_edition()["id"]
    tag = uuid.uuid4().hex[:8]
    owner, stranger = f"chu.{tag}@example.vn", f"la.{tag}@example.vn"
    own = registration("thanh-hoa", name=f"Công ty Cói Nga Sơn {tag}")
    own["organisation"]["delegates"] = [
        {"name": "Lê Thị Chủ", "email": owner, "phone": "0912 345 678", "preferred_language": "en"}
    ]
    created = api.request("POST", f"/v1/editions/{first}/registrations", json=own)
    assert created.status_code == 201, created.text
    org_id = created.json()["organisation_id"]
    assert mails_to(stack.config.mail_dir, owner, expect=1)  # its contacts are on file with notifications
    path = f"/v1/organisations/{org_id}"
    before = api.request("GET", path, organiser).json()
    mailing = (CLAIM_REQUESTED, *PARTICIPATION)  # what registration publishes that has someone e-mailed
    relayed = Counted(PUBLISHED, metrics_page(stack, "registration"), type=mailing)
    told = Counted(
        CONSUMED, metrics_page(stack, "notifications"), handler="notifications.notify", type=mailing, outcome="ok"
    )

    form = copy.deepcopy(own)  # someone else, with the organisation's public tax code
    form["organisation"]["delegates"] = [
        {"name": "Kẻ Lạ Mặt", "email": stranger, "phone": "0988 000 111", "preferred_language": "vi"}
    ]
    public = Tap(f"e2e.claims.{uuid.uuid4().hex[:6]}", ("#",), public=True, amqp_uri=stack.config.amqp_uri)
    try:
        answer = api.request(
            "POST", f"/v1/editions/{second}/registrations", json=form, headers={"Accept-Language": "en"}
        )
        assert answer.status_code == 202, answer.text
        claim = answer.json()
        assert (claim["status"], claim["organisation_id"]) == ("awaiting_confirmation", org_id)
        assert "confirm" in claim["message"] and "Nothing has been registered" in claim["message"]
        assert answer.headers["Location"] == f"/v1/registration-claims/{claim['claim_id']}"
        vi = api.request("POST", f"/v1/editions/{second}/registrations", json=form)  # the same form: same claim
        assert vi.status_code == 202 and vi.json()["claim_id"] == claim["claim_id"]
        assert "xác nhận" in vi.json()["message"]

        [mail] = mails_to(stack.config.mail_dir, owner, expect=2, where=lambda m: "confirm" in subject(m))
        # notifications has handled all of it (sending as it handles): whatever else was on its way has arrived
        wait_for(lambda: told.since() >= relayed.since() >= 1)
        assert mails_to(stack.config.mail_dir, stranger, expect=1, timeout=0) == []
        assert len(mails_to(stack.config.mail_dir, owner, expect=3, timeout=0)) == 2  # asked once, not twice
        published = [json.loads(m.body) for m in public.drain(timeout=1.0)]
    finally:
        public.delete()
    assert not [e for e in published if e["data"].get("organisation_id") == org_id or ".claim." in e["type"]]
    assert api.request("GET", path, organiser).json() == before  # no delegate, no product added
    listed = api.request("GET", f"/v1/editions/{second}/participations", organiser).json()["items"]
    assert listed == []

    assert (
        subject(mail) == f"Please confirm: a registration form for Công ty Cói Nga Sơn {tag} for "
        "Supply–demand connection conference"
    )
    text = plain_text(mail)
    assert "Nothing has been registered" in text and "only if you confirm" in text
    assert "received" not in text.lower() and "is approved" not in text
    assert f"Kẻ Lạ Mặt <{stranger}>" in text
    [link] = re.findall(r"https?://\S+/v1/registration-claims/\S+", text)
    assert link.startswith(stack.config.gateway_url) and "token=" in link

    opened = api.request("GET", link.removeprefix(stack.config.gateway_url))  # following the link, signed out
    assert opened.status_code == 200, opened.text
    shown = opened.json()
    assert (shown["status"], shown["organisation_id"], shown["edition_id"]) == ("pending", org_id, second)
    assert [d["email"] for d in shown["delegates"]] == [stranger]
    unsigned = urlsplit(link).path
    assert api.request("POST", f"{unsigned}/confirm").status_code == 401
    assert (
        api.request("POST", f"{unsigned}/confirm", json={"token": "1.AAAAAAAAAAAAAAAAAAAAAA"}).json()["code"]
        == "claim_link_invalid"
    )

    confirmed = api.request("POST", shown["links"]["confirm"])
    assert confirmed.status_code == 200, confirmed.text
    participation = confirmed.json()["participation"]
    assert (participation["edition_id"], participation["organisation_id"]) == (second, org_id)
    listed = api.request("GET", f"/v1/editions/{second}/participations", organiser).json()["items"]
    assert [p["id"] for p in listed] == [participation["id"]]
    after = api.request("GET", path, organiser).json()
    assert [d["email"] for d in after["delegates"]] == [owner, stranger]  # the owner kept, the stranger added
    assert next(d for d in after["delegates"] if d["email"] == owner) == next(
        d for d in before["delegates"] if d["email"] == owner
    )
    again = api.request("POST", shown["links"]["confirm"])
    assert again.status_code == 409 and again.json()["code"] == "claim_decided"
    assert api.request("POST", shown["links"]["decline"]).status_code == 409
