from datetime import date

import pytest

from shared.reference.provinces import (
    MERGER_DATE,
    Province,
    ProvinceMerged,
    UnknownProvince,
    check_province,
    provinces_on,
    rollup,
    successor,
)

BEFORE = date(2024, 8, 16)  # Thanh Hóa 2024 edition
AFTER = date(2025, 7, 10)  # Quảng Trị 2025 edition, the first after the merger


def test_merger_date():
    assert date(2025, 7, 1) == MERGER_DATE


def test_counts_around_the_merger():
    assert len(provinces_on(date(2025, 6, 30))) == 63
    assert len(provinces_on(MERGER_DATE)) == 34
    assert len(provinces_on(AFTER)) == 34


def test_new_units_are_28_provinces_and_6_cities():
    kinds = [p.kind for p in provinces_on(AFTER).values()]
    assert kinds.count("province") == 28
    assert kinds.count("city") == 6


def test_provinces_on_returns_a_copy():
    provinces_on(BEFORE).clear()
    assert len(provinces_on(BEFORE)) == 63


def test_quang_binh_accepted_before_the_merger():
    assert check_province("quang-binh", BEFORE) == Province("quang-binh", "Quảng Bình", "province")


def test_quang_binh_rejected_after_the_merger():
    with pytest.raises(ProvinceMerged) as err:
        check_province("quang-binh", AFTER)
    assert err.value.slug == "quang-binh"
    assert err.value.successor_slug == "quang-tri"
    assert err.value.successor_name == "Quảng Trị"
    assert err.value.on == AFTER
    assert "Quảng Trị" in str(err.value)


def test_merger_day_itself_is_after():
    with pytest.raises(ProvinceMerged):
        check_province("ha-nam", MERGER_DATE)
    assert check_province("ha-nam", date(2025, 6, 30)).name == "Hà Nam"


def test_surviving_unit_valid_on_both_sides():
    assert check_province("thanh-hoa", BEFORE).name == "Thanh Hóa"
    assert check_province("quang-tri", AFTER).name == "Quảng Trị"


@pytest.mark.parametrize("slug", ["atlantis", "", "Thanh-Hoa", "thanh hoa", "quang_binh"])
def test_unknown_slug(slug):
    with pytest.raises(UnknownProvince) as err:
        check_province(slug, BEFORE)
    assert err.value.slug == slug
    with pytest.raises(UnknownProvince):
        successor(slug)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("dak-nong", "lam-dong"),
        ("binh-thuan", "lam-dong"),
        ("quang-binh", "quang-tri"),
        ("ha-nam", "ninh-binh"),
        ("nam-dinh", "ninh-binh"),
        ("hoa-binh", "phu-tho"),
        ("thai-binh", "hung-yen"),
        ("hai-duong", "hai-phong"),
        ("bac-giang", "bac-ninh"),
        ("binh-duong", "ho-chi-minh"),
        ("thanh-hoa", "thanh-hoa"),
        ("nghe-an", "nghe-an"),
        ("hue", "hue"),
        ("thua-thien-hue", "hue"),
    ],
)
def test_rollup(old, new):
    assert rollup(old) == new
    assert successor(old) == new


def test_every_old_unit_rolls_up_to_a_new_one():
    new = provinces_on(AFTER)
    assert {rollup(slug) for slug in provinces_on(BEFORE)} == set(new)
    assert all(successor(slug) == slug for slug in new)


def test_hue_before_it_became_a_city():
    assert provinces_on(date(2022, 11, 2))["hue"] == Province("hue", "Thừa Thiên Huế", "province")
    assert provinces_on(date(2025, 1, 1))["hue"] == Province("hue", "Huế", "city")
    assert check_province("thua-thien-hue", date(2022, 11, 2)).slug == "hue"
    assert check_province("thua-thien-hue", AFTER) == Province("hue", "Huế", "city")
