"""The API's two forms of a moment (shared.timestamps): people read it in the edition's offset, programs in UTC;
RFC 3339, milliseconds at most, the same instant as stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.timestamps import HOME_ZONE, from_text, local_iso, now_text, to_text, utc_iso

STORED = "2026-11-27T13:53:18.388459Z"


def test_people_facing_moments_carry_the_editions_offset_and_milliseconds_at_most():
    assert local_iso(STORED, "Asia/Ho_Chi_Minh") == "2026-11-27T20:53:18.388+07:00"
    assert local_iso(STORED, "Europe/Berlin") == "2026-11-27T14:53:18.388+01:00"
    assert local_iso(None, "Asia/Ho_Chi_Minh") is None
    assert HOME_ZONE == "Asia/Ho_Chi_Minh"


def test_machine_facing_moments_are_utc_with_z():
    assert utc_iso(STORED) == "2026-11-27T13:53:18.388Z"
    assert utc_iso("2026-11-27T20:53:18.388459+07:00") == "2026-11-27T13:53:18.388Z"  # text with an offset too
    assert utc_iso(None) is None


def test_a_whole_second_has_no_fraction_so_edition_and_programme_times_are_unchanged():
    assert local_iso("2024-08-16T01:00:00.000000Z", "Asia/Ho_Chi_Minh") == "2024-08-16T08:00:00+07:00"
    assert utc_iso("2024-08-16T01:00:00.000000Z") == "2024-08-16T01:00:00Z"
    assert local_iso("2024-08-16T01:00:00.000999Z", "Asia/Ho_Chi_Minh") == "2024-08-16T08:00:00+07:00"  # truncated


@pytest.mark.parametrize("micro", [0, 1, 999, 1000, 388459, 999999])
def test_both_forms_are_the_stored_instant_to_the_millisecond_never_later(micro):
    moment = datetime(2026, 11, 27, 23, 59, 59, micro, tzinfo=UTC)
    stored = to_text(moment)
    for shown in (local_iso(stored, "Asia/Ho_Chi_Minh"), utc_iso(stored)):
        parsed = datetime.fromisoformat(shown)
        assert timedelta(0) <= moment - parsed < timedelta(milliseconds=1), shown
        assert "." not in shown or len(shown.split(".")[1].rstrip("Z").split("+")[0]) == 3


def test_neighbour_the_stored_form_is_unchanged():
    assert to_text(datetime(2024, 8, 16, 1, tzinfo=UTC)) == "2024-08-16T01:00:00.000000Z"
    assert from_text(now_text()).tzinfo is UTC


def test_a_timestamp_without_an_offset_is_refused():
    with pytest.raises(ValueError):
        utc_iso("2024-08-16T01:00:00")


def test_views_show_people_their_editions_offset_and_programs_utc():
    from booths import views as booths
    from registration import views as registration

    offer = {"_id": "off1", "edition_id": "ed1", "created_at": STORED, "expires_at": STORED, "status": "open"}
    assert booths.offer(offer, "Asia/Ho_Chi_Minh") | {"id": "off1"} == {
        "id": "off1",
        "edition_id": "ed1",
        "created_at": "2026-11-27T20:53:18.388+07:00",
        "expires_at": "2026-11-27T13:53:18.388Z",
        "status": "open",
    }
    slot = booths.slot({"_id": "s", "starts_at": "2024-08-16T02:00:00.000000Z"}, booths.zone_of({"timezone": "UTC"}))
    assert slot["starts_at"] == "2024-08-16T02:00:00+00:00"  # the plan's zone, here UTC: an offset, not Z
    assert booths.zone_of(None) == HOME_ZONE
    participation = {
        "_id": "par1",
        "org": {"kind": "enterprise", "legal_name": {"vi": "X"}},
        "submitted_at": STORED,
        "decided_at": None,
        "version": 1,
    }
    shown = registration.participation(participation, "Asia/Ho_Chi_Minh")
    assert (shown["submitted_at"], shown["decided_at"]) == ("2026-11-27T20:53:18.388+07:00", None)
    assert participation["submitted_at"] == STORED  # the stored document is not changed
