"""The demo edition must pass the same rules as real registrations."""

import json
import re
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from demo.load import edition_body, registration_body
from meetings.domain.model import Meeting, Session, max_degree
from meetings.domain.timetable import schedule_meetings
from registration.domain.phone import normalise_phone
from registration.domain.taxcode import parse_tax_code, personal_id_allowed
from registration.domain.workflow import PARTICIPATION_STATUSES, reason_required
from registration.schemas import CERTIFICATIONS, LANGUAGES, EditionIn, RegistrationIn
from shared.reference.provinces import MERGER_DATE, check_province

DEMO = Path(__file__).resolve().parents[2] / "demo" / "thanh-hoa-2024.json"
DATA = json.loads(DEMO.read_text(encoding="utf-8"))
EDITION = DATA["edition"]
ON = date.fromisoformat(EDITION["starts_on"])
ORGS = {o["key"]: o for o in DATA["organisations"]}
ITEMS = {i["key"]: i for i in EDITION["programme"]}
PARTS = DATA["participations"]
ORG_KINDS = {
    "enterprise",
    "cooperative",
    "association",
    "household_business",
    "foreign_company",
}
ITEM_KINDS = {"main_session", "exhibition", "b2b_session", "site_visit", "livestream"}


def bilingual(value) -> bool:
    return set(value) == {"vi", "en"} and all(isinstance(v, str) and v for v in value.values())


def test_edition_facts_from_the_seed():
    assert EDITION["plan_reference"] == "103/KH-UBND"
    assert (EDITION["starts_on"], EDITION["ends_on"]) == ("2024-08-16", "2024-08-18")
    assert EDITION["booths"] == {
        "total": 82,
        "host_province": 36,
        "other_provinces": 46,
    }
    assert EDITION["capacity"]["exhibitor"] == 82
    assert DATA["series"]["key"] == EDITION["series_key"] == "thanh-hoa-ket-noi"
    assert bilingual(DATA["series"]["name"]) and bilingual(EDITION["theme"])


def test_registration_window_precedes_the_edition():
    opens = date.fromisoformat(EDITION["registration_opens_on"])
    closes = date.fromisoformat(EDITION["registration_closes_on"])
    assert opens < closes < ON


def test_edition_provinces_valid_on_the_edition_date():
    for slug in [
        EDITION["host_province"],
        EDITION["venue"]["province"],
        *EDITION["partner_provinces"],
    ]:
        check_province(slug, ON)
    assert EDITION["host_province"] not in EDITION["partner_provinces"]


def test_programme_items_within_the_edition():
    assert {i["kind"] for i in ITEMS.values()} == ITEM_KINDS
    assert len(ITEMS) == len(EDITION["programme"])
    for item in ITEMS.values():
        start = datetime.fromisoformat(item["starts_at"])
        end = datetime.fromisoformat(item["ends_at"])
        assert item["starts_at"].endswith("+07:00") and item["ends_at"].endswith("+07:00")
        assert start < end
        assert ON <= start.date() <= end.date() <= date.fromisoformat(EDITION["ends_on"])
        assert bilingual(item["title"])
    main = next(i for i in ITEMS.values() if i["kind"] == "main_session")
    assert main["starts_at"].startswith("2024-08-16T0")  # morning of 16/8
    exhibition_days = {i["starts_at"][:10] for i in ITEMS.values() if i["kind"] == "exhibition"}
    assert exhibition_days == {"2024-08-16", "2024-08-17", "2024-08-18"}
    assert next(i for i in ITEMS.values() if i["kind"] == "site_visit")["capacity"] == 40


def test_about_thirty_organisations_of_every_kind():
    assert 25 <= len(ORGS) <= 40
    assert len(ORGS) == len(DATA["organisations"])
    assert {o["kind"] for o in ORGS.values()} == ORG_KINDS
    provinces = Counter(o["province"] for o in ORGS.values())
    assert provinces["thanh-hoa"] > len(ORGS) / 2


