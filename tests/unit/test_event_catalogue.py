"""The event catalogue (``events/``) against itself, its README and the event builders of its producers.

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

from booths import events as booth_events
from booths.domain.floorplan import KINDS as BOOTH_KINDS
from meetings import events as meeting_events
from notifications import events as notification_events
from registration import events
from registration.domain.workflow import PARTICIPATION_STATUSES
from shared.events.catalogue import catalogue, catalogue_dir, public_types, schema_errors
from shared.events.envelope import EventSchemaViolation
from shared.logs import scoped
from shared.timestamps import from_text

EVENTS_DIR = catalogue_dir()
SCHEMAS_DIR = EVENTS_DIR / "schemas"
BUILDERS = Path(events.__file__)
PREFIX = "vn.ketnoi.registration."
BOOTHS_PREFIX = "vn.ketnoi.booths."
MEETINGS_PREFIX = "vn.ketnoi.meetings."
MEETING_KINDS = (
    "requested",
    "accepted",
    "declined",
    "expired",
    "cancelled",
    "scheduled",
    "rescheduled",
    "status_changed",
)
OFFER_STATUSES = ("open", "accepted", "declined", "expired", "withdrawn")
OFFER_KINDS = ("made", "accepted", "declined", "expired", "withdrawn")  # offer.<kind>: "open" is announced as "made"
# producer -> (builders module, type prefix, values of each placeholder in its f-string kinds)
PRODUCERS = {
    "registration": (BUILDERS, PREFIX, {"{status}": PARTICIPATION_STATUSES}),
    "booths": (Path(booth_events.__file__), BOOTHS_PREFIX, {"{kind}": OFFER_KINDS}),
    "meetings": (Path(meeting_events.__file__), MEETINGS_PREFIX, {"{kind}": MEETING_KINDS}),
    "notifications": (
        Path(notification_events.__file__),
        "vn.ketnoi.notifications.",
        {"{kind}": ("sent", "failed", "dead_lettered")},
    ),
}
INTERNAL = {
    f"{PREFIX}organisation.contacts_changed.v1",
    f"{PREFIX}checkin.recorded.v1",
    f"{PREFIX}participation.rejection_explained.v1",
    f"{PREFIX}claim.requested.v1",
    f"{BOOTHS_PREFIX}override.recorded.v1",
    f"{BOOTHS_PREFIX}application.submitted.v1",
    *(f"{MEETINGS_PREFIX}meeting.{kind}.v1" for kind in MEETING_KINDS),
    f"{MEETINGS_PREFIX}agenda.published.v1",
    f"{MEETINGS_PREFIX}profile.stated.v1",
    f"{MEETINGS_PREFIX}availability.changed.v1",
    f"{MEETINGS_PREFIX}time_away.changed.v1",
    f"{MEETINGS_PREFIX}supplier_tables.set.v1",
    f"{MEETINGS_PREFIX}schedule.requested.v1",
    *(f"vn.ketnoi.notifications.notification.{kind}.v1" for kind in ("sent", "failed", "dead_lettered")),
    "vn.ketnoi.notifications.preferences.changed.v1",
}
CODE = r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}"
SUBJECTS = {
    "registration": r"[a-z]+/[0-9a-z]+",
    "booths": rf"editions/[0-9a-z_]+/(booths/{CODE}|(offers|allocations|applications)/[0-9a-z_]+"
    r"|floor-plan|booth-rules)",
    "meetings": r"(sessions/[0-9a-z_]+(/(meetings|participants|jobs)/[0-9a-z_]+)?"
    r"|editions/[0-9a-z_]+/(mous|participants)/[0-9a-z_]+)",
    "notifications": r"(notifications/[^/]+|delegates/[0-9a-z_]+/preferences)",
}
BOOTH_TIMESTAMPS = ("expires_at", "starts_at", "ends_at", "at")
PERSONAL = ("email", "phone", "delegates", "tax_code", "full_name", "contact")

EDITION_ID = "66b1f0c2a1e4d3b2c1a09f01"
SERIES_ID = "66b1f0c2a1e4d3b2c1a09f00"
ORG_ID = "66b1f0c2a1e4d3b2c1a09f10"
HOUSEHOLD_ID = "66b1f0c2a1e4d3b2c1a09f11"
BUYER_ID = "66b1f0c2a1e4d3b2c1a09f12"


def load_schema(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def event_types_in_builders(producer: str | None = None) -> set[str]:
    """Every ``_event("<kind>"`` in each producer's events.py (or one producer's), placeholders expanded."""
    types = set()
    for name, (path, prefix, placeholders) in PRODUCERS.items():
        if producer not in (None, name):
            continue
        kinds = re.findall(r'(?<![\w.])_event\(\s*f?"([^"]+)"', path.read_text(encoding="utf-8"))
        assert kinds, f"no _event(...) calls found in {path}"
        for kind in kinds:
            expanded = [kind]
            for placeholder, values in placeholders.items():
                if placeholder in kind:
                    expanded = [k.replace(placeholder, v) for k in expanded for v in values]
            assert all("{" not in k for k in expanded), f"unexpanded placeholder in {kind}"
            types.update(f"{prefix}{k}.v1" for k in expanded)
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
        events.product_registered(product(), "quang-tri"),
        events.product_registered(product(ocop=None, origin_province=None, certifications=[]), None),
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
    calls.append(events.rejection_explained(participation(household(), "rejected", reason_code="incomplete")))
    calls += [
        events.claim_requested(claim(), org, "1767225600.AAAAAAAAAAAAAAAAAAAAAA") for org in (enterprise(), household())
    ]
    return calls


def claim() -> dict[str, Any]:
    """A registration claim as registration stores it (the builder reads ids, role, delegates, expiry)."""
    return {
        "_id": "66b1f0c2a1e4d3b2c1a09f50",
        "edition_id": EDITION_ID,
        "organisation_id": ORG_ID,
        "role": "exhibitor",
        "status": "pending",
        "expires_at": "2026-01-01T00:00:00.000000Z",
        "version": 1,
        "delegates": {
            "d9": {"name": "Phạm Văn D", "email": "d@example.vn", "phone": "+84912000111", "preferred_language": "vi"}
        },
    }


# -- sample documents, shaped as booths stores them -------------------------------------------

RUN_ID = "run_0193a1b2c3d4e5f60718293a"
OFFER_ID = "off_0193a1b2c3d4e5f60718293b"


def booth(code: str = "A-12", kind: str = "standard", **overrides: Any) -> dict[str, Any]:
    """A booth as stored (the builders read edition_id, code, zone and kind)."""
    return {
        "_id": f"{EDITION_ID}:{code}",
        "edition_id": EDITION_ID,
        "code": code,
        "zone": "A",
        "size": "3x3",
        "kind": kind,
        "features": ["power"],
        "price_vnd": 12_000_000,
        "holder": None,
        "offer": None,
        **overrides,
    }


def holder(org: dict[str, Any], quota_group: str | None = "bac-trung-bo") -> dict[str, Any]:
    """Who holds a booth (booths.views.holder): the organisation's public name from the approved participation."""
    return {
        "participation_id": f"66b1f0c2a1e4d3b2c1a09f4{org['_id'][-1]}",
        "organisation_id": org["_id"],
        "name": events.public_name(org),
        "province": org.get("province"),
        "quota_group": quota_group,
    }


