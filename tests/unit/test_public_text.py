"""Contact details in names published to every province are found; ordinary names and references are not."""

from __future__ import annotations

import pytest

from booths.domain.floorplan import FloorPlanErrors, parse_floor_plan_csv
from shared.public_text import contact_details


@pytest.mark.parametrize(
    "text, kind",
    [
        ("Hội trường A - liên hệ 0912 345 678", "phone"),
        ("Tel 024.3825.1234", "phone"),
        ("+81 90 1234 5678", "phone"),
        ("Khu OCOP (0912345678)", "phone"),
        ("Đăng ký: hoa.nguyen@example.vn", "email"),
        ("xem https://example.vn/dang-ky", "link"),
        ("www.example.vn", "link"),
    ],
)
def test_contacts_are_found(text, kind):
    assert contact_details(text) == kind


@pytest.mark.parametrize(
    "text",
    [
        "Hội nghị kết nối cung cầu 2025",
        "Nhà văn hoá Nguyễn Du",
        "01/2024/MOU",
        "HĐ/2025-0001234567",
        "Quầy số 0123",
        "Phiên 13:30-15:00 ngày 16/08/2024",
        "Khu A1–A120",
        "Gạo ST25",
    ],
)
def test_ordinary_names_and_references_pass(text):
    assert contact_details(text) is None


def test_a_hall_or_zone_name_with_a_contact_is_a_floor_plan_error_on_its_line():
    text = (
        "record,code,name,hall,zone,size,kind,features,price_vnd,x,y,w,h\n"
        "hall,H1,Nhà thi đấu - 0912 345 678,,,,,,,,,,\n"
        "zone,A,Khu A (hoa@example.vn),H1,,,,,,,,,\n"
        "booth,A01,,,A,standard,standard,,0,0,0,3,3\n"
    )
    with pytest.raises(FloorPlanErrors) as err:
        parse_floor_plan_csv(text)
    assert [(e.line, e.field, e.code) for e in err.value.errors] == [
        (2, "name", "contact_in_public_text"),
        (3, "name", "contact_in_public_text"),
    ]
