"""One realistic request body per operation that takes one, shown in the OpenAPI document.

The examples tell one story: Thanh Hóa province holds its supply–demand connection conference on
19–21 August 2027 (after the 2025 merger, so every province slug is one of the 34 units valid then), with
Hà Nội, Nghệ An and Ninh Bình as partners.  A food processor from Thanh Hóa exhibits, a Japanese importer
(a foreign buyer: ``foreign`` instead of a tax code) registers for the B2B session, they meet and sign a
memorandum.  Each example is valid on its own, field rules included (tax code check digits, phone numbers,
dates in order, provinces that exist on the edition's dates): tests/contract/test_request_examples.py
checks that, and tests/e2e/test_request_examples.py submits every example to a running system, in the
order of the story, with these sample ids replaced by the ones the system made.

Ids have the shape of :func:`shared.ids.new_id` (a prefix, the creation time in milliseconds, six random
bytes); meeting ids are derived from the session and the two participations (``mtg_`` + 20 hex digits).
"""

from __future__ import annotations

from typing import Any

# -- sample ids, one constant each: the e2e test replaces every one of them with a real id ----------------
SERIES_KEY = "thanh-hoa-ket-noi-cung-cau"
EDITION_ID = "ed_01a573281bc06375b5af5669"
ORGANISATION_ID = "org_01a573283aaf412585a348f5"  # the Thanh Hóa food processor, an exhibitor
BUYER_ORGANISATION_ID = "org_01a57328599e333643061f3b"  # the Japanese importer
DELEGATE_ID = "dlg_01a573291338e85b9064c07d"
PARTICIPATION_ID = "par_01a57328977ce638d4a2e301"  # the processor's participation (a supplier in B2B)
OTHER_PARTICIPATION_ID = "par_01a57328b66bee493cba1278"  # a cooperative from Nghệ An, also exhibiting
BUYER_PARTICIPATION_ID = "par_01a57328d55afe6a0497f543"  # the importer's participation
SESSION_ID = "ses_01a573293227966be020de73"
MEETING_ID = "mtg_2d711642b726b0440162"
OFFER_ID = "off_01a573295116710423197e22"
CLAIM_ID = "clm_01a573298ef4bb9238e54c87"
RUN_ID = "run_01a5732970055ea2bcaaed5e"
BOOTH_CODE = "A02"
OTHER_BOOTH_CODE = "A04"
LIVESTREAM_BOOTH_CODE = "L01"
# A badge's QR payload (GET /v1/participations/{participation_id}/badges/{delegate_id}): ids and a MAC
BADGE_TOKEN = (
    "eyJkIjoiZGxnXzAxYTU3MzI5MTMzOGU4NWI5MDY0YzA3ZCIsImUiOiJlZF8wMWE1NzMyODFiYzA2Mzc1YjVhZjU2NjkiLCJwIjoicGFyXzA"
    "xYTU3MzI4OTc3Y2U2MzhkNGEyZTMwMSIsInYiOjF9.Zk3p9QeM1r7xT2vYb8HcN0aLsW4uJdEg"
)
# The token of the link in the e-mail a registration claim sends to the organisation's contacts on file
CLAIM_LINK_TOKEN = "1.q8ZrT3vYk2LmN5pXc7WbHg"

# -- the sample organisations: real-looking, with tax codes whose check digit is right --------------------
TAX_CODE = "2801234564"  # 28…: codes issued in Thanh Hóa
BUYER_REGISTRATION_NO = "1200-01-187654"  # the importer's corporate number in Japan

EDITION_STARTS_ON = "2027-08-19"
EDITION_ENDS_ON = "2027-08-21"
B2B_DATE = "2027-08-20"

_BUYER_DELEGATE = {
    "name": "Tanaka Yuki",
    "position": "Purchasing Manager",
    "email": "yuki.tanaka@kansai-foods.example.jp",
    "phone": "+81 90 1234 5678",
    "preferred_language": "en",
    "interpreter_language": "ja",
}

_DELEGATE = {
    "name": "Lê Thị Hồng Nhung",
    "position": "Giám đốc kinh doanh",
    "email": "nhung.le@nongsanxuthanh.example.vn",
    "phone": "0912 345 678",
    "preferred_language": "vi",
    "interpreter_language": None,
}

_PRODUCT = {
    "name": {"vi": "Nem chua Thanh Hóa", "en": "Thanh Hoa fermented pork roll"},
    "category": "processed_food",
    "ocop": {"stars": 4, "certificate_no": "OCOP-TH-2024-0187", "year": 2024},
    "certifications": ["haccp", "vietgap"],
    "unit": "kg",
    "origin_province": "thanh-hoa",
    "photos": ["https://nongsanxuthanh.example.vn/anh/nem-chua.jpg"],
}