def allocation_run(**overrides: Any) -> dict[str, Any]:
    """A stored run (booths.views.run_document); the builder reads only the totals."""
    return {
        "_id": RUN_ID,
        "edition_id": EDITION_ID,
        "objective": 118.254,
        "assignments": {holder(enterprise())["participation_id"]: ["A-12", "A-13"]},
        "groups": {holder(enterprise())["participation_id"]: "bac-trung-bo"},
        "explanations": {},
        "moved": [holder(enterprise())["participation_id"]],
        "allocated": 2,
        "unallocated": 1,
        "duration_ms": 41.5,
        "solver": {},
        "committed_at": None,
        **overrides,
    }


def offer(status: str = "open", **overrides: Any) -> dict[str, Any]:
    return {
        "_id": OFFER_ID,
        "edition_id": EDITION_ID,
        "booth_code": "A-12",
        "participation_id": holder(household())["participation_id"],
        "organisation_id": HOUSEHOLD_ID,
        "quota_group": "bac-trung-bo",
        "province": "ha-tinh",
        "status": status,
        "expires_at": "2025-09-10T01:00:00.000000Z",
        "created_at": "2025-09-08T01:00:00.000000Z",
        **overrides,
    }


def audit_entry(action: str, **overrides: Any) -> dict[str, Any]:
    return {
        "_id": "aud_0193a1b2c3d4e5f60718293c",
        "edition_id": EDITION_ID,
        "booth_code": "A-12",
        "action": action,
        "participation_id": holder(enterprise())["participation_id"],
        "to_booth": "B.07" if action == "move" else None,
        "reason": "Gian hàng gần lối thoát hiểm, chuyển theo yêu cầu của ban tổ chức.",
        "by": "usr_organiser_7",
        "at": "2025-09-12T03:30:00.000000Z",
        **overrides,
    }


