"""Who hears about a meeting event: the invited side, the requester, both; in an auto-accept session both."""

from __future__ import annotations

from notifications.audience import notices_for

EDITION = {"title": {"vi": "Hội nghị Quảng Trị", "en": "Quang Tri conference"}}
SUPPLIER = {
    "participation_id": "par_s",
    "organisation_id": "org_s",
    "name": {"vi": "HTX Nấm"},
    "country": "VN",
    "province": "quang-tri",
}
BUYER = {
    "participation_id": "par_b",
    "organisation_id": "org_b",
    "name": {"vi": "Kansai Food"},
    "country": "JP",
    "province": None,
}


def event(kind: str, **data) -> dict:
    base = {
        "meeting_id": "mtg_1",
        "session_id": "ses_1",
        "edition_id": "ed_1",
        "session_name": {"vi": "B2B"},
        "timezone": "Asia/Ho_Chi_Minh",
        "supplier": SUPPLIER,
        "buyer": BUYER,
        "requested_by": "buyer",
        "brokered": False,
        "status": "accepted",
        "language": None,
        "sequence": 0,
        "expires_at": None,
        "slot": None,
        "table": None,
        "starts_at": None,
        "ends_at": None,
    }
    return {"type": f"vn.ketnoi.meetings.meeting.{kind}.v1", "data": {**base, **data}}


def who(notices) -> list[tuple[str, str]]:
    return [(n.template, n.organisation_id) for n in notices]


def lookup(_: str) -> dict:
    return EDITION


def test_a_request_goes_to_the_invited_side_and_its_answer_to_the_requester():
    asked = event("requested", status="requested", expires_at="2025-07-08T00:00:00.000000Z")
    assert who(notices_for(asked, lookup, lookup)) == [("meeting.requested", "org_s")]
    assert who(notices_for(event("accepted"), lookup, lookup)) == [("meeting.accepted", "org_b")]
    assert who(notices_for(event("declined", status="declined", reason="declined"), lookup, lookup)) == [
        ("meeting.declined", "org_b")
    ]


def test_an_auto_accepted_request_tells_both_sides_each_what_happened_to_them():
    notices = notices_for(event("accepted", auto_accepted=True), lookup, lookup)
    assert who(notices) == [("meeting.accepted", "org_b"), ("meeting.auto_accepted", "org_s")]
    assert notices[1].context["counterpart_name"] == {"vi": "Kansai Food"}


def test_a_brokered_meeting_tells_both_and_a_placed_one_carries_its_invitation():
    assert who(notices_for(event("accepted", requested_by="organiser", brokered=True), lookup, lookup)) == [
        ("meeting.accepted", "org_s"),
        ("meeting.accepted", "org_b"),
    ]
    placed = event(
        "scheduled", slot="S03", table="T02", starts_at="2025-07-10T14:10:00+07:00", ends_at="2025-07-10T14:30:00+07:00"
    )
    notices = notices_for(placed, lookup, lookup)
    assert [n.invitation["table"] for n in notices] == ["T02", "T02"]


def test_a_claim_goes_to_the_organisation_on_file_by_e_mail_with_its_link():
    claimed = {
        "type": "vn.ketnoi.registration.claim.requested.v1",
        "data": {
            "claim_id": "clm_1",
            "edition_id": "ed_1",
            "organisation_id": "org_s",
            "organisation_name": None,
            "role": "exhibitor",
            "proposed_delegates": [{"name": "Kẻ Lạ", "email": "la@example.vn"}],
            "confirm_token": "1796370012._GlA53vUhDmfX1n2g6kJsA",
            "expires_at": "2026-12-01T00:00:00.000000Z",
            "version": 1,
        },
    }
    [notice] = notices_for(claimed, lookup, lookup, "https://ketnoi.vn")
    assert (notice.template, notice.organisation_id, notice.channels) == (
        "registration.claim_requested",
        "org_s",
        ("email",),
    )
    assert notice.delegate_id is None  # every contact on file; the form's addresses are facts, not recipients
    assert notice.context["confirm_url"] == (
        "https://ketnoi.vn/v1/registration-claims/clm_1?token=1796370012._GlA53vUhDmfX1n2g6kJsA"
    )
    assert notice.context["organisation_name"] == {"vi": "Quý đơn vị", "en": "your organisation"}
