import re
import unicodedata

import pytest

from registration.domain.folding import fold, search_pattern


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Đắk Lắk", "dak lak"),
        ("Thanh Hóa", "thanh hoa"),
        ("Thanh Hoá", "thanh hoa"),  # old-style tone placement
        ("Hà Tĩnh", "ha tinh"),
        ("Nghệ An", "nghe an"),
        ("Quảng Trị", "quang tri"),
        ("Thừa Thiên Huế", "thua thien hue"),
        ("HỢP TÁC XÃ Nông nghiệp", "hop tac xa nong nghiep"),
        ("  Bánh   gai\tTứ Thơ\n", "banh gai tu tho"),
        ("Công ty TNHH Đồng Tâm", "cong ty tnhh dong tam"),
        ("", ""),
    ],
)
def test_fold(text, folded):
    assert fold(text) == folded


def test_decomposed_input_folds_like_precomposed():
    assert fold(unicodedata.normalize("NFD", "Đắk Lắk")) == fold("Đắk Lắk")


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("dak lak", "Đắk Lắk"),
        ("Đắk  Lắk", "Sở Công Thương tỉnh Đắk Lắk"),
        ("thanh hoa", "Hội nghị kết nối Thanh Hóa 2024"),
        ("nghe", "Nghệ An"),
        ("QUANG TRI", "Quảng Trị"),
    ],
)
def test_pattern_matches_folded_name(query, name):
    assert re.search(search_pattern(query), fold(name))


def test_pattern_does_not_match_other_names():
    assert not re.search(search_pattern("dak nong"), fold("Đắk Lắk"))
    assert not re.search(search_pattern("ha tinh"), fold("Hà Nội"))


def test_regex_syntax_in_the_query_is_literal():
    pattern = search_pattern("a.b (c)* [d]")
    assert re.search(pattern, "a.b (c)* [d]")
    assert not re.search(pattern, "axb cc d")


def test_whitespace_collapsed_and_empty_query():
    assert search_pattern("  dak \t lak ") == "dak lak"
    assert search_pattern("   ") == ""