def slot(org: dict[str, Any]) -> dict[str, Any]:
    return {
        "_id": f"{EDITION_ID}:LS-1:2025-09-18T02:00:00.000000Z",
        "edition_id": EDITION_ID,
        "booth_code": "LS-1",
        "starts_at": "2025-09-18T02:00:00.000000Z",
        "ends_at": "2025-09-18T02:30:00.000000Z",
        "participation_id": holder(org)["participation_id"],
        "organisation_id": org["_id"],
        "organisation_name": events.public_name(org),
    }


def every_booths_builder_call() -> list[dict[str, Any]]:
    holders = [holder(enterprise()), holder(household(), None), holder(foreign_buyer(), "quoc-te")]
    calls = []
    for kind in BOOTH_KINDS:
        calls.append(booth_events.booth_allocated(booth(f"{kind[0].upper()}-1", kind), holders[0], "allocation"))
    for h in holders:
        calls += [booth_events.booth_allocated(booth(), h, s) for s in ("allocation", "claim", "offer", "override")]
        calls += [
            booth_events.booth_released(booth(holder=h), h, r)
            for r in ("participation_cancelled", "reallocated", "moved", "override")
        ]
    calls += [
        booth_events.allocation_committed(allocation_run()),
        booth_events.allocation_committed(allocation_run(objective=0, allocated=0, unallocated=0, moved=[])),
    ]
    calls.append(booth_events.offer_changed(offer()))
    calls += [booth_events.offer_changed(offer(), s) for s in OFFER_STATUSES]
    calls += [booth_events.offer_changed(offer(s)) for s in OFFER_STATUSES]
    calls += [booth_events.override_recorded(audit_entry(a)) for a in ("assign", "move", "release")]
    calls.append(booth_events.override_recorded(audit_entry("release", participation_id=None)))
    calls += [
        booth_events.slot_booked(slot(org), org["province"]) for org in (enterprise(), household(), foreign_buyer())
    ]
    calls.append(booth_events.offer_changed(offer(province="foreign", quota_group="quoc-te")))
    applicant = {"_id": "par_1", "edition_id": EDITION_ID, "organisation_id": ORG_ID}
    preferences = [{"type": "booth", "value": "A01"}, {"type": "zone", "value": "A"}]
    calls += [
        booth_events.application_submitted(
            applicant,
            {
                "booths_wanted": 2,
                "preferences": preferences,
                "needs": ["power"],
                "submitted_at": "2024-07-01T02:00:00.000000Z",
            },
        ),
        booth_events.application_submitted(
            applicant,
            {"booths_wanted": 1, "preferences": [], "needs": [], "submitted_at": "2024-07-01T02:00:00.000000Z"},
        ),
    ]
    calls += [
        booth_events.floor_plan_imported(
            EDITION_ID, 82, [{"code": "A", "name": "Nhà A"}], [{"code": "A1", "hall": "A", "name": "OCOP"}]
        ),
        booth_events.floor_plan_imported(EDITION_ID, 0, [], []),
    ]
    groups = [
        {"name": "host", "booths": 36, "provinces": ["thanh-hoa"], "province_cap": None, "province_caps": {}},
        {"name": "others", "booths": 46, "provinces": None, "province_cap": 6, "province_caps": {"nghe-an": 8}},
    ]
    calls += [
        booth_events.rules_set(EDITION_ID, {"groups": groups, "organisation_max": 2, "offer_hours": 48}),
        booth_events.rules_set(EDITION_ID, {"groups": groups[1:], "organisation_max": None, "offer_hours": 24}),
    ]
    return calls


