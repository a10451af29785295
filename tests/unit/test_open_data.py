"""Open data's counting and its CSV, and when an edition's open data is published."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from registration.domain.open_data import participants, published
from shared.open_data import tally, to_csv


def test_tally_counts_lists_key_by_key_and_skips_none():
    rows = [{"s": ["a", "b"], "p": "x"}, {"s": ["b"], "p": None}, {"s": [], "p": "x"}]
    assert tally(rows, {"by_s": lambda r: r["s"], "by_p": lambda r: r["p"]}) == {
        "by_s": {"a": 1, "b": 2},
        "by_p": {"x": 2},
    }


def test_csv_has_one_number_per_line_and_totals_keyed_all():
    text = to_csv(
        "ed_1",
        {
            "participants": {"total": 3, "by_role": {"buyer": 1, "exhibitor": 2}},
            "mous": {"value_by_currency": {"VND": 10}},
        },
    )
    assert list(csv.reader(io.StringIO(text))) == [
        ["edition_id", "measure", "dimension", "key", "value"],
        ["ed_1", "participants", "total", "all", "3"],
        ["ed_1", "participants", "by_role", "buyer", "1"],
        ["ed_1", "participants", "by_role", "exhibitor", "2"],
        ["ed_1", "mous", "value_by_currency", "VND", "10"],
    ]


def test_only_approved_registrations_count_and_foreign_ones_have_no_province():
    def row(status: str, **org) -> dict:
        return {"status": status, "role": "exhibitor", "org": {"kind": "enterprise", "country": "VN", **org}}

    counted = participants(
        [
            row("approved", province_2025="quang-tri", sectors=["wood", "food"], ocop_max_stars=5),
            row("approved", country="JP", province_2025=None),
            row("submitted", province_2025="hue"),
            row("cancelled", province_2025="hue"),
        ]
    )
    assert counted["total"] == 2
    assert counted["by_province"] == {"quang-tri": 1} and counted["by_country"] == {"JP": 1, "VN": 1}
    assert counted["by_sector"] == {"food": 1, "wood": 1} and counted["by_ocop_stars"] == {"5": 1, "none": 1}


@pytest.mark.parametrize(
    "status, today, expected",
    [
        ("closed", date(2025, 7, 12), False),  # its last day: not yet
        ("closed", date(2025, 7, 13), True),
        ("open", date(2025, 7, 13), True),  # over, whatever organisers forgot to close
        ("draft", date(2030, 1, 1), False),  # never held
        ("finished", date(2025, 7, 10), True),  # organisers may publish once they mark it finished
    ],
)
def test_published_after_the_last_day_or_when_finished(status, today, expected):
    assert published({"status": status, "ends_on": "2025-07-12"}, today) is expected