@pytest.mark.parametrize("org", DATA["organisations"], ids=lambda o: o["key"])
def test_organisation(org):
    if org["kind"] == "foreign_company":
        assert org["tax_code"] is None and org["province"] is None
        assert re.fullmatch(r"[A-Z]{2}", org["country"]) and org["country"] != "VN"
        assert org["registration_no"]
    else:
        tax = parse_tax_code(org["tax_code"])
        assert tax.value == org["tax_code"]
        assert tax.kind != "personal" or personal_id_allowed(ON)
        if tax.kind == "branch":
            assert ORGS[org["parent_organisation"]]["tax_code"] == tax.parent
        check_province(org["province"], ON)
        assert org["province"] in {
            EDITION["host_province"],
            *EDITION["partner_provinces"],
        }
    assert org["sectors"]
    assert 1 <= len(org["delegates"]) <= 3
    for person in org["delegates"]:
        normalise_phone(person["phone"])
        assert re.fullmatch(r"[a-z0-9.]+@example\.vn", person["email"])
        assert person["preferred_language"] in {"vi", "en"}
        assert person["name"] and person["position"]
    for product in org["products"]:
        assert bilingual(product["name"])
        assert product["category"] and product["unit"]
        check_province(product["origin_province"], ON)
        assert set(product["certifications"]) <= {"VietGAP", "organic", "HACCP"}
        if product["ocop"] is not None:
            assert 3 <= product["ocop"]["stars"] <= 5
            assert product["ocop"]["certificate_no"]
            assert 2019 <= product["ocop"]["year"] <= ON.year


def test_tax_codes_phones_and_emails_unique():
    codes = [o["tax_code"] for o in ORGS.values() if o["tax_code"]]
    people = [p for o in ORGS.values() for p in o["delegates"]]
    assert len(set(codes)) == len(codes)
    assert len({normalise_phone(p["phone"]) for p in people}) == len(people)
    assert len({p["email"] for p in people}) == len(people)


def test_participations():
    assert len({p["organisation"] for p in PARTS}) == len(PARTS)
    assert len(PARTS) >= len(ORGS) * 0.8
    for part in PARTS:
        assert part["organisation"] in ORGS
        assert part["role"] in EDITION["capacity"]
        assert part["status"] in PARTICIPATION_STATUSES
        assert bool(part.get("reason")) == reason_required(part["status"])
        wants = part["wants"]
        assert set(wants) == {"booth", "b2b", "site_visits", "livestream"}
        assert (wants["booth"] > 0) == (part["role"] == "exhibitor")
        assert all(ITEMS[k]["kind"] == "site_visit" for k in wants["site_visits"])


def test_demand_fits_capacities():
    roles = Counter(p["role"] for p in PARTS)
    assert all(roles[r] <= cap for r, cap in EDITION["capacity"].items())
    booths = Counter()
    for part in PARTS:
        host = ORGS[part["organisation"]]["province"] == EDITION["host_province"]
        booths["host_province" if host else "other_provinces"] += part["wants"]["booth"]
    assert booths["host_province"] <= EDITION["booths"]["host_province"]
    assert booths["other_provinces"] <= EDITION["booths"]["other_provinces"]
    for key, item in ITEMS.items():
        if "capacity" in item and item["kind"] == "site_visit":
            assert sum(key in p["wants"]["site_visits"] for p in PARTS) <= item["capacity"]


# --- Quảng Trị 2025: the first edition after the 2025-07-01 merger, with a B2B session -------------

QT = json.loads((DEMO.parent / "quang-tri-2025.json").read_text(encoding="utf-8"))
QT_EDITION = QT["edition"]
QT_ON = date.fromisoformat(QT_EDITION["starts_on"])
QT_ORGS = {o["key"]: o for o in QT["organisations"]}
QT_PARTS = {p["organisation"]: p for p in QT["participations"]}
B2B = QT["b2b"]
SESSION = B2B["session"]
PROFILES = B2B["profiles"]
SUPPLIERS = {k for k, p in QT_PARTS.items() if p["role"] == "exhibitor"}
BUYERS = {k for k, p in QT_PARTS.items() if p["role"] == "buyer"}
PARTNER_PROVINCES = {"hue", "ha-tinh", "nghe-an", "thanh-hoa"}
SECTORS = {"agriculture", "wood", "processed_food", "handicraft"}  # the seed's four fields


def _slot_times() -> list[str]:
    start = datetime.fromisoformat(f"{SESSION['date']}T{SESSION['starts_at']}")
    return [(start + i * timedelta(minutes=SESSION["slot_minutes"])).strftime("%H:%M") for i in range(SESSION["slots"])]