def b2b_session() -> dict[str, Any]:
    return {
        "_id": "ses_1",
        "edition_id": EDITION_ID,
        "name": {"vi": "Kết nối B2B", "en": "B2B"},
        "timezone": "Asia/Ho_Chi_Minh",
        "date": "2025-07-10",
        "slot_minutes": 20,
        "breaks": ["S02"],
        "tables": ["T01", "T02"],
        "mode": "optimise",
        "interpreters": {"ja": 2, "zh": 1},
        "slots": [
            {"id": "S01", "starts_at": "2025-07-10T13:30:00+07:00", "ends_at": "2025-07-10T13:50:00+07:00"},
            {"id": "S02", "starts_at": "2025-07-10T13:50:00+07:00", "ends_at": "2025-07-10T14:10:00+07:00"},
        ],
        "agenda": {"stage": "final", "version": 2, "published_at": "2025-07-09T01:00:00.000000Z"},
    }


def b2b_meeting(status: str = "accepted", slot: str | None = "S01", household_supplier: bool = False) -> dict:
    supplier = {
        "participation_id": "par_s",
        "organisation_id": HOUSEHOLD_ID if household_supplier else ORG_ID,
        "name": None if household_supplier else {"vi": "HTX Nấm Tân Hợp"},
        "country": "VN",
        "province": "quang-tri",
    }
    buyer = {
        "participation_id": "par_b",
        "organisation_id": BUYER_ID,
        "name": {"vi": "Kansai Food", "en": "Kansai"},
        "country": "JP",
        "province": None,
    }
    return {
        "_id": "mtg_1",
        "session_id": "ses_1",
        "edition_id": EDITION_ID,
        "supplier": supplier,
        "buyer": buyer,
        "requested_by": "buyer",
        "brokered": "no",
        "status": status,
        "language": "ja",
        "sequence": 1,
        "expires_at": "2025-07-08T00:00:00.000000Z" if status == "requested" else None,
        "slot": slot,
        "table": "T01" if slot else None,
    }


