"""The lists a registration is checked against, with their names in Vietnamese and English.

One source for two readers: :mod:`registration.schemas` builds its validators from
these tables (which kinds exist and what each must carry, the roles, the OCOP star
range, the limits of sectors), and the reference RPCs publish the same tables to
frontends, so a form built from ``/v1/reference/…`` can never offer a value the
service refuses or miss one it accepts.
"""

from __future__ import annotations

from dataclasses import dataclass

Names = dict[str, str]  # {"vi": …, "en": …}


@dataclass(frozen=True)
class Kind:
    """An organisation kind and the identity fields a form for it must carry."""

    code: str
    name: Names
    requires: tuple[str, ...]


# A Vietnamese organisation is known by its tax code and located by its province; a foreign
# buyer by its country and registration number (``foreign``).
_VIETNAMESE = ("tax_code", "province")
ORGANISATION_KINDS: tuple[Kind, ...] = (
    Kind("enterprise", {"vi": "Doanh nghiệp", "en": "Enterprise"}, _VIETNAMESE),
    Kind("cooperative", {"vi": "Hợp tác xã", "en": "Cooperative"}, _VIETNAMESE),
    Kind("household_business", {"vi": "Hộ kinh doanh", "en": "Household business"}, _VIETNAMESE),
    Kind("association", {"vi": "Hiệp hội", "en": "Association"}, _VIETNAMESE),
    Kind("agency", {"vi": "Cơ quan nhà nước", "en": "Government agency"}, _VIETNAMESE),
    Kind("foreign_buyer", {"vi": "Nhà thu mua nước ngoài", "en": "Foreign buyer"}, ("foreign",)),
)
KIND_BY_CODE = {kind.code: kind for kind in ORGANISATION_KINDS}

# The roles' words are those the notifications use in their messages ("đơn vị trưng bày").
ROLES: dict[str, Names] = {
    "exhibitor": {"vi": "Đơn vị trưng bày", "en": "Exhibitor"},
    "buyer": {"vi": "Đơn vị thu mua", "en": "Buyer"},
    "visitor": {"vi": "Khách tham quan", "en": "Visitor"},
    "partner_agency": {"vi": "Cơ quan phối hợp", "en": "Partner agency"},
}


@dataclass(frozen=True)
class OcopLevel:
    """A star rating of the OCOP programme (Mỗi xã một sản phẩm), as Decision 148/QĐ-TTg (2023) rates
    products: the points out of 100 it takes, who recognises it, and what it says about the product.
    Only rated products (3–5 stars) carry an OCOP certificate, so only these are accepted."""

    stars: int
    points: tuple[int, int]
    level: str  # "provincial" (the province's People's Committee recognises it) | "national"
    meaning: Names


OCOP_LEVELS: tuple[OcopLevel, ...] = (
    OcopLevel(
        3,
        (50, 69),
        "provincial",
        {
            "vi": "Đạt tiêu chuẩn OCOP, có thể nâng cấp lên 4 sao",
            "en": "Meets the OCOP standard; can be raised to 4 stars",
        },
    ),
    OcopLevel(
        4,
        (70, 89),
        "provincial",
        {
            "vi": "Đạt tiêu chuẩn OCOP, có thể nâng cấp lên 5 sao",
            "en": "Meets the OCOP standard; can be raised to 5 stars",
        },
    ),
    OcopLevel(
        5,
        (90, 100),
        "national",
        {"vi": "Sản phẩm OCOP cấp quốc gia, có thể xuất khẩu", "en": "National-level OCOP product, fit for export"},
    ),
)
OCOP_STARS = (OCOP_LEVELS[0].stars, OCOP_LEVELS[-1].stars)  # the range a product's rating must be in
OCOP_YEARS = (2018, 2100)  # the programme began in 2018 (Decision 490/QĐ-TTg)
OCOP_CERTIFICATE_MAX = 60

# Sectors are free text, not a closed list: trimmed, lower-cased and de-duplicated when stored.
SECTOR_LENGTH = (1, 60)
SECTORS_MAX = 20
SECTORS_NORMALISED: Names = {
    "vi": "Bỏ khoảng trắng ở hai đầu, chuyển về chữ thường, bỏ trùng lặp",
    "en": "Trimmed, lower-cased, duplicates removed",
}
