"""The organiser's and the exhibitor's journey through the gateway, end to end."""

from __future__ import annotations

import copy
import csv
import io
import json
from datetime import date

import eventlet

from tests.support.api import registration


def register(api, edition_id: str, body: dict, token: str | None = None):
    response = api.request("POST", f"/v1/editions/{edition_id}/registrations", token, json=body)
    assert response.status_code == 201, response.text
    return response.json()["participation"]


def decide(api, organiser: str, participation_id: str, action: str, reason: str | None = None):
    return api.request(
        "POST", f"/v1/participations/{participation_id}/decision", organiser, json={"action": action, "reason": reason}
    )


def test_review_capacity_waitlist_promotion_checkin_export_and_stats(api, organiser, new_edition):
    edition = new_edition(capacity={"exhibitor": 2})
    eid = edition["id"]
    assert edition["status"] == "open"
    assert edition["programme"][0]["starts_at"] == "2024-08-16T08:00:00+07:00"

    a = register(api, eid, registration("thanh-hoa", name="Công ty CP Nem chua Lam Sơn"))
    b = register(api, eid, registration("ha-noi", name="Công ty TNHH Chè Ba Vì"))
    c = register(api, eid, registration("nghe-an", name="Hợp tác xã Cam Vinh", kind="cooperative"))
    d = register(api, eid, registration("dak-nong", name="HTX Cà phê Đắk Nông", kind="cooperative"))
    assert {p["status"] for p in (a, b, c, d)} == {"submitted"}

    assert decide(api, organiser, a["id"], "approve").json()["status"] == "approved"
    assert decide(api, organiser, b["id"], "approve").json()["status"] == "approved"
    assert decide(api, organiser, c["id"], "approve").json()["status"] == "waitlisted"  # both places taken
    no_reason = decide(api, organiser, d["id"], "reject")
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "reason"
    rejected = decide(api, organiser, d["id"], "reject", "Sản phẩm chưa có nhãn hàng hóa")
    assert rejected.json()["status"] == "rejected" and rejected.json()["reason"] == "Sản phẩm chưa có nhãn hàng hóa"
    again = decide(api, organiser, a["id"], "approve")
    assert again.status_code == 409 and again.json()["code"] == "illegal_transition"

    assert decide(api, organiser, a["id"], "cancel").json()["status"] == "cancelled"
    promoted = api.request("GET", f"/v1/participations/{c['id']}", organiser).json()
    assert promoted["status"] == "approved"  # the first on the waitlist took the freed place

    stats = api.request("GET", f"/v1/editions/{eid}/stats", organiser).json()
    assert stats["status"] == {"approved": 2, "cancelled": 1, "rejected": 1}
    assert stats["province_2025"]["lam-dong"] == 1  # Đắk Nông rolls up into Lâm Đồng
    assert stats["places"]["exhibitor"] == {"limit": 2, "taken": 2}
    lam_dong = api.request("GET", f"/v1/editions/{eid}/stats", api.token("province", province="lam-dong")).json()
    assert lam_dong["for_province"] == "lam-dong" and set(lam_dong["province_2025"]) == {"lam-dong"}  # its own only
    assert sum(lam_dong["status"].values()) == 1

    rolled = api.request("GET", f"/v1/editions/{eid}/participations?province=lam-dong", organiser).json()
    assert [p["id"] for p in rolled["items"]] == [d["id"]]

    exported = api.request("GET", f"/v1/editions/{eid}/participations.csv", organiser)
    assert exported.headers["Content-Type"].startswith("text/csv")
    assert exported.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert {r["organisation"] for r in rows} >= {"Hợp tác xã Cam Vinh", "HTX Cà phê Đắk Nông"}
    assert {r["status"] for r in rows} == {"approved", "cancelled", "rejected"}

    directory = api.request("GET", f"/v1/editions/{eid}/directory")
    assert directory.status_code == 200
    assert {e["participation_id"] for e in directory.json()["items"]} == {b["id"], c["id"]}
    assert "@example.vn" not in directory.text and "Nguyễn Văn" not in directory.text

    org = api.request("GET", f"/v1/organisations/{b['organisation_id']}", organiser).json()
    delegate_id = org["delegates"][0]["id"]
    badge = api.request("GET", f"/v1/participations/{b['id']}/badges/{delegate_id}", organiser).json()
    assert "@" not in badge["token"] and "Nguy" not in badge["token"]
    first = api.request("POST", "/v1/checkins", organiser, json={"token": badge["token"], "gate": "gate-a"})
    second = api.request("POST", "/v1/checkins", organiser, json={"token": badge["token"], "gate": "gate-b"})
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["first_scan"] is False and second.json()["gate"] == "gate-a"
    assert second.json()["at"] == first.json()["at"]
    forged = api.request("POST", "/v1/checkins", organiser, json={"token": badge["token"][:-2] + "xx", "gate": "g"})
    assert forged.status_code == 422 and forged.json()["errors"][0]["code"] == "qr_signature"
    assert api.request("GET", f"/v1/editions/{eid}/stats", organiser).json()["checked_in"] == 1