def every_meetings_builder_call() -> list[dict[str, Any]]:
    session = b2b_session()
    calls = [
        meeting_events.meeting_event("requested", b2b_meeting("requested", None), session),
        meeting_events.meeting_event("accepted", b2b_meeting(slot=None), session),
        meeting_events.meeting_event("accepted", b2b_meeting(household_supplier=True), session),
        meeting_events.meeting_event("accepted", b2b_meeting(), session, auto_accepted=True),
        meeting_events.meeting_event("declined", b2b_meeting("declined", None), session, reason="declined"),
        meeting_events.meeting_event("expired", b2b_meeting("expired", None), session, reason="no_answer"),
        meeting_events.meeting_event("cancelled", b2b_meeting("cancelled"), session, reason="participation_cancelled"),
        meeting_events.meeting_event("scheduled", b2b_meeting(), session),
        meeting_events.meeting_rescheduled(b2b_meeting(slot="S02"), session, "S01", "T03"),
        meeting_events.meeting_rescheduled(b2b_meeting(slot=None), session, "S01", "T03"),
        meeting_events.status_changed(b2b_meeting(), session, "done", "checked_in"),
        meeting_events.status_changed(b2b_meeting(), session, "no_show", None),
        meeting_events.agenda_published(session, ["par_b", "par_s"]),
        meeting_events.session_created(session),
        meeting_events.session_created(
            {**session, "name": {"vi": "Phiên chiều"}, "interpreters": {}, "mode": "pick", "breaks": []}
        ),
        meeting_events.profile_stated(
            {"_id": "par_b", "edition_id": EDITION_ID, "organisation_id": BUYER_ID, "side": "buyer"},
            {
                "offers": [],
                "seeks": ["nấm"],
                "volumes": "2 container/tháng",
                "markets": ["JP"],
                "certifications_held": [],
                "certifications_required": ["HACCP"],
                "languages": ["ja"],
                "priority": 3,
            },
        ),
        meeting_events.profile_stated(
            {"_id": "par_s", "edition_id": EDITION_ID, "organisation_id": ORG_ID, "side": "supplier"},
            {
                "offers": ["nấm"],
                "seeks": [],
                "markets": [],
                "certifications_held": [],
                "certifications_required": [],
                "languages": [],
                "priority": 0,
            },
        ),
        meeting_events.availability_changed(session, "par_b", ["S01", "S02"]),
        meeting_events.availability_changed(session, "par_b", []),
        meeting_events.time_away_changed(
            EDITION_ID,
            "par_s",
            [
                {
                    "kind": "booth_duty",
                    "starts_at": "2025-07-10T08:00:00+07:00",
                    "ends_at": "2025-07-10T10:30:00+07:00",
                    "note": "ca sáng",
                }
            ],
        ),
        meeting_events.time_away_changed(EDITION_ID, "par_s", []),
        meeting_events.supplier_tables_set(session, {"par_s": "T03", "par_t": "T100"}),
        meeting_events.supplier_tables_set(session, {}),
        meeting_events.schedule_requested(
            {
                "_id": "job_1",
                "session_id": "ses_1",
                "edition_id": EDITION_ID,
                "request": {"full": False, "rebook_no_shows": False},
            }
        ),
        meeting_events.schedule_requested(
            {
                "_id": "job_2",
                "session_id": "ses_1",
                "edition_id": EDITION_ID,
                "request": {"full": True, "rebook_no_shows": True, "now": "S03"},
            }
        ),
        meeting_events.session_scheduled(
            {
                "_id": "run_1",
                "session_id": "ses_1",
                "edition_id": EDITION_ID,
                "mode": "full",
                "meetings": 5,
                "scheduled": 4,
                "unplaced": [{"meeting_id": "m", "reason": "no_table"}],
                "moved": [],
                "slots_used": 3,
                "delta": 3,
                "slots_available": 11,
                "solver_ms": 2.5,
            }
        ),
    ]
    parties = [
        {
            "organisation_id": ORG_ID,
            "kind": "cooperative",
            "name": {"vi": "HTX"},
            "province": "quang-tri",
            "province_2025": "quang-tri",
            "country": "VN",
        },
        {
            "organisation_id": None,
            "kind": "alliance",
            "name": {"vi": "Liên minh HTX"},
            "province": "ha-tinh",
            "province_2025": "ha-tinh",
            "country": "VN",
        },
    ]
    for value in ({"amount": 2_500_000_000, "currency": "VND"}, None):
        calls.append(
            meeting_events.mou_signed(
                {
                    "_id": "mou_1",
                    "edition_id": EDITION_ID,
                    "kind": "mou",
                    "title": {"vi": "Biên bản ghi nhớ"},
                    "sector": "wood",
                    "products": ["bàn ghế"],
                    "value": value,
                    "signed_on": "2025-07-10",
                    "parties": parties,
                    "meeting_ids": ["mtg_1"],
                    "document_ref": None,
                }
            )
        )
    return calls


