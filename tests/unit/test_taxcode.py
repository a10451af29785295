from datetime import date
from itertools import islice

import pytest

from registration.domain.taxcode import (
    PERSONAL_PROVINCE_CODES,
    InvalidTaxCode,
    TaxCode,
    check_digit,
    parse_tax_code,
    personal_id_allowed,
    tax_codes,
)
from shared.reference.provinces import MERGER_DATE, provinces_on

# Public tax codes of well-known companies (from their published registrations).
REAL_CODES = {
    "Vinamilk": "0300588569",
    "FPT": "0101248141",
    "Viettel": "0100109106",
    "Vingroup": "0101245486",
    "Petrolimex": "0100107370",  # Σ mod 11 == 10 → check digit 0
    "Techcombank": "0100230800",  # Σ mod 11 == 10 → check digit 0
    "Hòa Phát": "0900189284",
    "Vietcombank": "0100112437",
    "EVN": "0100100079",
    "Sabeco": "0300583659",
    "Masan Group": "0303576603",
    "Thế Giới Di Động": "0306731335",
    "Vietjet": "0102325399",
}


@pytest.mark.parametrize("code", REAL_CODES.values(), ids=REAL_CODES.keys())
def test_real_enterprise_codes_are_valid(code):
    assert parse_tax_code(code) == TaxCode(code, "enterprise")


@pytest.mark.parametrize("code", REAL_CODES.values(), ids=REAL_CODES.keys())
def test_every_other_tenth_digit_is_rejected(code):
    for digit in "0123456789":
        if digit != code[9]:
            with pytest.raises(InvalidTaxCode) as err:
                parse_tax_code(code[:9] + digit)
            assert err.value.reason == "check_digit"
            assert err.value.code == code[:9] + digit


def test_swapped_digits_are_caught():
    # 0101248141 with its 4th and 5th digits swapped
    with pytest.raises(InvalidTaxCode, match="check_digit"):
        parse_tax_code("0102148141")


def test_remainder_zero_has_no_valid_check_digit():
    # 31·1 + 29·0 + ... chosen so that the weighted sum is a multiple of 11
    first_nine = next(
        f"{n:09d}"
        for n in range(100_000_000, 100_001_000)
        if sum(w * int(d) for w, d in zip((31, 29, 23, 19, 17, 13, 7, 5, 3), f"{n:09d}", strict=True)) % 11 == 0
    )
    assert check_digit(first_nine) is None
    for digit in "0123456789":
        with pytest.raises(InvalidTaxCode):
            parse_tax_code(first_nine + digit)


def test_whitespace_is_ignored():
    assert parse_tax_code(" 0101 248 141 ").value == "0101248141"


@pytest.mark.parametrize("raw", ["0101248141-001", "0101248141001", " 0101248141 - 001 ", "0101248141-999"])
def test_branch_forms(raw):
    tax = parse_tax_code(raw)
    assert tax.kind == "branch"
    assert tax.parent == "0101248141"
    assert tax.value == "0101248141-" + raw.strip()[-3:]


def test_branch_suffix_000_is_not_a_branch():
    with pytest.raises(InvalidTaxCode) as err:
        parse_tax_code("0101248141-000")
    assert err.value.reason == "branch_suffix"


def test_branch_of_invalid_parent():
    with pytest.raises(InvalidTaxCode) as err:
        parse_tax_code("0101248142-001")
    assert err.value.reason == "check_digit"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "010124814",  # 9 digits
        "01012481411",  # 11 digits
        "0101248141-01",
        "0101248141-0001",
        "0101248141/001",
        "01O1248141",  # letter O
        "0101248141001-",
        "0011223344556",  # 13 digits without a valid parent still fails on the parent
        "-0101248141",
        "١٠١٢٤٨١٤١",  # non-ASCII digits are not tax codes
    ],
)
def test_malformed_codes(raw):
    with pytest.raises(InvalidTaxCode) as err:
        parse_tax_code(raw)
    assert err.value.reason in {"format", "check_digit"}


def test_non_ascii_digits_are_a_format_error():
    with pytest.raises(InvalidTaxCode) as err:
        parse_tax_code("０１０１２４８１４１")  # full-width digits
    assert err.value.reason == "format"


@pytest.mark.parametrize(
    "raw",
    [
        "038095001234",  # Thanh Hóa, male born 1995
        "001301012345",  # Hà Nội, female born 2001
        "096085123456",  # Cà Mau, male 1985
        "046190000001",  # (Thừa Thiên) Huế, female 1990
        "038 095 001 234",
    ],
)
def test_personal_ids(raw):
    tax = parse_tax_code(raw)
    assert tax.kind == "personal"
    assert tax.value == "".join(raw.split())
    assert tax.parent is None


@pytest.mark.parametrize("prefix", ["000", "003", "005", "097", "099", "100", "999"])
def test_personal_id_with_unissued_province_code(prefix):
    with pytest.raises(InvalidTaxCode) as err:
        parse_tax_code(prefix + "095001234")
    assert err.value.reason == "personal_province"


@pytest.mark.parametrize("digit", "456789")
def test_personal_id_with_impossible_century(digit):
    with pytest.raises(InvalidTaxCode) as err:
        parse_tax_code(f"038{digit}95001234")
    assert err.value.reason == "personal_century"


def test_personal_province_codes_are_the_63_old_units():
    assert len(PERSONAL_PROVINCE_CODES) == 63
    assert set(PERSONAL_PROVINCE_CODES.values()) == set(provinces_on(date(2024, 1, 1)))
    assert all(len(c) == 3 and "001" <= c <= "096" for c in PERSONAL_PROVINCE_CODES)


def test_personal_id_allowed_from_2025_07_01():
    assert not personal_id_allowed(date(2025, 6, 30))
    assert personal_id_allowed(date(2025, 7, 1))
    assert personal_id_allowed(date(2026, 1, 1))
    assert date(2025, 7, 1) == MERGER_DATE


def test_tax_codes_for_tools_are_valid_distinct_and_in_order():
    codes = [code for _, code in islice(tax_codes(100_000_000), 50)]
    assert len(set(codes)) == 50 and codes == sorted(codes)
    assert all(parse_tax_code(code).value == code for code in codes)