def test_same_organisation_registering_twice_at_once_gets_one_registration(api, new_edition):
    """The same form ten times at once (double clicks, retries) is one registration, named by every answer;
    another form for the same organisation is a 409 naming it."""
    eid = new_edition()["id"]
    body = registration("thanh-hoa")
    pool = eventlet.GreenPool()
    responses = list(
        pool.imap(lambda _: api.request("POST", f"/v1/editions/{eid}/registrations", json=body), range(10))
    )
    assert [r.status_code for r in responses] == [201] * 10
    winner = {r.json()["participation"]["id"] for r in responses}
    assert len(winner) == 1
    other = api.request(
        "POST", f"/v1/editions/{eid}/registrations", json={**body, "wants": {**body["wants"], "booths": 2}}
    )
    assert other.status_code == 409 and other.json()["code"] == "already_registered"
    assert other.json()["existing_id"] in winner
    org_id = responses[0].json()["organisation_id"]
    assert len(api.request("GET", f"/v1/organisations/{org_id}").json()["products"]) == len(body["products"])


def test_retried_post_with_idempotency_key_creates_nothing_twice(api, organiser, new_edition):
    eid = new_edition()["id"]
    body = registration("ha-noi")
    headers = {"Idempotency-Key": "retry-after-timeout-1"}
    first = api.request("POST", f"/v1/editions/{eid}/registrations", json=body, headers=headers)
    second = api.request("POST", f"/v1/editions/{eid}/registrations", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers.get("Idempotent-Replayed") == "true"
    other = api.request("POST", f"/v1/editions/{eid}/registrations", json=registration("ha-noi"), headers=headers)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    listed = api.request("GET", f"/v1/editions/{eid}/participations", organiser).json()
    assert len(listed["items"]) == 1


def test_two_organisers_editing_one_edition_get_412_not_a_lost_update(api, organiser, new_edition):
    edition = new_edition()
    path = f"/v1/editions/{edition['id']}"
    current = api.request("GET", path, organiser)
    etag = current.headers["ETag"]
    assert api.request("PATCH", path, organiser, json={"plan_reference": "1/KH"}).status_code == 428
    pool = eventlet.GreenPool()
    results = list(
        pool.imap(
            lambda ref: api.request("PATCH", path, organiser, json={"plan_reference": ref}, headers={"If-Match": etag}),
            ["A/KH", "B/KH"],
        )
    )
    assert sorted(r.status_code for r in results) == [200, 412]
    winner = next(r for r in results if r.status_code == 200)
    assert winner.headers["ETag"] != etag
    assert api.request("GET", path, organiser).json()["plan_reference"] == winner.json()["plan_reference"]
    bad_dates = api.request(
        "PATCH", path, organiser, json={"ends_on": "2024-08-01"}, headers={"If-Match": winner.headers["ETag"]}
    )
    assert bad_dates.status_code == 422  # merged with the stored start date, the edition would end first


def test_post_merger_edition_rejects_quang_binh_with_the_reason(api, new_edition):
    edition = new_edition(starts_on=date(2025, 7, 10), host="quang-tri", partners=("hue", "ha-tinh"))
    body = registration("quang-binh")
    for language, word in (("vi", "Quảng Trị"), ("en", "Quảng Trị")):
        response = api.request(
            "POST", f"/v1/editions/{edition['id']}/registrations", json=body, headers={"Accept-Language": language}
        )
        assert response.status_code == 422
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.headers["Content-Language"] == language
        error = response.json()["errors"][0]
        assert error["field"] == "organisation.province" and error["code"] == "province_merged"
        assert word in error["message"]
    assert register(api, edition["id"], registration("quang-tri"))["org"]["province_2025"] == "quang-tri"


def test_an_organisation_on_file_from_before_the_merger_cannot_enter_a_later_edition_unchanged(api, new_edition):
    earlier = new_edition(starts_on=date(2024, 8, 16))
    body = registration("quang-binh")
    register(api, earlier["id"], body)  # 2024: Quảng Bình was a province
    later = new_edition(starts_on=date(2025, 7, 10), host="quang-tri", partners=("hue",))
    again = copy.deepcopy(body)
    again["organisation"]["province"] = "quang-tri"  # the form says Quảng Trị, the record on file Quảng Bình
    response = api.request("POST", f"/v1/editions/{later['id']}/registrations", json=again)
    assert response.status_code == 422, response.text
    error = response.json()["errors"][0]
    assert (error["field"], error["code"]) == ("organisation.province", "province_merged")


def test_search_ignores_diacritics(api, organiser, new_edition):
    eid = new_edition(starts_on=date(2025, 9, 1), host="dak-lak", partners=("gia-lai",))["id"]
    register(api, eid, registration("dak-lak", name="Hợp tác xã Cà phê Đắk Lắk", kind="cooperative"))
    register(api, eid, registration("gia-lai", name="Công ty Hồ tiêu Gia Lai"))
    for query in ("dak lak", "ĐẮK LẮK", "ca phe"):
        found = api.request("GET", f"/v1/editions/{eid}/participations", organiser, params={"q": query}).json()
        assert [p["org"]["legal_name"]["vi"] for p in found["items"]] == ["Hợp tác xã Cà phê Đắk Lắk"], query


def test_contacts_only_for_the_organisation_and_its_organisers(api, organiser, new_edition):
    eid = new_edition()["id"]
    p = register(api, eid, registration("thanh-hoa"))
    path = f"/v1/organisations/{p['organisation_id']}"
    public = api.request("GET", path).json()
    assert public["province"] == "thanh-hoa" and public["legal_name"]["vi"]
    member = api.token("member", organisation=p["organisation_id"])
    other_member = api.token("member", organisation="org_someone_else")
    province_reader = api.token("province", province="thanh-hoa")
    for outsider in (
        public,
        api.request("GET", path, other_member).json(),
        api.request("GET", path, province_reader).json(),
    ):
        assert "delegates" not in outsider and "tax_code" not in outsider, outsider  # no people, no numbers
        assert "Nguyễn" not in json.dumps(outsider, ensure_ascii=False)
    assert api.request("GET", path, member).json()["delegates"][0]["phone"] == "+84912345678"
    assert api.request("GET", path, organiser).json()["delegates"][0]["email"].endswith("@example.vn")
    assert api.request("GET", f"/v1/participations/{p['id']}", other_member).status_code == 404

    province = api.token("province", province="thanh-hoa")
    mine = api.request("GET", f"/v1/editions/{eid}/participations", province)
    assert mine.status_code == 200 and [x["id"] for x in mine.json()["items"]] == [p["id"]]
    assert api.request("GET", f"/v1/editions/{eid}/participations?province=ha-noi", province).status_code == 403
    assert (
        api.request("POST", f"/v1/participations/{p['id']}/decision", province, json={"action": "approve"}).status_code
        == 403
    )


def test_member_keeps_its_profile_and_applies_again_organiser_decides_in_bulk(api, organiser, new_edition):
    first = new_edition()["id"]
    p = register(api, first, registration("thanh-hoa", name="Công ty CP Mía đường Lam Sơn"))
    org_id = p["organisation_id"]
    member = api.token("member", organisation=org_id)
    path = f"/v1/organisations/{org_id}"

    etag = api.request("GET", path, member).headers["ETag"]
    renamed = api.request(
        "PATCH",
        path,
        member,
        json={"legal_name": {"vi": "Công ty CP Mía đường Lam Sơn Xanh"}, "province": "ha-noi"},
        headers={"If-Match": etag},
    )
    assert renamed.status_code == 200 and renamed.json()["province"] == "ha-noi"
    merged_away = api.request(
        "PATCH", path, member, json={"province": "ha-tay"}, headers={"If-Match": renamed.headers["ETag"]}
    )
    assert merged_away.status_code == 422  # Hà Tây has not existed since 2008: not in either registry
    intruder = api.token("member", organisation="org_other")
    assert (
        api.request(
            "PATCH", path, intruder, json={"website": "https://x.vn"}, headers={"If-Match": renamed.headers["ETag"]}
        ).status_code
        == 403
    )

    delegate = api.request(
        "POST",
        f"{path}/delegates",
        member,
        json={
            "name": "Trần Thị Mai",
            "email": "Mai.Tran@Example.vn",
            "phone": "+84 983 111 222",
            "preferred_language": "en",
        },
    )
    assert delegate.status_code == 201
    assert (delegate.json()["email"], delegate.json()["phone"]) == ("mai.tran@example.vn", "+84983111222")
    product = api.request(
        "POST",
        f"{path}/products",
        member,
        json={
            "name": {"vi": "Đường kính trắng"},
            "category": "sugar",
            "ocop": {"stars": 5, "certificate_no": "TH-5S-01", "year": 2024},
        },
    )
    assert product.status_code == 201
    profile = api.request("GET", path, member).json()
    assert len(profile["delegates"]) == 2 and profile["products"][-1]["ocop"]["stars"] == 5

    second = new_edition()["id"]
    applied = api.request(
        "POST", f"/v1/editions/{second}/participations", member, json={"organisation_id": org_id, "role": "buyer"}
    )
    assert applied.status_code == 201 and applied.json()["org"]["ocop_max_stars"] == 5
    others = [register(api, second, registration("nghe-an"))["id"] for _ in range(2)]
    bulk = api.request(
        "POST",
        f"/v1/editions/{second}/participations/decisions",
        organiser,
        json={"action": "approve", "participation_ids": [applied.json()["id"], *others, "par_nope"]},
    )
    assert bulk.status_code == 200
    assert (bulk.json()["succeeded"], bulk.json()["failed"]) == (3, 1)
    assert bulk.json()["results"][-1]["code"] == "participation_not_found"
    withdrawn = api.request(
        "POST", f"/v1/participations/{applied.json()['id']}/decision", member, json={"action": "cancel"}
    )
    assert withdrawn.json()["status"] == "cancelled"
    assert (
        api.request("POST", f"/v1/participations/{others[0]}/decision", member, json={"action": "cancel"}).status_code
        == 403
    )