def every_notifications_builder_call() -> list[dict[str, Any]]:
    message = {
        "_id": "evt1.dlg2.email",
        "event_id": "evt1",
        "event_type": f"{PREFIX}participation.approved.v1",
        "template": "participation.approved",
        "channel": "email",
        "language": "vi",
        "recipient_id": "dlg2",
        "organisation_id": ORG_ID,
        "edition_id": EDITION_ID,
        "attempts": 1,
        "status": "sent",
    }
    return [
        notification_events.message_event("sent", message),
        notification_events.message_event("failed", {**message, "status": "pending"}, "451 try later"),
        notification_events.message_event(
            "dead_lettered", {**message, "status": "dead", "edition_id": None}, "550 no such user"
        ),
        notification_events.preferences_changed(ORG_ID, "dlg2", {"sms": True, "email": False}, "member"),
        notification_events.preferences_changed(
            ORG_ID, "dlg2", {"unsubscribed_non_essential": True}, "unsubscribe_link"
        ),
    ]


# -- the catalogue and its schema files --------------------------------------------------


def test_catalogue_file_is_well_formed():
    raw = yaml.safe_load((EVENTS_DIR / "catalogue.yaml").read_text(encoding="utf-8"))
    for name, spec in raw["events"].items():
        routed = {"routing"} if spec["visibility"] == "public" else set()
        assert set(spec) == {"producer", "visibility", "schema", "description"} | routed, name
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
    for producer in PRODUCERS:
        types = event_types_in_builders(producer)
        assert types, producer
        assert {catalogue()[t].producer for t in types} == {producer}
    assert f"{BOOTHS_PREFIX}offer.made.v1" in event_types_in_builders("booths")


def test_readme_mentions_every_type():
    readme = (EVENTS_DIR / "README.md").read_text(encoding="utf-8")
    missing = [t for t in catalogue() if t not in readme]
    assert not missing


# -- the builders against the schemas -------------------------------------------------------


def test_every_builder_produces_valid_cloudevents():
    with scoped(request_id="req-42"):  # as in a worker serving that request
        built = (
            every_builder_call()
            + every_booths_builder_call()
            + every_meetings_builder_call()
            + every_notifications_builder_call()
        )
    assert {e["type"] for e in built} == set(catalogue())
    for event in built:
        producer = catalogue()[event["type"]].producer
        assert event["specversion"] == "1.0"
        assert event["source"] == f"/ketnoi/{producer}"
        assert event["datacontenttype"] == "application/json"
        assert event["correlationid"] == "req-42"
        assert re.fullmatch(SUBJECTS[producer], event["subject"]), event["subject"]
        assert datetime.fromisoformat(event["time"]).utcoffset() == timedelta(0)
        assert schema_errors(event["type"], event["data"]) == []
        # formats (date, date-time, email) are annotations in the catalogue's validator: check them too
        schema = load_schema(EVENTS_DIR / catalogue()[event["type"]].schema_file)
        checker = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        assert not list(checker.iter_errors(event["data"])), event["type"]
    assert len({e["id"] for e in built}) == len(built)


def test_no_correlation_id_outside_a_request():
    assert "correlationid" not in events.edition_created(edition())
    assert "correlationid" not in booth_events.offer_changed(offer(), "expired")  # the expiry timer


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


