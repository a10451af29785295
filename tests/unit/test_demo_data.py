"""The demo edition must pass the same rules as real registrations."""

import json
import re
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest

from registration.domain.phone import normalise_phone
from registration.domain.taxcode import parse_tax_code, personal_id_allowed
from registration.domain.workflow import PARTICIPATION_STATUSES, reason_required
from shared.reference.provinces import check_province

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
    return set(value) == {"vi", "en"} and all(
        isinstance(v, str) and v for v in value.values()
    )


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
        assert item["starts_at"].endswith("+07:00") and item["ends_at"].endswith(
            "+07:00"
        )
        assert start < end
        assert (
            ON <= start.date() <= end.date() <= date.fromisoformat(EDITION["ends_on"])
        )
        assert bilingual(item["title"])
    main = next(i for i in ITEMS.values() if i["kind"] == "main_session")
    assert main["starts_at"].startswith("2024-08-16T0")  # morning of 16/8
    exhibition_days = {
        i["starts_at"][:10] for i in ITEMS.values() if i["kind"] == "exhibition"
    }
    assert exhibition_days == {"2024-08-16", "2024-08-17", "2024-08-18"}
    assert (
        next(i for i in ITEMS.values() if i["kind"] == "site_visit")["capacity"] == 40
    )


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
            assert (
                sum(key in p["wants"]["site_visits"] for p in PARTS) <= item["capacity"]
            )
