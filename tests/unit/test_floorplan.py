import random

import pytest

from booths.domain.claims import suggest_similar
from booths.domain.floorplan import (
    FEATURES,
    KINDS,
    SIZES,
    Booth,
    FloorPlan,
    FloorPlanErrors,
    Hall,
    Zone,
    floor_plan_csv,
    parse_floor_plan_csv,
)

HEADER = "record,code,name,hall,zone,size,kind,features,price_vnd,x,y,w,h\n"
GOOD = (
    HEADER
    + "hall,H1,Nhà thi đấu Phú Thọ,,,,,,,,,,\n"
    + 'zone,A,"Khu OCOP, đặc sản",H1,,,,,,,,,\n'
    + "zone,B,Khu livestream,H1,,,,,,,,,\n"
    + "booth,A01,,,A,standard,ocop,power;water,12000000,0,0,3,3\n"
    + "booth,A02,,,A,corner,ocop,power;corner,,3,0,3,3\n"
    + "booth,B01,,,B,double,livestream,,0,0,6,6,3\n"
)


def errors_of(text: str) -> list[tuple[int, str, str]]:
    with pytest.raises(FloorPlanErrors) as err:
        parse_floor_plan_csv(text)
    return [(e.line, e.field, e.code) for e in err.value.errors]


def test_parse_reads_halls_zones_and_booths():
    plan = parse_floor_plan_csv(GOOD)
    assert plan.halls == (Hall("H1", "Nhà thi đấu Phú Thọ"),)
    assert plan.zones == (Zone("A", "H1", "Khu OCOP, đặc sản"), Zone("B", "H1", "Khu livestream"))
    assert plan.booth_by_code["A01"] == Booth(
        "A01", "A", "standard", "ocop", frozenset({"power", "water"}), 12_000_000, 0.0, 0.0, 3.0, 3.0
    )
    assert plan.booth_by_code["A02"].price_vnd is None
    assert plan.booth_by_code["B01"].features == frozenset()
    assert plan.booth_by_code["B01"].price_vnd == 0


def test_defaults_blank_lines_bom_and_header_case():
    text = "\ufeff" + HEADER.upper() + "hall,H,,,,,,,,,,,\n\nzone,Z,,H,,,,,,,,,\nbooth,Z1,,,Z,,,,,1.5,2,3,3\n"
    booth = parse_floor_plan_csv(text).booths[0]
    assert (booth.size, booth.kind, booth.x, booth.y) == ("standard", "standard", 1.5, 2.0)


def test_every_error_is_reported_with_its_line():
    text = (
        HEADER  # line 1
        + "hall,H1,,,,,,,,,,,\n"  # 2
        + "zone,A,,H1,,,,,,,,,\n"  # 3
        + "zone,A,,H1,,,,,,,,,\n"  # 4 duplicate zone
        + "zone,C,,H9,,,,,,,,,\n"  # 5 unknown hall
        + "booth,A01,,,A,standard,standard,power,,0,0,3,3\n"  # 6 fine
        + "booth,A01,,,A,standard,standard,,,0,0,3,3\n"  # 7 duplicate booth
        + "booth,X01,,,Q,standard,standard,,,0,0,3,3\n"  # 8 unknown zone
        + "booth,A02,,,A,huge,vip,gas;power,12tr,x,0,0,-3\n"  # 9 size, kind, feature, price, x, w, h
        + "stand,S1,,,,,,,,,,,\n"  # 10 unknown record
        + "booth,,,,A,standard,standard,,,0,0,3,3\n"  # 11 missing code
        + "booth,A 3,,,A,standard,standard,,,0,0,inf,3\n"  # 12 bad code, non-finite width
        + "booth,A04,,,A,standard,standard,,,0,0,3\n"  # 13 missing h (short row)
    )
    assert errors_of(text) == [
        (4, "code", "duplicate_code"),
        (5, "hall", "unknown_hall"),
        (7, "code", "duplicate_code"),
        (8, "zone", "unknown_zone"),
        (9, "size", "unknown_size"),
        (9, "kind", "unknown_kind"),
        (9, "features", "unknown_feature"),
        (9, "price_vnd", "bad_number"),
        (9, "x", "bad_number"),
        (9, "w", "bad_number"),
        (9, "h", "bad_number"),
        (10, "record", "unknown_record"),
        (11, "code", "missing"),
        (12, "code", "bad_code"),
        (12, "w", "bad_number"),
        (13, "h", "missing"),
    ]


def test_errors_carry_readable_messages():
    with pytest.raises(FloorPlanErrors) as err:
        parse_floor_plan_csv(HEADER + "hall,H1,,,,,,,,,,,\nbooth,A01,,,Q,,,,,0,0,3,3\n")
    (error,) = err.value.errors
    assert error.message == "zone 'Q' is not declared in this file"
    assert str(err.value) == "line 3 zone: zone 'Q' is not declared in this file"


