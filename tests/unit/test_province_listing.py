"""The provinces of a day as the reference endpoint lists them: which units, the days each is valid, the 2025
unit an old one went into and the old units a 2025 one was formed from, and the names in English."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from shared.reference.provinces import HUE_CITY_DATE, MERGER_DATE, Listed, check_province, listed_on, provinces_on

LAST_OLD_DAY = MERGER_DATE - timedelta(days=1)
DATA = json.loads((Path(__file__).parents[2] / "shared/reference/vn-provinces-2025.json").read_text(encoding="utf-8"))


def by_slug(day: date) -> dict[str, Listed]:
    return {entry.province.slug: entry for entry in listed_on(day)}


@pytest.mark.parametrize(
    "day, count",
    [(date(2024, 8, 16), 63), (LAST_OLD_DAY, 63), (MERGER_DATE, 34), (date(2025, 7, 10), 34), (date(2030, 1, 1), 34)],
)
def test_the_units_of_a_day_are_those_a_form_of_that_day_may_name(day, count):
    listed = listed_on(day)
    assert len(listed) == count
    assert [entry.province for entry in listed] == sorted(provinces_on(day).values(), key=lambda p: p.slug)
    assert all(check_province(entry.province.slug, day) == entry.province for entry in listed)


def test_before_the_merger_each_unit_names_its_2025_successor_and_ends_the_day_before():
    old = by_slug(LAST_OLD_DAY)
    assert old["quang-binh"].successor.slug == "quang-tri" and old["quang-binh"].successor.name == "Quảng Trị"
    assert old["quang-tri"].successor.slug == "quang-tri"  # kept its code: its own successor
    assert old["dak-nong"].successor.slug == "lam-dong"
    assert {e.valid_to for e in old.values()} == {LAST_OLD_DAY}
    assert all(e.merged_from == () for e in old.values())
    assert {e.valid_from for s, e in old.items() if s != "hue"} == {None}  # the registry says not since when


def test_from_the_merger_each_unit_lists_what_it_was_formed_from_and_has_no_end():
    new = by_slug(MERGER_DATE)
    assert [p.slug for p in new["quang-tri"].merged_from] == ["quang-tri", "quang-binh"]
    assert [p.name for p in new["lam-dong"].merged_from] == ["Lâm Đồng", "Đắk Nông", "Bình Thuận"]
    assert [p.slug for p in new["cao-bang"].merged_from] == ["cao-bang"]
    assert all(e.valid_from == MERGER_DATE and e.valid_to is None and e.successor is None for e in new.values())
    # every old unit is in exactly one new unit's list, the one it rolls up to
    formed = [(old.slug, slug) for slug, e in new.items() for old in e.merged_from]
    assert sorted(formed) == sorted((e.province.slug, e.successor.slug) for e in listed_on(LAST_OLD_DAY))
    assert {slug: [p.slug for p in e.merged_from] for slug, e in new.items()} == {
        unit["slug"]: unit["formed_from"] for unit in DATA["from_2025_07_01"]
    }


def test_hue_is_one_code_for_the_province_and_then_the_city():
    province, city = by_slug(HUE_CITY_DATE - timedelta(days=1))["hue"], by_slug(HUE_CITY_DATE)["hue"]
    assert (province.province.name, province.province.kind, province.valid_from, province.valid_to) == (
        "Thừa Thiên Huế",
        "province",
        None,
        HUE_CITY_DATE - timedelta(days=1),
    )
    assert (city.province.name, city.province.kind, city.valid_from, city.valid_to) == (
        "Huế",
        "city",
        HUE_CITY_DATE,
        LAST_OLD_DAY,
    )
    assert province.successor.slug == city.successor.slug == "hue"
    assert [p.name for p in by_slug(MERGER_DATE)["hue"].merged_from] == ["Huế"]


@pytest.mark.parametrize(
    "day, slug, english",
    [
        (MERGER_DATE, "quang-tri", "Quang Tri"),
        (MERGER_DATE, "dak-lak", "Dak Lak"),
        (MERGER_DATE, "da-nang", "Da Nang"),
        (MERGER_DATE, "ha-noi", "Ha Noi"),
        (MERGER_DATE, "hue", "Hue"),
        (MERGER_DATE, "khanh-hoa", "Khanh Hoa"),
        (MERGER_DATE, "ho-chi-minh", "Ho Chi Minh City"),
        (LAST_OLD_DAY, "ba-ria-vung-tau", "Ba Ria - Vung Tau"),
        (LAST_OLD_DAY, "dak-nong", "Dak Nong"),
        (date(2024, 8, 16), "hue", "Thua Thien Hue"),
    ],
)
def test_english_names_are_the_names_without_diacritics(day, slug, english):
    assert by_slug(day)[slug].province.name_en == english


def test_every_english_name_is_plain_ascii_and_as_distinct_as_the_vietnamese_ones():
    for day in (date(2024, 8, 16), date(2025, 3, 1), MERGER_DATE):
        names = [entry.province.name_en for entry in listed_on(day)]
        assert all(name.isascii() and name.strip() == name for name in names)
        assert len(set(names)) == len(names)