def test_a_rejection_tells_provinces_a_code_and_only_the_applicant_the_organiser_s_words():
    """Found from outside: the organiser's reason, with a phone number and an e-mail address in it, reached
    another province's consumer."""
    words = "Liên hệ chị Nguyễn Thị Hoa 0912 345 678, hoa@example.vn để bổ sung hồ sơ."
    rejected = participation(enterprise(), "rejected", reason=words, reason_code="incomplete")
    public = events.participation_changed(rejected)
    assert (public["data"]["reason"], public["data"]["reason_code"]) == ("incomplete", "incomplete")
    assert words not in json.dumps(public, ensure_ascii=False) and catalogue()[public["type"]].public
    explained = events.rejection_explained(rejected)
    assert explained["data"]["reason"] == words and not catalogue()[explained["type"]].public
    assert events.participation_changed(participation(enterprise(), "rejected"))["data"]["reason"] == "other"


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
        events.rejection_explained(participation(enterprise(), "rejected", reason=None))
    with pytest.raises(EventSchemaViolation):
        events.edition_created({**edition(), "capacity": {"speaker": 3}})


# -- booths ------------------------------------------------------------------------------------


def test_booths_subjects_and_timestamps():
    for event in every_booths_builder_call():
        data = event["data"]
        assert event["subject"].startswith(f"editions/{data['edition_id']}/")
        if "/booths/" in event["subject"]:
            assert event["subject"].endswith(f"/booths/{data['booth_code']}")
        for key in BOOTH_TIMESTAMPS:
            if key in data:
                assert from_text(data[key]).utcoffset() == timedelta(0), (event["type"], key)
    assert booth_events.offer_changed(offer())["subject"] == f"editions/{EDITION_ID}/offers/{OFFER_ID}"
    assert booth_events.allocation_committed(allocation_run())["subject"] == (
        f"editions/{EDITION_ID}/allocations/{RUN_ID}"
    )


def test_offer_type_follows_its_status():
    for status, kind in zip(OFFER_STATUSES, OFFER_KINDS, strict=True):
        for event in (booth_events.offer_changed(offer(), status), booth_events.offer_changed(offer(status))):
            assert event["type"] == f"{BOOTHS_PREFIX}offer.{kind}.v1"
            assert event["data"]["status"] == status
            assert event["data"]["offer_id"] == OFFER_ID
    closed = booth_events.offer_changed(offer(), "declined")["data"]
    assert schema_errors(f"{BOOTHS_PREFIX}offer.made.v1", closed)
    assert schema_errors(f"{BOOTHS_PREFIX}offer.expired.v1", closed)


def test_booth_allocated_details():
    data = booth_events.booth_allocated(booth("OC-3", "ocop", zone="OCOP"), holder(enterprise()), "claim")["data"]
    assert data == {
        "edition_id": EDITION_ID,
        "booth_code": "OC-3",
        "zone": "OCOP",
        "kind": "ocop",
        "participation_id": holder(enterprise())["participation_id"],
        "organisation_id": ORG_ID,
        "organisation_name": {"vi": "Công ty TNHH Cà phê Khe Sanh", "en": "Khe Sanh Coffee Co., Ltd"},
        "province": "quang-tri",
        "quota_group": "bac-trung-bo",
        "source": "claim",
    }
    buyer = booth_events.booth_allocated(booth(), holder(foreign_buyer(), None), "override")["data"]
    assert (buyer["province"], buyer["quota_group"]) == (None, None)
    run = booth_events.allocation_committed(allocation_run())["data"]
    assert run == {
        "edition_id": EDITION_ID,
        "run_id": RUN_ID,
        "objective": 118.254,
        "allocated": 2,
        "unallocated": 1,
        "moved": [holder(enterprise())["participation_id"]],
    }


def test_household_business_name_is_withheld_from_booths_events():
    org = household()
    public = [booth_events.booth_allocated(booth(), holder(org), s) for s in ("allocation", "claim", "offer")]
    public.append(booth_events.slot_booked(slot(org), org["province"]))
    for event in public:
        assert event["data"]["organisation_name"] is None
        assert "Lê Văn C" not in json.dumps(event, ensure_ascii=False)