def test_line_numbers_count_physical_lines_of_quoted_fields():
    text = HEADER + 'hall,H1,"Nhà thi đấu\nPhú Thọ",,,,,,,,,,\nzone,A,,H1,,,,,,,,,\nbooth,A01,,,A,,,,,0,0,0,3\n'
    assert errors_of(text) == [(5, "w", "bad_number")]


def test_header_problems_stop_before_the_rows():
    header = "record,code,name,hall,zone,size,kind,features,prize_vnd,x,y,w,h,w\n"
    assert errors_of(header + "booth,A01,,,Q,,,,,bad,0,3,3\n") == [
        (1, "price_vnd", "missing_column"),
        (1, "record", "unknown_column"),
        (1, "w", "duplicate_column"),
    ]


def test_extra_fields_are_an_error():
    assert errors_of(HEADER + "hall,H1,,,,,,,,,,,,surprise\n") == [(2, "record", "extra_fields")]


def random_plan(rng: random.Random) -> FloorPlan:
    halls = tuple(Hall(f"H{i}", rng.choice(["", "Nhà A", 'Sân "ngoài", cổng 2'])) for i in range(2))
    zones = tuple(Zone(f"Z{i}", rng.choice(halls).code, rng.choice(["", "Khu, OCOP"])) for i in range(4))
    booths = tuple(
        Booth(
            code=f"B-{i:03d}",
            zone=rng.choice(zones).code,
            size=rng.choice(SIZES),
            kind=rng.choice(KINDS),
            features=frozenset(f for f in FEATURES if rng.random() < 0.4),
            price_vnd=rng.choice([None, 0, 6_500_000]),
            x=rng.choice([0.0, 1.5, 12.25, -3.0]),
            y=rng.uniform(0, 100),
            w=rng.choice([3.0, 6.0, 0.1]),
            h=3.0,
        )
        for i in range(30)
    )
    return FloorPlan(halls, zones, booths)


@pytest.mark.parametrize("seed", range(20))
def test_round_trip(seed):
    plan = random_plan(random.Random(seed))
    text = floor_plan_csv(plan)
    assert parse_floor_plan_csv(text) == plan
    assert floor_plan_csv(parse_floor_plan_csv(text)) == text


def test_export_layout():
    assert floor_plan_csv(parse_floor_plan_csv(GOOD)).splitlines()[3:5] == [
        "zone,B,Khu livestream,H1,,,,,,,,,",
        "booth,A01,,,A,standard,ocop,power;water,12000000,0,0,3,3",
    ]


# -- suggestions for the loser of a claim race ------------------------------------------------------


def claim_plan() -> FloorPlan:
    zones = (Zone("A", "H1"), Zone("B", "H1"), Zone("C", "H2"))
    booths = (
        Booth("A01", "A", features=frozenset({"power"}), x=0),
        Booth("A02", "A", features=frozenset({"power"}), x=3),
        Booth("A03", "A", features=frozenset({"power"}), x=9),
        Booth("A04", "A", features=frozenset(), x=6),
        Booth("A05", "A", kind="livestream", features=frozenset({"power"}), x=12),
        Booth("B01", "B", features=frozenset({"power"}), x=30),
        Booth("C01", "C", features=frozenset({"power"}), x=3),
    )
    return FloorPlan((Hall("H1"), Hall("H2")), zones, booths)


def test_suggest_same_kind_zone_features_then_nearest():
    plan = claim_plan()
    assert suggest_similar(plan, {"A01"}, "A01") == ["A02", "A03", "A04"]
    assert suggest_similar(plan, {"A01", "A02"}, "A01", limit=5) == ["A03", "A04", "B01", "C01"]
    assert suggest_similar(plan, {"A01", "A02", "A03", "A04"}, "A01") == ["B01", "C01"]


def test_suggest_never_offers_another_kind():
    assert suggest_similar(claim_plan(), set(), "A05") == []


def test_suggest_unknown_booth():
    with pytest.raises(KeyError):
        suggest_similar(claim_plan(), set(), "Z99")


@pytest.mark.parametrize("line_end", ["\r", "\r\n"])
def test_excel_line_ends_read_like_unix_ones(line_end):
    """Found from outside: Excel's "CSV (Macintosh)" (CR only) was a 500."""
    assert parse_floor_plan_csv(GOOD.replace("\n", line_end)) == parse_floor_plan_csv(GOOD)
    bad = GOOD.replace("booth,B01,,,B,double", "booth,B01,,,Z,double").replace("\n", line_end)
    assert [(line, field) for line, field, _ in errors_of(bad)] == [(7, "zone")]
