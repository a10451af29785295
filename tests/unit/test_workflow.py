import pytest

from registration.domain.workflow import (
    EDITION_STATUSES,
    PARTICIPATION_STATUSES,
    IllegalTransition,
    check_edition_transition,
    check_transition,
    edition_sources_for,
    reason_required,
    sources_for,
)

ALLOWED = {
    ("submitted", "approved"),
    ("submitted", "rejected"),
    ("submitted", "waitlisted"),
    ("submitted", "cancelled"),
    ("waitlisted", "approved"),
    ("waitlisted", "rejected"),
    ("waitlisted", "cancelled"),
    ("approved", "cancelled"),
}
EDITION_ALLOWED = {
    ("draft", "open"),
    ("open", "closed"),
    ("closed", "open"),
    ("closed", "finished"),
}


@pytest.mark.parametrize("current", PARTICIPATION_STATUSES)
@pytest.mark.parametrize("target", PARTICIPATION_STATUSES)
def test_participation_transition_table(current, target):
    if (current, target) in ALLOWED:
        check_transition(current, target)
    else:
        with pytest.raises(IllegalTransition) as err:
            check_transition(current, target)
        assert (err.value.current, err.value.target) == (current, target)


@pytest.mark.parametrize("current", EDITION_STATUSES)
@pytest.mark.parametrize("target", EDITION_STATUSES)
def test_edition_transition_table(current, target):
    if (current, target) in EDITION_ALLOWED:
        check_edition_transition(current, target)
    else:
        with pytest.raises(IllegalTransition):
            check_edition_transition(current, target)


@pytest.mark.parametrize(("current", "target"), [("bogus", "approved"), ("submitted", "bogus")])
def test_unknown_statuses_are_illegal(current, target):
    with pytest.raises(IllegalTransition):
        check_transition(current, target)


def test_terminal_statuses():
    for terminal in ("rejected", "cancelled"):
        for target in PARTICIPATION_STATUSES:
            with pytest.raises(IllegalTransition):
                check_transition(terminal, target)


def test_sources_for():
    assert set(sources_for("approved")) == {"submitted", "waitlisted"}
    assert set(sources_for("cancelled")) == {"submitted", "waitlisted", "approved"}
    assert set(sources_for("waitlisted")) == {"submitted"}
    assert sources_for("submitted") == ()
    for target in PARTICIPATION_STATUSES:
        assert set(sources_for(target)) == {c for c, t in ALLOWED if t == target}


def test_edition_sources_for():
    assert edition_sources_for("open") == ("draft", "closed")
    assert edition_sources_for("finished") == ("closed",)
    for target in EDITION_STATUSES:
        assert set(edition_sources_for(target)) == {c for c, t in EDITION_ALLOWED if t == target}


def test_sources_for_unknown_status_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown status"):
        sources_for("approve")
    with pytest.raises(ValueError):
        edition_sources_for("published")


def test_only_rejection_needs_a_reason():
    assert [s for s in PARTICIPATION_STATUSES if reason_required(s)] == ["rejected"]
