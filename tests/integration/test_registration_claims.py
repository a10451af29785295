"""A registration form naming an organisation on file changes nothing until the organisation confirms it.

Found from outside (issue 13): tax codes are public, and anyone who typed one
into the public form registered that organisation for an edition, dropped the
form's delegates and had the organisation's real delegates e-mailed about a
registration they never made.  Now the form becomes a pending claim; the
organisation's contacts confirm it by a signed link (or a member, ops or the
edition's organiser does), and only then are the participation, the new
delegates and the products written.
"""

from __future__ import annotations

import copy
import threading
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from nameko.testing.services import worker_factory

from registration.domain.claims import make_claim_token
from registration.features.claims import _claim_secret
from registration.service import RegistrationService
from registration.store import RegistrationStore
from shared.auth import Principal
from shared.errors import Conflict, Forbidden, Gone, Unauthorized
from shared.store import database, door_for
from tests.support.api import edition_body, registration

pytestmark = pytest.mark.usefixtures("service_env")
OPS = Principal(role="ops", subject="it-ops").as_dict()
CLAIM_REQUESTED = "vn.ketnoi.registration.claim.requested.v1"


class CutOff(Exception):
    """The process died here."""


class DyingOnParticipation(RegistrationStore):
    """Dies at the participation's insert: delegates and products of a confirmation are written already."""

    def insert(self, collection, document, *events):
        if collection == "participations":
            raise CutOff(collection)
        return super().insert(collection, document, *events)


def new_service() -> RegistrationService:
    return worker_factory(RegistrationService, store=RegistrationStore(door_for("registration")))


@pytest.fixture
def service() -> RegistrationService:
    store = RegistrationStore(door_for("registration"))
    store.ensure_indexes()  # what the container does at start (worker_factory starts none)
    return worker_factory(RegistrationService, store=store)


def open_edition(service) -> dict:
    key = f"it-{uuid.uuid4().hex[:8]}"
    service.create_series(OPS, {"key": key, "name": {"vi": "Kết nối"}})
    created = service.create_edition(OPS, edition_body(key, date(2026, 8, 16), "thanh-hoa", ["nghe-an"]))
    return service.set_edition_status(OPS, created["id"], created["version"], {"status": "open"})


@pytest.fixture
def on_file(service) -> tuple[str, dict, str]:
    """(organisation id, its own form, the edition it registered for), and a neighbour on file beside it."""
    first = open_edition(service)
    form = registration("thanh-hoa", name=f"Công ty Nông sản {uuid.uuid4().hex[:6]}")
    answer = service.register(None, first["id"], form)
    service.register(None, first["id"], registration("thanh-hoa"))  # a neighbour that must stay unchanged
    return answer["organisation_id"], form, first["id"]


def claimed_form(own: dict) -> dict:
    """Someone else's form with the organisation's tax code: one delegate already on file (same e-mail, another
    name), one new; one product the organisation has (same name and category), one new."""
    form = copy.deepcopy(own)
    known = own["organisation"]["delegates"][0]
    form["organisation"]["legal_name"] = {"vi": "Tên khác hẳn"}
    form["organisation"]["delegates"] = [
        {**known, "name": "Người Lạ", "email": known["email"].upper()},
        {
            "name": "Phạm Văn Mới",
            "email": f"moi.{uuid.uuid4().hex[:6]}@example.vn",
            "phone": "0913 000 111",
            "preferred_language": "en",
        },
    ]
    form["products"] = [own["products"][0], {"name": {"vi": "Bánh gai"}, "category": "processed_food"}]
    form["role"] = "buyer"
    return form


def everything_about(organisation_id: str) -> dict:
    """What a claim must not change: the organisation as stored (events included), its products, its
    participations, and every other organisation."""
    db = database("registration")
    return {
        "organisation": db.organisations.find_one({"_id": organisation_id}),
        "products": sorted(db.products.find({"organisation_id": organisation_id}), key=lambda p: p["_id"]),
        "participations": sorted(db.participations.find({"organisation_id": organisation_id}), key=lambda p: p["_id"]),
        "others": sorted(db.organisations.find({"_id": {"$ne": organisation_id}}), key=lambda o: o["_id"]),
    }


def stored_claim(claim_id: str) -> dict:
    return database("registration").claims.find_one({"_id": claim_id})


