"""Vietnamese tax codes (mã số thuế) of the organisations that register.

Three shapes are accepted:

* ``enterprise``: 10 digits issued by the tax authority; the 10th is a check digit. Despite
  the name this also covers any other 10-digit code (cooperatives, associations, and the
  personal codes that household businesses used before 2025-07-01).
* ``branch``: a dependent unit, the parent's 10 digits + ``-`` + a 3-digit suffix 001–999.
* ``personal``: since 2025-07-01 the 12-digit personal identification number (số định danh
  cá nhân, printed on the CCCD card) is the tax code of individuals and household
  businesses. It has no check digit, so only its structure can be checked: a 3-digit
  province-of-birth code, a century/gender digit, two digits of the birth year and six
  random digits. Whether a 12-digit code is acceptable depends on the date, see
  ``personal_id_allowed``.

The check digit rule (verified against Vinamilk 0300588569, FPT 0101248141, Petrolimex
0100107370, Techcombank 0100230800 and others): with weights 31, 29, 23, 19, 17, 13, 7, 5, 3
on the first nine digits, N10 = 10 - (Σ wᵢ·Nᵢ mod 11). A remainder of 10 gives check digit 0
(Petrolimex, Techcombank); a remainder of 0 would need "10", so such codes are never issued.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from itertools import count
from typing import Literal

PERSONAL_ID_DATE = date(2025, 7, 1)

_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)
# [0-9], not \d: \d also matches full-width and other scripts' digits.
_ENTERPRISE = re.compile(r"[0-9]{10}")
_BRANCH = re.compile(r"([0-9]{10})-?([0-9]{3})")
_PERSONAL = re.compile(r"[0-9]{12}")

# Province-of-birth codes of the personal identification number (Circular 07/2016/TT-BCA,
# kept by Circular 59/2021/TT-BCA): the administrative codes of the 63 pre-2025 units,
# zero-padded, hence the gaps. Mapped to our province slugs so tests can cross-check them.
PERSONAL_PROVINCE_CODES: dict[str, str] = {
    "001": "ha-noi", "002": "ha-giang", "004": "cao-bang", "006": "bac-kan",
    "008": "tuyen-quang", "010": "lao-cai", "011": "dien-bien", "012": "lai-chau",
    "014": "son-la", "015": "yen-bai", "017": "hoa-binh", "019": "thai-nguyen",
    "020": "lang-son", "022": "quang-ninh", "024": "bac-giang", "025": "phu-tho",
    "026": "vinh-phuc", "027": "bac-ninh", "030": "hai-duong", "031": "hai-phong",
    "033": "hung-yen", "034": "thai-binh", "035": "ha-nam", "036": "nam-dinh",
    "037": "ninh-binh", "038": "thanh-hoa", "040": "nghe-an", "042": "ha-tinh",
    "044": "quang-binh", "045": "quang-tri", "046": "hue", "048": "da-nang",
    "049": "quang-nam", "051": "quang-ngai", "052": "binh-dinh", "054": "phu-yen",
    "056": "khanh-hoa", "058": "ninh-thuan", "060": "binh-thuan", "062": "kon-tum",
    "064": "gia-lai", "066": "dak-lak", "067": "dak-nong", "068": "lam-dong",
    "070": "binh-phuoc", "072": "tay-ninh", "074": "binh-duong", "075": "dong-nai",
    "077": "ba-ria-vung-tau", "079": "ho-chi-minh", "080": "long-an", "082": "tien-giang",
    "083": "ben-tre", "084": "tra-vinh", "086": "vinh-long", "087": "dong-thap",
    "089": "an-giang", "091": "kien-giang", "092": "can-tho", "093": "hau-giang",
    "094": "soc-trang", "095": "bac-lieu", "096": "ca-mau",
}  # fmt: skip

# Century/gender digit: 0/1 = 20th century male/female, 2/3 = 21st; 4–9 encode the 22nd to
# 24th centuries, so nobody alive can hold them.
_LIVING_CENTURY_DIGITS = frozenset("0123")

TaxCodeKind = Literal["enterprise", "branch", "personal"]


class InvalidTaxCode(ValueError):
    """``reason`` is a short machine code: format, check_digit, branch_suffix,
    personal_province or personal_century."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"invalid tax code {code!r}: {reason}")
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class TaxCode:
    value: str  # normalised: "0101248141", "0101248141-001" or 12 digits
    kind: TaxCodeKind
    parent: str | None = None  # the 10-digit code of a branch's parent


def check_digit(first_nine: str) -> int | None:
    """The 10th digit for ``first_nine``, or None where no code can exist (remainder 0)."""
    remainder = sum(w * int(d) for w, d in zip(_WEIGHTS, first_nine, strict=True)) % 11
    return None if remainder == 0 else (10 - remainder) % 10


def tax_codes(start: int) -> Iterator[tuple[int, str]]:
    """Valid enterprise tax codes from ``start`` upwards (numbers without a check digit skipped), with their
    number: for the tools that need many distinct organisations (benchmarks, fault drills)."""
    for n in count(start):
        digit = check_digit(f"{n:09d}")
        if digit is not None:
            yield n, f"{n:09d}{digit}"


def _check_ten(raw: str, ten: str) -> None:
    if check_digit(ten[:9]) != int(ten[9]):
        raise InvalidTaxCode(raw, "check_digit")


def parse_tax_code(raw: str) -> TaxCode:
    """Normalise and validate ``raw``; whitespace anywhere is ignored.

    A 12-digit personal code is accepted structurally here; the caller decides with
    ``personal_id_allowed`` whether it may be used on the relevant date.
    """
    code = "".join(raw.split())
    if _ENTERPRISE.fullmatch(code):
        _check_ten(raw, code)
        return TaxCode(code, "enterprise")
    if branch := _BRANCH.fullmatch(code):
        parent, suffix = branch.groups()
        _check_ten(raw, parent)
        if suffix == "000":
            raise InvalidTaxCode(raw, "branch_suffix")
        return TaxCode(f"{parent}-{suffix}", "branch", parent)
    if _PERSONAL.fullmatch(code):
        if code[:3] not in PERSONAL_PROVINCE_CODES:
            raise InvalidTaxCode(raw, "personal_province")
        if code[3] not in _LIVING_CENTURY_DIGITS:
            raise InvalidTaxCode(raw, "personal_century")
        return TaxCode(code, "personal")
    raise InvalidTaxCode(raw, "format")


def personal_id_allowed(on: date) -> bool:
    """12-digit personal identification numbers serve as tax codes from 2025-07-01."""
    return on >= PERSONAL_ID_DATE