_ORGANISATION = {
    "kind": "enterprise",
    "legal_name": {
        "vi": "Công ty TNHH Chế biến Nông sản Xứ Thanh",
        "en": "Xu Thanh Agricultural Processing Co., Ltd.",
    },
    "tax_code": TAX_CODE,
    "foreign": None,
    "province": "thanh-hoa",
    "sectors": ["processed_food", "agriculture"],
    "website": "https://nongsanxuthanh.example.vn",
    "delegates": [_DELEGATE],
}

_FLOOR_PLAN = "\n".join(
    [
        "record,code,name,hall,zone,size,kind,features,price_vnd,x,y,w,h",
        "hall,H1,Cung Văn hóa Thiếu nhi Thanh Hóa,,,,,,,,,,",
        "zone,A,Khu sản phẩm OCOP,H1,,,,,,,,,",
        "zone,L,Khu livestream,H1,,,,,,,,,",
        "booth,A01,,,A,standard,ocop,power,12000000,0,0,3,3",
        "booth,A02,,,A,standard,ocop,power;water,12000000,3,0,3,3",
        "booth,A03,,,A,standard,standard,power,10000000,6,0,3,3",
        "booth,A04,,,A,corner,standard,power;corner,15000000,9,0,3,3",
        "booth,L01,,,L,standard,livestream,power,8000000,0,6,3,3",
        "",
    ]
)