def token_of(claim_id: str) -> str:
    [event] = [e for e in stored_claim(claim_id)["outbox"].values() if e["type"] == CLAIM_REQUESTED]
    return event["data"]["confirm_token"]


def claim_for(service, on_file) -> tuple[str, str, dict]:
    """(claim id, the second edition, the form) after an anonymous form in the organisation's name."""
    org_id, own, _ = on_file
    second = open_edition(service)["id"]
    form = claimed_form(own)
    answer = service.register(None, second, form)
    assert answer["status"] == "awaiting_confirmation" and answer["organisation_id"] == org_id
    return answer["claim_id"], second, form


def test_an_anonymous_form_with_a_known_tax_code_changes_nothing_and_stores_a_claim(service, on_file):
    org_id, _, _ = on_file
    before = everything_about(org_id)

    claim_id, second, form = claim_for(service, on_file)

    assert everything_about(org_id) == before  # no delegate, no product, no participation, no event
    assert database("registration").participations.count_documents({"edition_id": second}) == 0
    claim = stored_claim(claim_id)
    assert (claim["status"], claim["organisation_id"], claim["edition_id"], claim["role"]) == (
        "pending",
        org_id,
        second,
        "buyer",
    )
    assert sorted(d["email"] for d in claim["delegates"].values()) == sorted(
        d["email"].lower() for d in form["organisation"]["delegates"]
    )
    assert [p["name"]["vi"] for p in claim["products"]] == ["Nem chua", "Bánh gai"]
    [event] = claim["outbox"].values()  # the only event: the internal request to confirm
    assert event["type"] == CLAIM_REQUESTED and event["data"]["organisation_id"] == org_id
    assert claim["expires_at"] > (datetime.now(UTC) + timedelta(days=6)).strftime("%Y-%m-%dT%H:%M:%S")

    again = service.register(None, second, form)  # a retried identical form: the same claim, nobody asked twice
    assert again["claim_id"] == claim_id
    assert len(stored_claim(claim_id)["outbox"]) == 1
    assert database("registration").claims.count_documents({"organisation_id": org_id}) == 1
    assert everything_about(org_id) == before


def test_confirming_with_the_link_registers_and_adds_only_the_new_delegates_and_products(service, on_file):
    org_id, _, first = on_file
    claim_id, second, form = claim_for(service, on_file)
    before = everything_about(org_id)
    [(known_id, known)] = before["organisation"]["delegates"].items()

    answer = new_service().confirm_claim(None, claim_id, {"token": token_of(claim_id)})

    assert answer["status"] == "confirmed"
    after = everything_about(org_id)
    [participation] = [p for p in after["participations"] if p["edition_id"] == second]
    assert answer["participation"]["id"] == participation["_id"]
    assert (participation["role"], participation["status"]) == ("buyer", "submitted")
    assert [e["type"].split(".")[-3:] for e in participation["outbox"].values()] == [
        ["participation", "submitted", "v1"]
    ]
    delegates = after["organisation"]["delegates"]
    assert delegates[known_id] == known  # the delegate on file is unchanged (not renamed "Người Lạ")
    assert sorted(d["email"] for d in delegates.values()) == sorted(
        [known["email"], form["organisation"]["delegates"][1]["email"]]
    )
    assert sorted(p["name"]["vi"] for p in after["products"]) == ["Bánh gai", "Nem chua"]
    assert after["organisation"]["legal_name"] == before["organisation"]["legal_name"]  # the form's name ignored
    assert [p["_id"] for p in after["participations"] if p["edition_id"] == first] == [
        p["_id"] for p in before["participations"]
    ]
    assert after["others"] == before["others"]
    assert stored_claim(claim_id)["status"] == "confirmed"
    assert stored_claim(claim_id)["participation_id"] == participation["_id"]

    with pytest.raises(Conflict) as decided:
        service.confirm_claim(None, claim_id, {"token": token_of(claim_id)})
    assert decided.value.code == "claim_decided"
    with pytest.raises(Conflict) as decided:
        service.decline_claim(None, claim_id, {"token": token_of(claim_id)})
    assert decided.value.code == "claim_decided"
    repeat = service.register(None, second, form)  # the form that made it: the first answer
    assert repeat["participation"]["id"] == participation["_id"]
    assert everything_about(org_id)["participations"] == after["participations"]