def test_overrides_stay_internal():
    override = f"{BOOTHS_PREFIX}override.recorded.v1"
    assert override not in public_types()
    entry = audit_entry("move")
    data = booth_events.override_recorded(entry)["data"]
    assert (data["by"], data["reason"], data["to_booth"]) == (entry["by"], entry["reason"], "B.07")
    public_booths = [t for t in public_types() if catalogue()[t].producer == "booths"]
    assert len(public_booths) == 11
    for event_type in public_booths:
        assert "by" not in property_names(load_schema(EVENTS_DIR / catalogue()[event_type].schema_file))
    for event in every_booths_builder_call():
        if event["type"] != override:
            text = json.dumps(event, ensure_ascii=False)
            assert entry["by"] not in text and entry["reason"] not in text, event["type"]


def test_booths_schemas_reject_what_the_contract_forbids():
    allocated = f"{BOOTHS_PREFIX}booth.allocated.v1"
    good = booth_events.booth_allocated(booth(), holder(enterprise()), "allocation")["data"]
    assert schema_errors(allocated, good) == []
    assert schema_errors(allocated, {**good, "booth_code": "A 12"})
    assert schema_errors(allocated, {**good, "booth_code": "-A12"})
    assert schema_errors(allocated, {**good, "booth_code": "A" * 33})
    assert schema_errors(allocated, {**good, "zone": ""})
    assert schema_errors(allocated, {**good, "kind": "vip"})
    assert schema_errors(allocated, {**good, "source": "gift"})
    assert schema_errors(allocated, {**good, "province": "Quảng Trị"})
    assert schema_errors(allocated, {**good, "organisation_name": {"vi": ""}})
    assert schema_errors(allocated, {**good, "organisation_name": {"fr": "Café"}})
    assert schema_errors(allocated, {**good, "by": "usr_organiser_7"})
    assert schema_errors(allocated, {k: v for k, v in good.items() if k != "quota_group"})
    released = booth_events.booth_released(booth(), holder(enterprise()), "moved")["data"]
    assert schema_errors(f"{BOOTHS_PREFIX}booth.released.v1", {**released, "reason": "sold"})
    committed = f"{BOOTHS_PREFIX}allocation.committed.v1"
    run = booth_events.allocation_committed(allocation_run())["data"]
    assert schema_errors(committed, {**run, "allocated": -1})
    assert schema_errors(committed, {**run, "unallocated": 1.5})
    assert schema_errors(committed, {**run, "objective": "118"})
    assert schema_errors(committed, {**run, "moved": "par_1"})
    made = booth_events.offer_changed(offer())["data"]
    for stamp in ("2025-09-10T08:00:00.000000+07:00", "2025-09-10T01:00:00Z", "2025-09-10"):
        assert schema_errors(f"{BOOTHS_PREFIX}offer.made.v1", {**made, "expires_at": stamp}), stamp
    override = f"{BOOTHS_PREFIX}override.recorded.v1"
    entry = booth_events.override_recorded(audit_entry("assign"))["data"]
    assert schema_errors(override, {**entry, "action": "swap"})
    assert schema_errors(override, {**entry, "reason": ""})
    assert schema_errors(override, {**entry, "to_booth": "B 07"})
    with pytest.raises(EventSchemaViolation):
        booth_events.booth_allocated(booth(kind="vip"), holder(enterprise()), "allocation")
    with pytest.raises(EventSchemaViolation):
        booth_events.booth_released(booth(), holder(enterprise()), "sold")
    with pytest.raises(EventSchemaViolation):
        booth_events.offer_changed(offer(expires_at="2025-09-10T08:00:00+07:00"))
    with pytest.raises(EventSchemaViolation):
        booth_events.offer_changed(offer(), "cancelled")
    with pytest.raises(EventSchemaViolation):
        booth_events.slot_booked({**slot(enterprise()), "starts_at": "2025-09-18 09:00"}, "quang-tri")
