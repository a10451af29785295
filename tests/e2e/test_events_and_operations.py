"""What provinces and ops see: public events without personal data, metrics, docs, restarts."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date

import requests

from shared.events.catalogue import catalogue, schema_errors
from shared.events.topology import public_types
from tests.support.api import edition_body, registration
from tests.support.events import Tap
from tests.support.waiting import wait_for


def test_provinces_receive_public_events_without_personal_data(api, organiser, new_edition, stack, service_env):
    broker = stack.config.amqp_uri  # the system's own vhost
    # bound as Thanh Hóa's Department would bind: its own province's registration events
    public = Tap(
        f"e2e.province.{uuid.uuid4().hex[:6]}", ("thanh-hoa.vn.ketnoi.registration.#",), public=True, amqp_uri=broker
    )
    internal = Tap(
        f"e2e.internal.{uuid.uuid4().hex[:6]}", ("vn.ketnoi.registration.organisation.*.v1",), amqp_uri=broker
    )
    try:
        eid = new_edition()["id"]
        body = registration("thanh-hoa")
        created = api.request("POST", f"/v1/editions/{eid}/registrations", json=body).json()
        pid = created["participation"]["id"]
        api.request("POST", f"/v1/participations/{pid}/decision", organiser, json={"action": "approve"})
        messages = public.drain(expect=4, timeout=10)
        events = [json.loads(m.body) for m in messages]
        types = {e["type"] for e in events}
        assert {
            "vn.ketnoi.registration.participation.submitted.v1",
            "vn.ketnoi.registration.participation.approved.v1",
            "vn.ketnoi.registration.organisation.registered.v1",
            "vn.ketnoi.registration.product.registered.v1",
        } <= types
        assert [m.delivery_info["routing_key"] for m in messages] == [f"thanh-hoa.{e['type']}" for e in events]
        assert types <= set(public_types())  # nothing internal leaks onto the public exchange
        delegate = body["organisation"]["delegates"][0]
        text = json.dumps(events, ensure_ascii=False)
        for secret in (delegate["email"], delegate["name"], "912345678", body["organisation"]["tax_code"]):
            assert secret not in text
        assert all(schema_errors(e["type"], e["data"]) == [] for e in events)
        approved = next(e for e in events if e["type"].endswith("participation.approved.v1"))
        assert approved["data"]["participation_id"] == pid and approved["subject"] == f"participations/{pid}"

        contacts = [json.loads(m.body) for m in internal.drain(expect=1, timeout=10)]
        changed = [
            e
            for e in contacts
            if e["type"].endswith("contacts_changed.v1") and e["data"]["organisation_id"] == created["organisation_id"]
        ]
        assert changed and changed[0]["data"]["delegates"][0]["email"] == delegate["email"]
        assert not catalogue()[changed[0]["type"]].public
    finally:
        public.delete()
        internal.delete()


PERSONAL = ("0912 345 678", "912345678", "hoa.nguyen@example.vn", "Nguyễn Thị Hoa")


def test_an_organiser_s_words_never_reach_the_public_exchange(api, organiser, new_edition, stack, service_env):
    """Found from outside: a rejection reason with a phone number and an e-mail address was delivered to
    another province's consumer.  Every remark field is filled with a person's details; the public exchange
    carries none of them, and the applicant is still told the organiser's words."""
    broker = stack.config.amqp_uri
    public = Tap(f"e2e.scan.{uuid.uuid4().hex[:6]}", ("#",), public=True, amqp_uri=broker)
    internal = Tap(
        f"e2e.scan.i.{uuid.uuid4().hex[:6]}",
        ("vn.ketnoi.registration.participation.rejection_explained.v1",),
        amqp_uri=broker,
    )
    words = "Liên hệ chị Nguyễn Thị Hoa, 0912 345 678, hoa.nguyen@example.vn để bổ sung giấy chứng nhận."
    try:
        eid = new_edition()["id"]
        rejected, kept = (
            api.request("POST", f"/v1/editions/{eid}/registrations", json=registration("thanh-hoa")).json()[
                "participation"
            ]["id"]
            for _ in range(2)
        )
        answer = api.request(
            "POST",
            f"/v1/participations/{rejected}/decision",
            organiser,
            json={"action": "reject", "reason": words, "reason_code": "incomplete"},
        )
        assert answer.status_code == 200 and answer.json()["reason"] == words  # the API keeps the words
        api.request(
            "POST", f"/v1/participations/{kept}/decision", organiser, json={"action": "cancel", "reason": words}
        )
        events = [json.loads(m.body) for m in public.drain(expect=6, timeout=10)]
        text = json.dumps(events, ensure_ascii=False)
        assert "participation.rejected.v1" in text and not [p for p in PERSONAL if p in text]
        [rejection] = [e for e in events if e["type"].endswith("participation.rejected.v1")]
        assert rejection["data"]["reason"] == rejection["data"]["reason_code"] == "incomplete"
        explained = [json.loads(m.body) for m in internal.drain(expect=1, timeout=10)]
        assert [e["data"]["reason"] for e in explained] == [words]
    finally:
        public.delete()
        internal.delete()


