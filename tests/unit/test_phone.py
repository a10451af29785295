import pytest

from registration.domain.phone import InvalidPhone, normalise_phone


@pytest.mark.parametrize(
    "raw",
    [
        "0912 345 678",
        "0912345678",
        "+84 912 345 678",
        "84912345678",
        "0084 912 345 678",
        "(+84) 912-345-678",
        "091.234.5678",
    ],
)
def test_same_mobile_number_in_many_spellings(raw):
    assert normalise_phone(raw) == "+84912345678"


def test_landline_with_area_code():
    # Thanh Hóa area code 0237
    assert normalise_phone("0237 3852 123") == "+842373852123"


def test_foreign_number_with_country_code():
    assert normalise_phone("+66 81 234 5678") == "+66812345678"


def test_default_region_for_local_numbers():
    assert normalise_phone("020 5551 2345", default_region="LA") == "+8562055512345"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "abc",
        "0912",
        "091234567890",
        "0123 456 789",  # 11-digit mobile prefix retired in 2018
        "+84 000 000 000",
    ],
)
def test_invalid_numbers(raw):
    with pytest.raises(InvalidPhone) as err:
        normalise_phone(raw)
    assert err.value.raw == raw