def test_two_confirmations_at_once_make_one_participation(service, on_file):
    org_id, _, _ = on_file
    claim_id, second, _ = claim_for(service, on_file)
    token = token_of(claim_id)
    start = threading.Barrier(4)
    answers: list = []

    def confirm() -> None:
        start.wait()
        try:
            answers.append(new_service().confirm_claim(None, claim_id, {"token": token})["participation"]["id"])
        except Conflict as exc:
            answers.append(exc.code)

    threads = [threading.Thread(target=confirm) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    participations = list(database("registration").participations.find({"edition_id": second}))
    assert len(participations) == 1
    assert set(answers) <= {participations[0]["_id"], "claim_decided"} and participations[0]["_id"] in answers
    delegates = database("registration").organisations.find_one({"_id": org_id})["delegates"]
    assert len(delegates) == 2  # the new one once
    assert len(list(database("registration").products.find({"organisation_id": org_id}))) == 2


def test_a_bad_or_expired_link_is_refused_and_changes_nothing(service, on_file):
    org_id, _, _ = on_file
    claim_id, second, _ = claim_for(service, on_file)
    other_claim, _, _ = claim_for(service, on_file)  # the same organisation, another edition
    good = token_of(claim_id)
    before = everything_about(org_id), stored_claim(claim_id)
    expired = make_claim_token(_claim_secret(), claim_id, datetime.now(UTC) - timedelta(seconds=1))
    stretched = f"{int(good.split('.')[0]) + 86400}.{good.split('.')[1]}"  # a longer life, the same signature

    refusals = {
        "tampered": (good[:-2] + ("AA" if not good.endswith("AA") else "BB"), Forbidden, "claim_link_invalid"),
        "another claim's": (token_of(other_claim), Forbidden, "claim_link_invalid"),
        "stretched": (stretched, Forbidden, "claim_link_invalid"),
        "garbage": ("not-a-token", Forbidden, "claim_link_invalid"),
        "expired": (expired, Gone, "claim_link_expired"),
    }
    for what, (token, error, code) in refusals.items():
        for decide in (service.confirm_claim, service.decline_claim):
            with pytest.raises(error) as refused:
                decide(None, claim_id, {"token": token})
            assert refused.value.code == code, what
    with pytest.raises(Unauthorized):
        service.confirm_claim(None, claim_id, {})
    stranger = Principal(role="member", subject="u1", organisation="org_someone_else").as_dict()
    with pytest.raises(Forbidden):
        service.confirm_claim(stranger, claim_id, {})

    assert (everything_about(org_id), stored_claim(claim_id)) == before
    assert database("registration").participations.count_documents({"edition_id": second}) == 0

    database("registration").claims.update_one(  # seven days later: the claim itself is over, link or not
        {"_id": claim_id}, {"$set": {"expires_at": "2020-01-01T00:00:00.000000Z"}}
    )
    member = Principal(role="member", subject="u2", organisation=org_id).as_dict()
    for actor, body in ((None, {"token": good}), (member, {})):
        with pytest.raises(Gone) as late:
            service.confirm_claim(actor, claim_id, body)
        assert late.value.code == "claim_expired"
    assert database("registration").participations.count_documents({"edition_id": second}) == 0


def test_declining_changes_nothing_else(service, on_file):
    org_id, _, _ = on_file
    claim_id, second, form = claim_for(service, on_file)
    before = everything_about(org_id)

    declined = new_service().decline_claim(None, claim_id, {"token": token_of(claim_id)})

    assert declined["status"] == "declined"
    assert everything_about(org_id) == before
    assert stored_claim(claim_id)["status"] == "declined" and len(stored_claim(claim_id)["outbox"]) == 1
    with pytest.raises(Conflict) as decided:
        service.confirm_claim(None, claim_id, {"token": token_of(claim_id)})
    assert decided.value.code == "claim_decided"
    with pytest.raises(Conflict) as again:  # the same form once more does not ask the organisation again
        service.register(None, second, form)
    assert again.value.code == "claim_declined"
    assert database("registration").participations.count_documents({"edition_id": second}) == 0


@pytest.mark.parametrize("who", ["member", "ops", "organiser"])
def test_the_organisation_itself_or_the_organiser_registers_at_once_as_before(service, on_file, who):
    org_id, own, _ = on_file
    second = open_edition(service)
    actor = {
        "member": Principal(role="member", subject="u3", organisation=org_id),
        "ops": Principal(role="ops", subject="u4"),
        "organiser": Principal(role="organiser", subject="u5", series=second["series_id"]),
    }[who].as_dict()
    before = everything_about(org_id)

    answer = service.register(actor, second["id"], claimed_form(own))

    assert answer["organisation_created"] is False and answer["participation"]["status"] == "submitted"
    after = everything_about(org_id)
    assert after["organisation"] == before["organisation"] and after["products"] == before["products"]
    assert [p["edition_id"] for p in after["participations"]].count(second["id"]) == 1
    assert database("registration").claims.count_documents({"organisation_id": org_id}) == 0


def test_a_member_confirms_without_the_link(service, on_file):
    org_id, _, _ = on_file
    claim_id, second, _ = claim_for(service, on_file)
    member = Principal(role="member", subject="u6", organisation=org_id).as_dict()
    assert service.get_claim(member, claim_id)["status"] == "pending"
    answer = service.confirm_claim(member, claim_id, {})
    assert answer["participation"]["edition_id"] == second
    assert service.get_claim(member, claim_id)["participation_id"] == answer["participation"]["id"]


def test_a_confirmation_cut_off_half_way_is_finished_by_the_next_or_by_the_service(service, on_file):
    org_id, _, _ = on_file
    claim_id, second, _ = claim_for(service, on_file)
    dying = worker_factory(RegistrationService, store=DyingOnParticipation(door_for("registration")))
    with pytest.raises(CutOff):
        dying.confirm_claim(None, claim_id, {"token": token_of(claim_id)})
    assert stored_claim(claim_id)["status"] == "confirming"
    assert database("registration").participations.count_documents({"edition_id": second}) == 0

    answer = service.confirm_claim(None, claim_id, {"token": token_of(claim_id)})  # the link again

    assert answer["participation"]["id"] == stored_claim(claim_id)["confirming"]["participation_id"]
    assert database("registration").participations.count_documents({"edition_id": second}) == 1
    assert len(database("registration").organisations.find_one({"_id": org_id})["delegates"]) == 2
    assert stored_claim(claim_id)["status"] == "confirmed"

    # nobody comes back: the service finishes it after a minute
    other, third, _ = claim_for(service, on_file)
    with pytest.raises(CutOff):
        dying.confirm_claim(None, other, {"token": token_of(other)})
    database("registration").claims.update_one(
        {"_id": other}, {"$set": {"confirming.since": "2020-01-01T00:00:00.000000Z"}}
    )
    new_service().finish_cut_off_work()
    assert stored_claim(other)["status"] == "confirmed"
    assert database("registration").participations.count_documents({"edition_id": third}) == 1
    organisation = database("registration").organisations.find_one({"_id": org_id})
    assert len(organisation["delegates"]) == 3 and "snapshot_due" not in organisation  # one new per form


def test_the_same_form_after_the_link_expired_asks_again_with_a_new_link(service, on_file):
    org_id, _, _ = on_file
    claim_id, second, form = claim_for(service, on_file)
    database("registration").claims.update_one(
        {"_id": claim_id}, {"$set": {"expires_at": "2020-01-01T00:00:00.000000Z"}}
    )
    before = everything_about(org_id)

    again = service.register(None, second, form)

    assert again["claim_id"] == claim_id
    assert again["expires_at"] > (datetime.now(UTC) + timedelta(days=6)).strftime("%Y-%m-%dT%H:%M:%S")
    claim = stored_claim(claim_id)
    assert (claim["status"], claim["version"], len(claim["outbox"])) == ("pending", 2, 2)
    newest = max(claim["outbox"].values(), key=lambda e: e["data"]["version"])["data"]
    assert newest["version"] == 2  # the event keeps its released form, the answer RFC 3339 UTC: the same instant
    event_expiry = datetime.fromisoformat(newest["expires_at"])
    assert timedelta(0) <= event_expiry - datetime.fromisoformat(again["expires_at"]) < timedelta(milliseconds=1)
    assert again["expires_at"].endswith("Z")
    assert everything_about(org_id) == before
    assert service.confirm_claim(None, claim_id, {"token": newest["confirm_token"]})["status"] == "confirmed"