SLOTS = [s for s in _slot_times() if s not in SESSION["breaks"]]
PAIRS = {frozenset((r["from"], r["to"])): r for r in B2B["requests"]}


def _pair(request: dict) -> tuple[str, str]:
    """(supplier, buyer) of a request, whichever side sent it."""
    a, b = request["from"], request["to"]
    return (a, b) if a in SUPPLIERS else (b, a)


def _accepted() -> list[tuple[str, str]]:
    return [_pair(r) for r in B2B["requests"] if r["status"] == "accepted"]


def _interpreter(org_key: str) -> str | None:
    languages = {d.get("interpreter_language") for d in QT_ORGS[org_key]["delegates"]} - {None}
    assert len(languages) <= 1
    return next(iter(languages), None)


def test_qt_edition_facts_from_the_seed():
    assert QT_EDITION["key"] == "quang-tri-2025"
    assert QT["series"]["key"] == QT_EDITION["series_key"] == "quang-tri-ket-noi-giao-thuong"
    assert (QT_EDITION["starts_on"], QT_EDITION["ends_on"]) == ("2025-07-10", "2025-07-10")
    assert QT_ON >= MERGER_DATE
    assert QT_EDITION["host_province"] == "quang-tri"
    assert set(QT_EDITION["partner_provinces"]) == PARTNER_PROVINCES
    opens = date.fromisoformat(QT_EDITION["registration_opens_on"])
    closes = date.fromisoformat(QT_EDITION["registration_closes_on"])
    assert opens < closes < QT_ON and opens.month == closes.month == 6
    assert bilingual(QT["series"]["name"]) and bilingual(QT_EDITION["name"]) and bilingual(QT_EDITION["theme"])
    EditionIn().load(edition_body("series-id", QT_EDITION))


def test_qt_programme_morning_visit_afternoon_b2b_and_signing():
    items = {i["key"]: i for i in QT_EDITION["programme"]}
    allowed = {k for i in EDITION["programme"] for k in i}  # the Thanh Hóa item shape
    for item in items.values():
        assert set(item) <= allowed and bilingual(item["title"])
        assert item["starts_at"].startswith("2025-07-10T") and item["starts_at"].endswith("+07:00")
    visit = next(i for i in items.values() if i["kind"] == "site_visit")
    assert (visit["starts_at"][11:16], visit["ends_at"][11:16]) == ("07:30", "11:30")
    assert "Sê Pôn" in visit["title"]["vi"] and "Ái Tử" in visit["title"]["vi"]
    b2b = next(i for i in items.values() if i["kind"] == "b2b_session")
    end = datetime.fromisoformat(f"{SESSION['date']}T{_slot_times()[-1]}") + timedelta(minutes=SESSION["slot_minutes"])
    assert b2b["starts_at"][11:16] == SESSION["starts_at"] and b2b["ends_at"][11:16] == end.strftime("%H:%M")
    assert SESSION["date"] == QT_EDITION["starts_on"]
    signing = max(items.values(), key=lambda i: i["starts_at"])
    assert signing["kind"] == "main_session" and signing["starts_at"] >= b2b["ends_at"]


def test_qt_provinces_exist_after_the_merger():
    slugs = [QT_EDITION["host_province"], QT_EDITION["venue"]["province"], *QT_EDITION["partner_provinces"]]
    slugs += [o["province"] for o in QT_ORGS.values() if o["province"]]
    slugs += [p["origin_province"] for o in QT_ORGS.values() for p in o["products"]]
    slugs += [p["province"] for m in B2B["mous"] for p in m["parties"] if isinstance(p, dict)]
    for slug in slugs:
        check_province(slug, MERGER_DATE)
        check_province(slug, QT_ON)