CONTACTS = ("Liên hệ 0912 345 678", "hoa.nguyen@example.vn", "xem www.example.vn")
HEADER = "record,code,name,hall,zone,size,kind,features,price_vnd,x,y,w,h"


def test_names_published_to_every_province_refuse_contact_details(api, organiser, series_id, new_edition):
    """Edition titles and venues, series, session, hall, zone and quota-group names, product names and MOU
    titles go to every province: a telephone number, an e-mail address or a link typed into one is a 422
    naming the field, and nothing of the request is stored."""
    eid = new_edition(open_it=True)["id"]

    def refused(response, field: str) -> None:
        assert response.status_code == 422, response.text
        errors = response.json()["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [(field, "contact_in_public_text")], errors

    for text in CONTACTS:
        body = edition_body(series_id, date(2024, 8, 16), "thanh-hoa", ["ha-noi"])
        refused(
            api.request("POST", "/v1/editions", organiser, json={**body, "venue": {"name": f"Hội trường {text}"}}),
            "venue.name",
        )
        refused(
            api.request(
                "POST", "/v1/series", api.token("ops"), json={"key": f"k-{uuid.uuid4().hex[:6]}", "name": {"vi": text}}
            ),
            "name.vi",
        )
        product = registration("thanh-hoa")
        product["products"][0]["name"] = {"vi": f"Nem chua {text}"}
        refused(api.request("POST", f"/v1/editions/{eid}/registrations", json=product), "products.0.name.vi")
        refused(
            api.request(
                "POST",
                f"/v1/editions/{eid}/b2b-sessions",
                organiser,
                json={
                    "name": {"vi": f"B2B {text}"},
                    "date": "2024-08-16",
                    "starts_at": "13:30",
                    "slots": 2,
                    "tables": 1,
                },
            ),
            "name.vi",
        )
        refused(
            api.request(
                "PUT",
                f"/v1/editions/{eid}/booth-rules",
                organiser,
                json={"groups": [{"name": f"Chủ nhà {text}", "booths": 1, "provinces": ["thanh-hoa"]}]},
            ),
            "groups.0.name",
        )
        plan = (
            "\n".join(
                [
                    HEADER,
                    f"hall,H1,Nhà thi đấu {text},,,,,,,,,,",
                    "zone,A,Khu A,H1,,,,,,,,,",
                    "booth,A01,,,A,standard,standard,,10000000,0,0,3,3",
                ]
            )
            + "\n"
        )
        answer = api.request("PUT", f"/v1/editions/{eid}/floor-plan", organiser, json={"csv": plan})
        assert answer.status_code == 422 and "contact_in_public_text" in answer.text, answer.text
        refused(
            api.request(
                "POST",
                f"/v1/editions/{eid}/mous",
                organiser,
                json={
                    "title": {"vi": f"Biên bản {text}"},
                    "parties": [
                        {"name": {"vi": "Liên minh HTX"}, "kind": "alliance"},
                        {"name": {"vi": "Sở Công Thương"}, "kind": "agency"},
                    ],
                    "sector": "processed_food",
                    "signed_on": "2024-08-16",
                },
            ),
            "title.vi",
        )
    # nothing of it was stored: the edition is as it was, with no registrations, sessions, plan or MOUs
    assert api.request("GET", f"/v1/editions/{eid}/participations", organiser).json()["items"] == []
    assert api.request("GET", f"/v1/editions/{eid}/b2b-sessions").json()["items"] == []
    assert api.request("GET", f"/v1/editions/{eid}/mous", organiser).json()["items"] == []
    plan = api.request("GET", f"/v1/editions/{eid}/floor-plan").json()
    assert (plan["booths"], plan.get("halls"), plan.get("quotas")) == ([], [], None), plan
    # a person's name in a published name is allowed: venues and products are often named after people
    fine = api.request(
        "POST",
        f"/v1/editions/{eid}/b2b-sessions",
        organiser,
        json={
            "name": {"vi": "Nhà văn hoá Nguyễn Du"},
            "date": "2024-08-16",
            "starts_at": "13:30",
            "slots": 2,
            "tables": 1,
        },
    )
    assert fine.status_code == 201, fine.text


def test_every_service_exposes_prometheus_metrics(stack, api, new_edition):
    new_edition()
    env = stack.config.env()
    metrics = {
        name: requests.get(f"http://127.0.0.1:{env[f'KETNOI_{name.upper()}_METRICS_PORT']}/metrics", timeout=5).text
        for name in ("gateway", "registration")
    }
    assert re.search(
        r'ketnoi_entrypoint_calls_total\{entrypoint="create_edition",kind="http",outcome="ok",'
        r'service="gateway"\} [1-9]',
        metrics["gateway"],
    )
    assert re.search(
        r'ketnoi_entrypoint_calls_total\{entrypoint="create_edition",kind="rpc",outcome="ok",'
        r'service="registration"\} [1-9]',
        metrics["registration"],
    )
    assert "ketnoi_entrypoint_duration_seconds_bucket" in metrics["registration"]
    assert re.search(
        r'ketnoi_events_published_total\{type="vn.ketnoi.registration.edition.created.v1"\} '
        r"[1-9]",
        metrics["registration"],
    )
    assert "ketnoi_outbox_backlog" in metrics["registration"]
    assert re.search(
        r'ketnoi_http_responses_total\{method="POST",route="/v1/editions",status="201"\} [1-9]', metrics["gateway"]
    )
    assert re.search(r'ketnoi_build_info\{revision="[^"]+",version="[^"]+"\} 1\.0', metrics["registration"])
    assert "_created" not in metrics["gateway"] + metrics["registration"]


def test_openapi_document_and_docs_page(api):
    spec = api.request("GET", "/v1/openapi.json").json()
    assert spec["openapi"] == "3.1.0"
    operation = spec["paths"]["/v1/editions/{edition_id}/registrations"]["post"]
    schema_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert schema_ref.endswith("/RegistrationBody")
    assert "422" in operation["responses"] and "Idempotency-Key" in json.dumps(operation["parameters"])
    assert "organisation" in spec["components"]["schemas"]["RegistrationBody"]["properties"]
    assert spec["components"]["schemas"]["Problem"]["additionalProperties"] is True  # existing_id, target…
    docs = api.request("GET", "/docs")
    assert docs.status_code == 200 and "swagger-ui-bundle.js" in docs.text
    assert api.request("GET", "/docs/assets/swagger-ui-bundle.js").status_code == 200


def test_a_restarted_service_answers_again_and_meanwhile_the_gateway_says_503(stack, api, ops):
    stack.stop_process("registration")
    try:
        down = api.request("GET", "/v1/series")
        assert down.status_code == 503 and down.headers["Retry-After"] == "5"
        assert down.json()["code"] == "service_unavailable"
        ready = api.request("GET", "/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["registration"] is False
    finally:
        stack.start_service("registration")
    wait_for(stack.ready, timeout=60)
    assert api.request("GET", "/v1/series").status_code == 200
