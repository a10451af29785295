"""The event catalogue (``events/``) against itself, its README and registration's event builders.

Calling a builder is itself a schema check: ``make_event`` validates ``data``
against the catalogue and raises ``EventSchemaViolation`` on any violation.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from registration import events
from registration.domain.workflow import PARTICIPATION_STATUSES
from shared import context
from shared.events.catalogue import catalogue, catalogue_dir, public_types, schema_errors
from shared.events.envelope import EventSchemaViolation

EVENTS_DIR = catalogue_dir()
SCHEMAS_DIR = EVENTS_DIR / "schemas"
BUILDERS = Path(events.__file__)
PREFIX = "vn.ketnoi.registration."
INTERNAL = {f"{PREFIX}organisation.contacts_changed.v1", f"{PREFIX}checkin.recorded.v1"}
PERSONAL = ("email", "phone", "delegates", "tax_code", "full_name", "contact")

EDITION_ID = "66b1f0c2a1e4d3b2c1a09f01"
SERIES_ID = "66b1f0c2a1e4d3b2c1a09f00"
ORG_ID = "66b1f0c2a1e4d3b2c1a09f10"
HOUSEHOLD_ID = "66b1f0c2a1e4d3b2c1a09f11"
BUYER_ID = "66b1f0c2a1e4d3b2c1a09f12"


def load_schema(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def event_types_in_builders() -> set[str]:
    """Every ``_event("<kind>"`` in registration/events.py, ``{status}`` expanded."""
    kinds = re.findall(r'(?<![\w.])_event\(f?"([^"]+)"', BUILDERS.read_text(encoding="utf-8"))
    assert kinds, "no _event(...) calls found"
    types = set()
    for kind in kinds:
        expanded = [kind.replace("{status}", s) for s in PARTICIPATION_STATUSES] if "{" in kind else [kind]
        assert all("{" not in k for k in expanded), f"unexpanded placeholder in {kind}"
        types.update(f"{PREFIX}{k}.v1" for k in expanded)
    return types


def property_names(schema: Any) -> set[str]:
    """Every property name declared anywhere in a schema (properties, items, $defs, if/then, ...)."""
    found: set[str] = set()
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key in ("properties", "patternProperties", "dependentSchemas") and isinstance(value, dict):
                found.update(value)
            if key in ("required", "dependentRequired") and isinstance(value, list):
                found.update(v for v in value if isinstance(v, str))
            found |= property_names(value)
    elif isinstance(schema, list):
        for item in schema:
            found |= property_names(item)
    return found


# -- sample documents, shaped as registration stores them ------------------------------


def edition() -> dict[str, Any]:
    return {
        "_id": EDITION_ID,
        "series_id": SERIES_ID,
        "title": {"vi": "Hội nghị Kết nối cung cầu 2025", "en": ""},
        "status": "open",
        "host_province": "quang-tri",
        "partner_provinces": ["hue", "ha-tinh"],
        "starts_on": "2025-09-18",
        "ends_on": "2025-09-20",
        "timezone": "Asia/Ho_Chi_Minh",
        "venue": {"name": "Trung tâm Hội nghị tỉnh", "address": "Đông Hà"},
        "capacity": {"exhibitor": 120, "buyer": 80},
        "version": 3,
    }


def enterprise() -> dict[str, Any]:
    return {
        "_id": ORG_ID,
        "kind": "enterprise",
        "legal_name": {"vi": "Công ty TNHH Cà phê Khe Sanh", "en": "Khe Sanh Coffee Co., Ltd"},
        "tax_code": "0100109106",
        "province": "quang-tri",
        "sectors": ["agriculture", "coffee"],
        "delegates": {
            "d2": {"name": "Trần Thị B", "email": "b@example.vn", "phone": "+84912345679", "preferred_language": "vi"},
            "d1": {
                "name": "Nguyễn Văn A",
                "position": "Giám đốc",
                "email": "a@example.vn",
                "phone": "+84912345678",
                "preferred_language": "en",
                "interpreter_language": None,
            },
        },
        "version": 2,
    }


def household() -> dict[str, Any]:
    return {
        "_id": HOUSEHOLD_ID,
        "kind": "household_business",
        "legal_name": {"vi": "Hộ kinh doanh Lê Văn C"},
        "tax_code": "8012345678",
        "province": "ha-tinh",
        "sectors": ["handicraft"],
        "delegates": {
            "d3": {"name": "Lê Văn C", "email": "c@example.vn", "phone": "+84987654321", "preferred_language": "vi"}
        },
        "version": 1,
    }


def foreign_buyer() -> dict[str, Any]:
    return {
        "_id": BUYER_ID,
        "kind": "foreign_buyer",
        "legal_name": {"vi": "Công ty Thương mại Seoul", "en": "Seoul Trading Co."},
        "tax_code": None,
        "foreign": {"country": "KR", "registration_no": "110-81-12345"},
        "province": None,
        "sectors": [],
        "version": 1,
    }


def product(**overrides: Any) -> dict[str, Any]:
    return {
        "_id": "66b1f0c2a1e4d3b2c1a09f20",
        "organisation_id": ORG_ID,
        "name": {"vi": "Cà phê Arabica Khe Sanh", "en": "Khe Sanh Arabica coffee"},
        "category": "coffee",
        "ocop": {"stars": 4, "certificate_no": "QT-2024-017", "year": 2024},
        "certifications": ["vietgap", "organic"],
        "unit": "kg",
        "origin_province": "quang-tri",
        **overrides,
    }


def participation(org: dict[str, Any], status: str, **overrides: Any) -> dict[str, Any]:
    """A participation with the organisation snapshot the builder reads (``org``)."""
    foreign = org.get("foreign") or {}
    return {
        "_id": f"66b1f0c2a1e4d3b2c1a09f3{len(status)}",
        "edition_id": EDITION_ID,
        "organisation_id": org["_id"],
        "org": {
            "kind": org["kind"],
            "public_name": events.public_name(org),
            "province": org.get("province"),
            "province_2025": org.get("province"),
            "country": foreign.get("country", "VN"),
            "sectors": org.get("sectors", []),
            "ocop_max_stars": 4 if org["kind"] == "enterprise" else None,
        },
        "role": "buyer" if org["kind"] == "foreign_buyer" else "exhibitor",
        "status": status,
        "wants": {"booths": 2, "b2b": True, "site_visits": ["khe-sanh-farm"], "livestream": False},
        "reason": "Hồ sơ thiếu giấy chứng nhận." if status == "rejected" else None,
        "version": 4,
        **overrides,
    }


def every_builder_call() -> list[dict[str, Any]]:
    ed = edition()
    calls = [
        events.series_created({"_id": SERIES_ID, "name": {"vi": "Kết nối cung cầu", "en": "Supply meets demand"}}),
        events.edition_created(ed),
        events.edition_updated(ed, ["venue", "starts_on"]),
        events.edition_status_changed(ed, "draft"),
        events.product_registered(product()),
        events.product_registered(product(ocop=None, origin_province=None, certifications=[])),
        events.checkin_recorded(
            {
                "_id": "c1",
                "edition_id": EDITION_ID,
                "participation_id": "66b1f0c2a1e4d3b2c1a09f38",
                "delegate_id": "d1",
                "gate": "A",
                "at": "2025-09-18T01:05:00.000000Z",  # stored as UTC text (shared.timestamps)
            }
        ),
    ]
    for org in (enterprise(), household(), foreign_buyer()):
        calls += [events.organisation_registered(org), events.organisation_updated(org), events.contacts_changed(org)]
        calls += [events.participation_changed(participation(org, s)) for s in PARTICIPATION_STATUSES]
    calls.append(events.participation_changed(participation(enterprise(), "approved"), promoted=True))
    calls.append(events.participation_changed(participation(enterprise(), "waitlisted"), status="approved"))
    return calls


# -- the catalogue and its schema files --------------------------------------------------


def test_catalogue_file_is_well_formed():
    raw = yaml.safe_load((EVENTS_DIR / "catalogue.yaml").read_text(encoding="utf-8"))
    for name, spec in raw["events"].items():
        assert set(spec) == {"producer", "visibility", "schema", "description"}, name
        assert re.fullmatch(r"vn\.ketnoi\.[a-z_]+(\.[a-z_]+)+\.v[0-9]+", name), name
        assert spec["visibility"] in ("public", "internal"), name
        assert spec["schema"] == f"schemas/{name}.json", name
        assert spec["producer"] == name.split(".")[2], name
        assert len(spec["description"].split()) >= 8, name


@pytest.mark.parametrize("path", sorted(SCHEMAS_DIR.glob("*.json")), ids=lambda p: p.name)
def test_schema_is_valid_draft_2020_12(path):
    schema = load_schema(path)
    Draft202012Validator.check_schema(schema)
    event_type = path.name.removesuffix(".json")
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://schemas.ketnoi.vn/events/{event_type}.json"
    assert schema["title"] and schema["description"]
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) <= set(schema["properties"])
    assert "$ref" not in json.dumps(schema), "the catalogue's validator resolves no references"


def test_every_catalogue_entry_has_its_schema_and_every_schema_is_catalogued():
    listed = {(EVENTS_DIR / spec.schema_file).resolve() for spec in catalogue().values()}
    assert all(path.is_file() for path in listed)
    assert {p.resolve() for p in SCHEMAS_DIR.glob("*.json")} == listed
    assert not [p for p in SCHEMAS_DIR.iterdir() if p.suffix != ".json"]


def test_visibility():
    assert set(catalogue()) - set(public_types()) == INTERNAL


@pytest.mark.parametrize("event_type", public_types())
def test_public_schemas_have_no_personal_data(event_type):
    names = property_names(load_schema(EVENTS_DIR / catalogue()[event_type].schema_file))
    leaks = sorted(n for n in names if any(word in n.lower() for word in PERSONAL))
    assert not leaks, f"{event_type} declares personal data: {leaks}"


def test_every_type_the_builders_emit_is_catalogued():
    emitted = event_types_in_builders()
    assert emitted <= set(catalogue())
    assert set(catalogue()) == emitted, "catalogued types nobody emits"


def test_readme_mentions_every_type():
    readme = (EVENTS_DIR / "README.md").read_text(encoding="utf-8")
    missing = [t for t in catalogue() if t not in readme]
    assert not missing


# -- the builders against the schemas -------------------------------------------------------


def test_every_builder_produces_valid_cloudevents(monkeypatch):
    monkeypatch.setattr(context._local, "request_id", "req-42", raising=False)
    built = every_builder_call()
    assert {e["type"] for e in built} == set(catalogue())
    for event in built:
        assert event["specversion"] == "1.0"
        assert event["source"] == "/ketnoi/registration"
        assert event["datacontenttype"] == "application/json"
        assert event["correlationid"] == "req-42"
        assert re.fullmatch(r"[a-z]+/[0-9a-z]+", event["subject"]), event["subject"]
        assert datetime.fromisoformat(event["time"]).utcoffset() == timedelta(0)
        assert schema_errors(event["type"], event["data"]) == []
        # formats (date, date-time, email) are annotations in the catalogue's validator: check them too
        schema = load_schema(EVENTS_DIR / catalogue()[event["type"]].schema_file)
        checker = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        assert not list(checker.iter_errors(event["data"])), event["type"]
    assert len({e["id"] for e in built}) == len(built)


def test_no_correlation_id_outside_a_request(monkeypatch):
    monkeypatch.setattr(context._local, "request_id", None, raising=False)
    assert "correlationid" not in events.edition_created(edition())


def test_household_business_name_is_withheld_from_public_events():
    org = household()
    for event in (events.organisation_registered(org), events.organisation_updated(org)):
        assert event["data"]["name"] is None
        assert "Lê Văn C" not in json.dumps(event, ensure_ascii=False)
    for status in PARTICIPATION_STATUSES:
        event = events.participation_changed(participation(org, status))
        assert event["data"]["organisation_name"] is None
        assert "Lê Văn C" not in json.dumps(event, ensure_ascii=False)


def test_schemas_refuse_a_household_business_name():
    data = events.organisation_registered(household())["data"]
    assert schema_errors(f"{PREFIX}organisation.registered.v1", {**data, "name": {"vi": "Hộ Lê Văn C"}})
    snapshot = participation(household(), "submitted")
    snapshot["org"]["public_name"] = {"vi": "Hộ Lê Văn C"}
    with pytest.raises(EventSchemaViolation):
        events.participation_changed(snapshot)


def test_public_events_carry_no_contact_details():
    org = enterprise()
    public = [events.organisation_registered(org), events.organisation_updated(org)]
    public += [events.participation_changed(participation(org, s)) for s in PARTICIPATION_STATUSES]
    for event in public:
        text = json.dumps(event, ensure_ascii=False)
        for secret in ("Nguyễn Văn A", "a@example.vn", "+84912345678", "0100109106"):
            assert secret not in text, (event["type"], secret)


def test_contacts_changed_lists_delegates_in_id_order():
    data = events.contacts_changed(enterprise())["data"]
    assert [d["delegate_id"] for d in data["delegates"]] == ["d1", "d2"]
    assert data["delegates"][0] == {
        "delegate_id": "d1",
        "name": "Nguyễn Văn A",
        "email": "a@example.vn",
        "phone": "+84912345678",
        "preferred_language": "en",
    }


def test_organisation_and_participation_details():
    assert events.organisation_registered(enterprise())["data"]["country"] == "VN"
    buyer = events.organisation_registered(foreign_buyer())["data"]
    assert (buyer["country"], buyer["province"]) == ("KR", None)
    edition_data = events.edition_created(edition())["data"]
    assert edition_data["title"] == {"vi": "Hội nghị Kết nối cung cầu 2025"}
    assert edition_data["venue"] == "Trung tâm Hội nghị tỉnh"
    assert events.edition_updated(edition(), ["venue", "capacity"])["data"]["changed"] == ["capacity", "venue"]


def test_status_specific_fields():
    for status in PARTICIPATION_STATUSES:
        data = events.participation_changed(participation(enterprise(), status))["data"]
        assert data["status"] == status
        assert ("reason" in data) is (status == "rejected")
        assert ("promoted_from_waitlist" in data) is (status == "approved")
    promoted = events.participation_changed(participation(enterprise(), "waitlisted"), "approved", promoted=True)
    assert promoted["type"] == f"{PREFIX}participation.approved.v1"
    assert promoted["data"]["promoted_from_waitlist"] is True


def test_schemas_reject_what_the_contract_forbids():
    good = events.participation_changed(participation(enterprise(), "approved"))["data"]
    approved = f"{PREFIX}participation.approved.v1"
    assert schema_errors(approved, {**good, "email": "a@example.vn"})
    assert schema_errors(approved, {**good, "status": "rejected"})
    assert schema_errors(approved, {k: v for k, v in good.items() if k != "promoted_from_waitlist"})
    assert schema_errors(approved, {**good, "country": "vn"})
    assert schema_errors(approved, {**good, "province": "Quảng Trị"})
    assert schema_errors(approved, {**good, "version": 0})
    assert schema_errors(approved, {**good, "wants": {**good["wants"], "booths": -1}})
    assert schema_errors(f"{PREFIX}participation.submitted.v1", {**good, "status": "submitted"})
    with pytest.raises(EventSchemaViolation):
        events.participation_changed(participation(enterprise(), "rejected", reason=None))
    with pytest.raises(EventSchemaViolation):
        events.edition_created({**edition(), "capacity": {"speaker": 3}})