@pytest.mark.parametrize("org", QT["organisations"], ids=lambda o: o["key"])
def test_qt_organisation(org):
    if org["kind"] == "foreign_company":
        assert org["tax_code"] is None and org["province"] is None
        assert re.fullmatch(r"[A-Z]{2}", org["country"]) and org["country"] != "VN"
        assert org["registration_no"].startswith(org["country"] + "-")
    else:
        tax = parse_tax_code(org["tax_code"])
        assert tax.value == org["tax_code"] and tax.kind == "enterprise"
        assert org["province"] in {QT_EDITION["host_province"], *QT_EDITION["partner_provinces"]}
    assert org["sectors"] and 1 <= len(org["delegates"]) <= 3
    for person in org["delegates"]:
        normalise_phone(person["phone"])
        assert re.fullmatch(r"[a-z0-9.]+@example\.vn", person["email"])
        assert person["preferred_language"] in LANGUAGES
        assert person.get("interpreter_language") in {None, *SESSION["interpreters"]}
    for product in org["products"]:
        assert bilingual(product["name"]) and product["category"] and product["unit"]
        assert set(product["certifications"]) <= set(CERTIFICATIONS)
        if product["ocop"] is not None:
            assert 3 <= product["ocop"]["stars"] <= 5
            assert 2019 <= product["ocop"]["year"] <= QT_ON.year


def test_qt_tax_codes_phones_and_emails_unique():
    codes = [o["tax_code"] for o in QT_ORGS.values() if o["tax_code"]]
    people = [p for o in QT_ORGS.values() for p in o["delegates"]]
    assert len(set(codes)) == len(codes)
    assert len({normalise_phone(p["phone"]) for p in people}) == len(people)
    assert len({p["email"] for p in people}) == len(people)


@pytest.mark.parametrize("data", [DATA, QT], ids=["thanh-hoa-2024", "quang-tri-2025"])
def test_registration_bodies_pass_the_registration_schema(data):
    orgs = {o["key"]: o for o in data["organisations"]}
    for participation in data["participations"]:
        RegistrationIn().load(registration_body(orgs[participation["organisation"]], participation))


def test_qt_participants_as_in_the_seed():
    assert len(QT_PARTS) == len(QT["participations"]) == len(QT_ORGS)
    assert all(p["status"] == "approved" for p in QT_PARTS.values())
    assert len(SUPPLIERS) == 62  # "hơn 60 nhà cung cấp"
    provinces = Counter(QT_ORGS[k]["province"] for k in SUPPLIERS)
    assert set(provinces) == {"quang-tri", *PARTNER_PROVINCES} and 12 <= provinces["quang-tri"] <= 16
    assert {QT_ORGS[k]["kind"] for k in SUPPLIERS} == {"enterprise", "cooperative"}
    assert all(set(QT_ORGS[k]["sectors"]) & SECTORS and 1 <= len(QT_ORGS[k]["products"]) <= 3 for k in SUPPLIERS)
    assert Counter(QT_ORGS[k]["country"] for k in BUYERS) == {"TH": 4, "JP": 3, "CN": 3, "LA": 2, "GB": 2, "AE": 2}
    assert all(QT_ORGS[k]["kind"] == "foreign_company" for k in BUYERS)
    agencies = [k for k, p in QT_PARTS.items() if p["role"] == "partner_agency"]
    assert len(agencies) == 2 and all(QT_ORGS[k]["province"] == "quang-tri" for k in agencies)
    for part in QT_PARTS.values():
        assert part["wants"]["b2b"] == (part["role"] in {"exhibitor", "buyer"}) and part["wants"]["booth"] == 0
        assert part["role"] in QT_EDITION["capacity"]
    roles = Counter(p["role"] for p in QT_PARTS.values())
    assert all(roles[r] <= cap for r, cap in QT_EDITION["capacity"].items())
    visit = next(i for i in QT_EDITION["programme"] if i["kind"] == "site_visit")
    assert all(p["wants"]["site_visits"] in ([], [visit["key"]]) for p in QT_PARTS.values())
    assert all(QT_PARTS[b]["wants"]["site_visits"] for b in BUYERS)
    assert sum(bool(p["wants"]["site_visits"]) for p in QT_PARTS.values()) <= visit["capacity"]


