import pytest

from meetings.domain.matching import Profile, suggest


def supplier(pid: str, **fields) -> Profile:
    fields.setdefault("province", "quang-tri")
    fields.setdefault("languages", frozenset({"vi"}))
    return Profile(pid, "supplier", **fields)


def buyer(pid: str, **fields) -> Profile:
    fields.setdefault("country", "JP")
    return Profile(pid, "buyer", **fields)


PEPPER = frozenset({"pepper"})
COFFEE = frozenset({"coffee"})
ME = supplier(
    "me",
    categories_offered=frozenset({"pepper", "coffee"}),
    markets=frozenset({"JP", "KR"}),
    certifications_held=frozenset({"HACCP"}),
    languages=frozenset({"vi", "en"}),
)


def test_ranks_by_fit_with_reasons():
    others = [
        buyer("weak", categories_sought=COFFEE, country="US"),
        buyer("strong", categories_sought=PEPPER | COFFEE, languages=frozenset({"en"})),
        buyer("middle", categories_sought=PEPPER, certifications_required=frozenset({"HACCP"})),
    ]
    result = suggest(ME, others)
    assert [s.profile_id for s in result] == ["strong", "middle", "weak"]
    assert result[0].reasons == ("categories: coffee, pepper", "target market: JP", "shared language: en")
    assert "certifications: all held" in result[1].reasons


def test_missing_certifications_count_against_and_are_named():
    others = [
        buyer("strict", categories_sought=PEPPER, certifications_required=frozenset({"HACCP", "JAS"})),
        buyer("lenient", categories_sought=PEPPER, certifications_required=frozenset({"HACCP"})),
    ]
    result = suggest(ME, others)
    assert [s.profile_id for s in result] == ["lenient", "strict"]
    assert "certifications missing: JAS" in result[1].reasons


def test_interpreter_bridges_a_language_gap_but_a_shared_language_is_better():
    others = [
        buyer("ja", categories_sought=PEPPER, languages=frozenset({"ja"})),
        buyer("ko", categories_sought=PEPPER, languages=frozenset({"ko"})),
        buyer("en", categories_sought=PEPPER, languages=frozenset({"en"})),
    ]
    result = suggest(ME, others, interpreter_languages={"ja"})
    assert [s.profile_id for s in result] == ["en", "ja", "ko"]
    assert "interpreter available: ja" in result[1].reasons


def test_never_oneself_own_side_own_province_agency_or_met_pairs():
    others = [
        ME,
        supplier("rival", categories_offered=PEPPER, categories_sought=PEPPER),
        buyer("agency-home", organisation_kind="agency", province="quang-tri", categories_sought=PEPPER),
        buyer("agency-away", organisation_kind="agency", province="hue", categories_sought=PEPPER),
        buyer("met", categories_sought=PEPPER),
        buyer("unrelated", categories_sought=frozenset({"rice"})),
    ]
    result = suggest(ME, others, met_pairs=[("met", "me")])
    assert [s.profile_id for s in result] == ["agency-away"]


def test_buyers_see_suppliers_limit_and_ties_by_id():
    me = buyer("b", categories_sought=PEPPER)
    others = [supplier(f"s{i}", categories_offered=PEPPER) for i in (3, 1, 2)]
    assert [s.profile_id for s in suggest(me, others, limit=2)] == ["s1", "s2"]


def test_side_is_checked():
    with pytest.raises(ValueError):
        Profile("x", "visitor")