EXAMPLES: dict[str, dict[str, Any]] = {
    # -- series and editions (ops, then the series' organisers) --
    "dev_token": {
        "role": "organiser",
        "series": SERIES_KEY,
        "organisation": None,
        "province": None,
        "subject": "to-chuc.so-cong-thuong@thanhhoa.example.vn",
    },
    "create_series": {
        "key": SERIES_KEY,
        "name": {
            "vi": "Hội nghị kết nối cung cầu tỉnh Thanh Hóa",
            "en": "Thanh Hoa supply–demand connection conference",
        },
    },
    "create_edition": {
        "series_id": SERIES_KEY,
        "title": {
            "vi": "Hội nghị kết nối cung cầu hàng hóa Thanh Hóa 2027",
            "en": "Thanh Hoa supply–demand connection conference 2027",
        },
        "host_province": "thanh-hoa",
        "partner_provinces": ["ha-noi", "nghe-an", "ninh-binh"],
        "venue": {"name": "Cung Văn hóa Thiếu nhi Thanh Hóa", "address": "Đại lộ Lê Lợi, phường Hạc Thành, Thanh Hóa"},
        "starts_on": EDITION_STARTS_ON,
        "ends_on": EDITION_ENDS_ON,
        "timezone": "Asia/Ho_Chi_Minh",
        "theme": {"vi": "Nông sản xanh, chuỗi cung ứng bền vững", "en": "Green produce, sustainable supply chains"},
        "plan_reference": "103/KH-UBND",
        "registration_opens_at": "2027-05-03T08:00:00+07:00",
        "registration_closes_at": "2027-08-06T17:00:00+07:00",
        "capacity": {"exhibitor": 120, "buyer": 60, "visitor": 500, "partner_agency": 20},
        "programme": [
            {
                "key": "khai-mac",
                "kind": "main_session",
                "title": {"vi": "Phiên khai mạc", "en": "Opening session"},
                "starts_at": "2027-08-19T08:00:00+07:00",
                "ends_at": "2027-08-19T11:30:00+07:00",
                "location": "Hội trường A",
                "capacity": 600,
            },
            {
                "key": "tham-quan-nha-may",
                "kind": "site_visit",
                "title": {"vi": "Tham quan nhà máy chế biến nem chua", "en": "Visit to a nem chua factory"},
                "starts_at": "2027-08-21T08:00:00+07:00",
                "ends_at": "2027-08-21T11:00:00+07:00",
                "location": "Khu công nghiệp Lễ Môn",
                "capacity": 40,
            },
        ],
    },
    "update_edition": {
        "venue": {"name": "Cung Văn hóa Thiếu nhi Thanh Hóa", "address": "Số 2 Đại lộ Lê Lợi, phường Hạc Thành"},
        "theme": {"vi": "Nông sản xanh, chuỗi cung ứng bền vững", "en": "Green produce, sustainable supply chains"},
        "capacity": {"exhibitor": 150, "buyer": 60, "visitor": 500, "partner_agency": 20},
    },
    "set_edition_status": {"status": "open"},
    # -- organisations and registrations --
    "create_organisation": _ORGANISATION,
    "update_organisation": {
        "legal_name": {
            "vi": "Công ty TNHH Chế biến Nông sản Xứ Thanh",
            "en": "Xu Thanh Agri-Food Processing Co., Ltd.",
        },
        "province": "thanh-hoa",
        "sectors": ["processed_food", "agriculture", "beverages"],
        "website": "https://nongsanxuthanh.example.vn/en",
    },
    "add_delegate": {
        "name": "Trần Văn Minh",
        "position": "Trưởng phòng xuất khẩu",
        "email": "minh.tran@nongsanxuthanh.example.vn",
        "phone": "0983 456 712",
        "preferred_language": "en",
        "interpreter_language": None,
    },
    "add_product": {
        "name": {"vi": "Chè lam Phủ Quảng", "en": "Phu Quang rice and ginger cake"},
        "category": "processed_food",
        "ocop": {"stars": 3, "certificate_no": "OCOP-TH-2025-0412", "year": 2025},
        "certifications": ["vietgap"],
        "unit": "hộp 300 g",
        "origin_province": "thanh-hoa",
        "photos": [],
    },
    "set_notification_preferences": {"email": True, "sms": True, "zalo": False, "unsubscribed_non_essential": False},
    "apply": {
        "organisation_id": ORGANISATION_ID,
        "role": "exhibitor",
        "wants": {"booths": 1, "b2b": True, "site_visits": ["tham-quan-nha-may"], "livestream": True},
    },
    "register": {
        "organisation": {
            "kind": "foreign_buyer",
            "legal_name": {"vi": "Kansai Foods Trading Co., Ltd.", "en": "Kansai Foods Trading Co., Ltd."},
            "tax_code": None,
            "foreign": {"country": "JP", "registration_no": BUYER_REGISTRATION_NO},
            "province": None,
            "sectors": ["processed_food"],
            "website": "https://kansai-foods.example.jp",
            "delegates": [_BUYER_DELEGATE],
        },
        "products": [],
        "role": "buyer",
        "wants": {"booths": 0, "b2b": True, "site_visits": ["tham-quan-nha-may"], "livestream": False},
    },
    "confirm_registration_claim": {"token": CLAIM_LINK_TOKEN},
    "decline_registration_claim": {"token": CLAIM_LINK_TOKEN},
    "decide": {
        "action": "approve",
        "reason": "Hồ sơ đầy đủ, sản phẩm đạt chứng nhận OCOP 4 sao.",
        "reason_code": "other",
    },
    "decide_many": {
        "action": "approve",
        "reason": "Đủ điều kiện tham gia phiên kết nối B2B.",
        "reason_code": "other",
        "participation_ids": [BUYER_PARTICIPATION_ID, OTHER_PARTICIPATION_ID],
    },
    "check_in": {"token": BADGE_TOKEN, "gate": "cong-a"},
    # -- booths --
    "import_floor_plan": {"csv": _FLOOR_PLAN},
    "set_booth_rules": {
        "groups": [
            {"name": "Thanh Hóa", "booths": 2, "provinces": ["thanh-hoa"], "province_cap": None, "province_caps": {}},
            {"name": "Tỉnh bạn", "booths": 3, "provinces": None, "province_cap": 2, "province_caps": {"ha-noi": 1}},
        ],
        "organisation_max": 2,
        "priorities": {"base": 1.0, "per_ocop_star": 0.1, "cooperative": 0.2, "returning": 0.2, "earliness": 0.01},
        "offer_hours": 48,
        "livestream": {"slot_minutes": 30, "per_organisation": 2, "opens": "08:00", "closes": "20:00"},
    },
    "apply_for_booths": {
        "participation_id": PARTICIPATION_ID,
        "booths_wanted": 1,
        "preferences": [{"type": "booth", "value": BOOTH_CODE}, {"type": "kind", "value": "ocop"}],
        "needs": ["power", "water"],
    },
    "run_allocation": {"keep_current": False},
    "reply_to_offer": {"accept": True},
    "claim_booth": {"participation_id": OTHER_PARTICIPATION_ID},
    "override_booth": {
        "action": "move",
        "participation_id": None,
        "to_booth": OTHER_BOOTH_CODE,
        "reason": "Chuyển sang gian góc gần lối đi cho xe lăn",
    },
    "book_slot": {"participation_id": PARTICIPATION_ID, "starts_at": "2027-08-19T14:00:00+07:00"},
    # -- B2B meetings --
    "set_b2b_profile": {
        "offers": ["processed_food"],
        "seeks": ["packaging"],
        "volumes": "2 container 40 feet mỗi tháng",
        "markets": ["JP", "KR"],
        "certifications_held": ["haccp", "vietgap"],
        "certifications_required": [],
        "languages": ["vi", "en"],
    },
    "create_b2b_session": {
        "name": {"vi": "Phiên kết nối B2B với nhà nhập khẩu Nhật Bản", "en": "B2B matchmaking with Japanese importers"},
        "date": B2B_DATE,
        "starts_at": "13:30",
        "slot_minutes": 20,
        "slots": 8,
        "tables": 6,
        "breaks": ["14:50"],
        "mode": "pick",
        "auto_accept": False,
        "request_ttl_hours": 48,
        "max_meetings": 8,
        "interpreters": {"ja": 2, "en": 2},
        "interpreter_people": [
            {"id": "ip-lan", "name": "Nguyễn Thị Lan", "languages": ["ja", "en"], "away": []},
            {"id": "ip-hung", "name": "Phạm Quốc Hùng", "languages": ["ja"], "away": ["S08"]},
        ],
        "objectives": {"fairness": "buyer", "keep_tables": True, "compact": True},
    },
    "set_availability": {"away": ["S07", "S08"], "reason": "Tham quan vùng nguyên liệu"},
    "set_time_away": {
        "periods": [
            {"kind": "booth_duty", "starts_at": "2027-08-20T08:00:00+07:00", "ends_at": "2027-08-20T10:30:00+07:00"},
            {"kind": "site_visit", "starts_at": "2027-08-21T08:00:00+07:00", "ends_at": "2027-08-21T11:00:00+07:00"},
        ]
    },
    "set_supplier_tables": {"tables": {PARTICIPATION_ID: "T01"}},
    "request_meeting": {
        "from": BUYER_PARTICIPATION_ID,
        "to": PARTICIPATION_ID,
        "note": "We import fermented pork rolls for Kansai supermarkets and would like samples.",
        "slot": "S02",
    },
    "accept_meeting": {"slot": "S02", "table": "T01"},
    "decline_meeting": {"reason": "Chúng tôi chưa có sản phẩm phù hợp với thị trường này."},
    "cancel_meeting": {"reason": "Đoàn khách thay đổi lịch trình, xin hẹn dịp khác."},
    "broker_meeting": {
        "supplier": OTHER_PARTICIPATION_ID,
        "buyer": BUYER_PARTICIPATION_ID,
        "note": "Ban tổ chức giới thiệu: bên mua tìm nguồn chè lam.",
        "slot": "S04",
        "table": "T03",
    },
    "lock_meeting": {"slot": "S06", "table": "T01"},
    "schedule_session": {"full": False, "rebook_no_shows": False, "now": None},
    "publish_agenda": {"stage": "final"},
    "meeting_status": {
        "status": "done",
        "outcome": {"result": "sample_order", "notes": "Đặt 200 kg hàng mẫu, giao trước ngày 15/9."},
    },
    "register_mou": {
        "title": {"vi": "Biên bản ghi nhớ cung ứng nem chua", "en": "MoU on the supply of fermented pork rolls"},
        "kind": "mou",
        "parties": [
            {"organisation_id": ORGANISATION_ID, "kind": "organisation", "country": "VN"},
            {"organisation_id": BUYER_ORGANISATION_ID, "kind": "organisation", "country": "JP"},
            {
                "name": {"vi": "Liên minh Hợp tác xã tỉnh Thanh Hóa"},
                "kind": "alliance",
                "province": "thanh-hoa",
                "country": "VN",
            },
        ],
        "sector": "processed_food",
        "products": ["nem chua", "chè lam"],
        "value": {"amount": 2_500_000_000, "currency": "VND"},
        "signed_on": B2B_DATE,
        "signed_at_event": "Phiên kết nối B2B với nhà nhập khẩu Nhật Bản",
        "meeting_ids": [MEETING_ID],
        "document_ref": "15/2027/MOU-XT-KF",
    },
    # -- integrations (a province's system) --
    "register_webhook": {
        "url": "https://hethong.sct.thanhhoa.example.vn/ketnoi/webhook",
        "event_types": ["vn.ketnoi.registration.participation.approved.v1", "vn.ketnoi.meetings.mou.signed.v1"],
        "province": "thanh-hoa",
    },
}


def example_for(operation_id: str) -> dict[str, Any] | None:
    """The operation's request body example, or None when there is none."""
    return EXAMPLES.get(operation_id)