def test_qt_profiles():
    assert set(PROFILES) == SUPPLIERS | BUYERS
    for key in SUPPLIERS:
        profile = PROFILES[key]
        assert profile["offers"] == sorted({p["category"] for p in QT_ORGS[key]["products"]})
        assert profile["markets"] and all(re.fullmatch(r"[A-Z]{2}", m) for m in profile["markets"])
        speaks_en = any(d["preferred_language"] == "en" for d in QT_ORGS[key]["delegates"])
        assert profile["languages"] == (["vi", "en"] if speaks_en else ["vi"])
    for key in BUYERS:
        profile = PROFILES[key]
        assert profile["seeks"] and profile["languages"] and 0 <= profile["priority"] <= 3
        assert set(profile["certifications_required"]) <= set(CERTIFICATIONS)
        language = _interpreter(key)
        if language:  # needs an interpreter: shares no language with any supplier
            assert language in profile["languages"] and not {"vi", "en"} & set(profile["languages"])
    needing = Counter(_interpreter(k) for k in BUYERS) - Counter({None: len(BUYERS)})
    assert set(needing) <= set(SESSION["interpreters"])  # plus English, for vi-only suppliers and en buyers
    assert all(n <= SESSION["interpreters"][lang] for lang, n in needing.items())


def test_qt_requests_pair_a_buyer_with_a_matching_supplier_once():
    assert len(PAIRS) == len(B2B["requests"])  # no pair twice, in either direction
    for request in B2B["requests"]:
        supplier, buyer = _pair(request)
        assert supplier in SUPPLIERS and buyer in BUYERS
        assert set(PROFILES[supplier]["offers"]) & set(PROFILES[buyer]["seeks"])
    statuses = Counter(r["status"] for r in B2B["requests"])
    assert set(statuses) == {"accepted", "requested", "declined"}
    assert 270 <= len(B2B["requests"]) <= 330
    assert statuses["accepted"] >= 140 and statuses["requested"] >= 20 and statuses["declined"] >= 15
    from_buyers = sum(r["from"] in BUYERS for r in B2B["requests"]) / len(B2B["requests"])
    assert 0.6 <= from_buyers <= 0.72
    per = Counter(k for r in B2B["requests"] for k in (r["from"], r["to"]))
    assert all(12 <= per[b] <= 22 for b in BUYERS)
    assert all(2 <= per[s] <= 8 for s in SUPPLIERS)


def test_qt_accepted_meetings_fit_the_session():
    accepted = _accepted()
    meetings = [
        Meeting(f"m{i:03d}", s, b, _interpreter(b), PROFILES[b]["priority"]) for i, (s, b) in enumerate(accepted)
    ]
    delta = max_degree(meetings)
    assert len(SLOTS) == SESSION["slots"] - len(SESSION["breaks"]) == 11
    assert delta <= len(SLOTS)
    open_requests = Counter(p for r in B2B["requests"] if r["status"] != "declined" for p in (r["from"], r["to"]))
    assert max(open_requests.values()) <= SESSION["max_meetings"]  # pending requests count towards the limit
    late = B2B["late_from_site_visit"]
    assert 2 <= len(late) <= 3 and set(late) <= BUYERS
    away = {b: SLOTS[:2] for b in late}
    assert SLOTS[:2] == ["13:30", "13:50"]
    per_buyer = Counter(b for _, b in accepted)
    assert all(per_buyer[b] <= len(SLOTS) - 2 for b in late)
    tables = tuple(f"B{i:02d}" for i in range(1, SESSION["tables"] + 1))
    timetable = schedule_meetings(Session(tuple(SLOTS), tables), meetings, away, SESSION["interpreters"])
    assert timetable.unplaced == ()


def test_qt_mous():
    mous = B2B["mous"]
    accepted = set(_accepted())
    assert len(mous) == 6 and len({m["document_ref"] for m in mous}) == 6
    assert {m["kind"] for m in mous} == {"mou", "agreement"}
    assert {"agriculture", "wood", "processed_food", "handicraft"} <= {m["sector"] for m in mous}
    alliances = [m for m in mous if all(isinstance(p, dict) for p in m["parties"])]
    assert len(alliances) == 1
    assert {p["province"] for p in alliances[0]["parties"]} == {"quang-tri", *PARTNER_PROVINCES}
    for mou in mous:
        assert bilingual(mou["title"]) and mou["products"] and mou["signed_on"] == QT_EDITION["starts_on"]
        assert re.fullmatch(r"\d{2}/2025/[A-Z]+-QT", mou["document_ref"])
        if mou in alliances:
            assert all(p["alliance"]["vi"].startswith("Liên minh Hợp tác xã") for p in mou["parties"])
            continue
        supplier, buyer = mou["parties"]
        assert (supplier, buyer) in accepted
        assert mou["value"]["amount"] > 0 and re.fullmatch(r"[A-Z]{3}", mou["value"]["currency"])
