"""MOU statistics count a party registered under a province merged in 2025 under the unit it went into."""

from __future__ import annotations

from meetings.views import mou_stats


def test_a_merged_province_counts_under_its_2025_unit_once_per_mou():
    mous = [
        {
            "sector": "wood",
            "value": {"amount": 5, "currency": "VND"},
            "parties": [
                {"province": "quang-binh", "country": "VN"},
                {"province": "quang-tri", "country": "VN"},
                {"province": None, "country": "JP"},
            ],
        },
        {
            "sector": "food",
            "value": None,
            "parties": [
                {"province": "thua-thien-hue", "province_2025": "hue", "country": "VN"},
                {"province": "ha-tinh", "country": "VN"},
            ],
        },
    ]
    stats = mou_stats(mous)
    assert stats["by_province"] == {
        "ha-tinh": {"count": 1, "value": {}},
        "hue": {"count": 1, "value": {}},
        "quang-tri": {"count": 1, "value": {"VND": 5}},
    }  # once, though two parties
    assert stats["by_country"] == {"JP": {"count": 1, "value": {"VND": 5}}, "VN": {"count": 2, "value": {"VND": 5}}}
    assert stats["total"] == {"count": 2, "value": {"VND": 5}}
