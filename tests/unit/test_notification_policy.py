import random
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from notifications.domain.policy import (
    CHANNELS,
    Preferences,
    TokenBucket,
    channels_for,
    message_key,
    quiet_hours_release,
    read_unsubscribe_token,
    retry_delays,
    unsubscribe_token,
)
from notifications.domain.rendering import ESSENTIAL, TEMPLATES
from notifications.settings import quiet_hours
from tests.support.clock import FakeClock

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SECRET = b"unsubscribe-secret-0123456789"


def vn(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 7, day, hour, minute, tzinfo=VN)


# -- quiet hours ------------------------------------------------------------------------------


@pytest.mark.parametrize("channel", ["sms", "zalo"])
def test_quiet_hours_defer_phones(channel):
    assert quiet_hours_release(vn(10, 20, 59), channel) == vn(10, 20, 59)
    assert quiet_hours_release(vn(10, 21, 0), channel) == vn(11, 7, 0)
    assert quiet_hours_release(vn(10, 23, 45), channel) == vn(11, 7, 0)
    assert quiet_hours_release(vn(11, 0, 0), channel) == vn(11, 7, 0)
    assert quiet_hours_release(vn(10, 3, 0), channel) == vn(10, 7, 0)
    assert quiet_hours_release(vn(10, 6, 59), channel) == vn(10, 7, 0)
    assert quiet_hours_release(vn(10, 7, 0), channel) == vn(10, 7, 0)


def test_quiet_hours_are_local_time_whatever_zone_the_input_has():
    at = datetime(2025, 7, 10, 14, 30, tzinfo=UTC)  # 21:30 in Vietnam
    release = quiet_hours_release(at, "sms")
    assert release == datetime(2025, 7, 11, 0, 0, tzinfo=UTC)  # 07:00 on the 11th in Vietnam
    assert release.tzinfo is UTC
    assert release.astimezone(VN).time() == time(7, 0)
    assert quiet_hours_release(datetime(2025, 7, 10, 13, 59, tzinfo=UTC), "sms") == datetime(
        2025, 7, 10, 13, 59, tzinfo=UTC
    )


def test_email_is_never_deferred():
    for hour in (21, 23, 0, 3, 6):
        assert quiet_hours_release(vn(10, hour), "email") == vn(10, hour)


def test_quiet_hours_configurable():
    lunch = {"start": time(12, 0), "end": time(13, 30)}
    assert quiet_hours_release(vn(10, 12, 15), "sms", **lunch) == vn(10, 13, 30)
    assert quiet_hours_release(vn(10, 13, 30), "sms", **lunch) == vn(10, 13, 30)
    assert quiet_hours_release(vn(10, 11, 59), "sms", **lunch) == vn(10, 11, 59)
    paris = datetime(2025, 7, 10, 22, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert quiet_hours_release(paris, "sms", tz="Europe/Paris") == datetime(
        2025, 7, 11, 7, 0, tzinfo=ZoneInfo("Europe/Paris")
    )
    assert quiet_hours_release(vn(10, 23), "sms", start=time(9), end=time(9)) == vn(10, 23)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        quiet_hours_release(datetime(2025, 7, 10, 22, 0), "sms")


# -- token bucket -----------------------------------------------------------------------------


def test_token_bucket_bursts_then_paces():
    clock = FakeClock()
    bucket = TokenBucket(rate_per_second=10, burst=3, clock=clock)
    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take() == pytest.approx(0.1)
    assert bucket.take() == pytest.approx(0.2)  # queued behind the previous caller
    clock.now += 0.2  # both waits are over, the bucket is empty again
    assert bucket.take() == pytest.approx(0.1)


def test_token_bucket_refills_but_never_beyond_burst():
    clock = FakeClock()
    bucket = TokenBucket(rate_per_second=2, burst=2, clock=clock)
    bucket.take(), bucket.take()
    assert bucket.take() == pytest.approx(0.5)
    clock.now += 60
    assert [bucket.take() for _ in range(2)] == [0.0, 0.0]
    assert bucket.take() == pytest.approx(0.5)


def test_token_bucket_holds_its_rate_over_time():
    clock = FakeClock()
    bucket = TokenBucket(rate_per_second=5, burst=1, clock=clock)
    sent = 0
    while clock.now < 1010.0:
        wait = bucket.take()
        clock.now += wait
        sent += 1
    assert 50 <= sent <= 52


def test_token_bucket_validates():
    with pytest.raises(ValueError):
        TokenBucket(0, 1)
    with pytest.raises(ValueError):
        TokenBucket(1, 0)


# -- channels ---------------------------------------------------------------------------------

ALL = {"email", "sms", "zalo"}


def test_channels_follow_preferences():
    prefs = Preferences(email=True, sms=False, zalo=True)
    assert channels_for(prefs, "meeting.scheduled", ALL) == ["email", "zalo"]
    assert channels_for(prefs, "meeting.scheduled", {"zalo"}) == ["zalo"]
    assert channels_for(Preferences(), "booth.allocated", ALL) == list(CHANNELS)


def test_unsubscribed_people_get_only_essential_messages():
    prefs = Preferences(unsubscribed_non_essential=True)
    for key in TEMPLATES:
        expected = list(CHANNELS) if key in ESSENTIAL else []
        assert channels_for(prefs, key, ALL) == expected, key


def test_essential_messages_always_find_a_channel():
    nothing = Preferences(email=False, sms=False, zalo=False)
    assert channels_for(nothing, "participation.rejected", ALL) == ["email"]
    assert channels_for(nothing, "participation.rejected", {"sms", "zalo"}) == ["sms"]
    assert channels_for(nothing, "participation.rejected", set()) == []
    assert channels_for(nothing, "reminder.meeting_soon", ALL) == []
    assert channels_for(Preferences(email=False), "meeting.cancelled", {"email"}) == ["email"]
    assert channels_for(Preferences(email=False), "reminder.meeting_soon", {"email"}) == []


def test_unknown_template_key():
    with pytest.raises(KeyError):
        channels_for(Preferences(), "nope", ALL)


# -- unsubscribe tokens -----------------------------------------------------------------------


@pytest.mark.parametrize("recipient", ["del_0193a1b2c3d4e5f60718293a", "người-nhận/ä?&=", "x"])
def test_unsubscribe_token_round_trip(recipient):
    token = unsubscribe_token(SECRET, recipient)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert read_unsubscribe_token(SECRET, token) == recipient
    assert unsubscribe_token(SECRET, recipient) == token  # stable: the same link in every message


def test_tampered_or_foreign_tokens_are_rejected():
    token = unsubscribe_token(SECRET, "del_a")
    payload, mac = token.split(".")
    other = unsubscribe_token(SECRET, "del_b").split(".")[0]
    flipped = mac[:-2] + ("A" if mac[-2] != "A" else "B") + mac[-1]
    for bad in (
        f"{other}.{mac}",
        f"{payload}.{flipped}",
        f"{payload}.",
        f".{mac}",
        payload,
        "",
        "a.b.c",
        f"{payload}.{mac}x",
        "%%%.***",
        f"{payload}.{mac}.",
    ):
        assert read_unsubscribe_token(SECRET, bad) is None, bad
    assert read_unsubscribe_token(b"another-secret", token) is None
    with pytest.raises(ValueError):
        unsubscribe_token(b"", "del_a")


# -- retries and keys -------------------------------------------------------------------------


def test_backoff_doubles_up_to_the_cap():
    assert retry_delays() == [2.0, 4.0, 8.0, 16.0, 32.0]
    assert retry_delays(attempts=10, base=1.0, cap=60.0) == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]
    assert retry_delays(attempts=0) == []


def test_backoff_jitter_is_bounded_and_reproducible():
    plain = retry_delays(attempts=8, base=3.0, cap=100.0)
    jittered = retry_delays(attempts=8, base=3.0, cap=100.0, rng=random.Random(7))
    assert jittered == retry_delays(attempts=8, base=3.0, cap=100.0, rng=random.Random(7))
    assert jittered != plain
    assert all(d / 2 <= j <= d for d, j in zip(plain, jittered, strict=True))


def test_message_key_is_stable_and_injective():
    key = message_key("5f0c6a9e-1b2c-4d3e-8f90-a1b2c3d4e5f6", "del_0193a1b2c3d4e5f60718293a", "email")
    assert key == "5f0c6a9e-1b2c-4d3e-8f90-a1b2c3d4e5f6.del_0193a1b2c3d4e5f60718293a.email"
    assert message_key("a.b", "c", "sms") != message_key("a", "b.c", "sms")
    assert message_key("a", "b", "sms") != message_key("a", "b", "zalo")
    with pytest.raises(ValueError):
        message_key("", "b", "sms")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("21:00-07:00", (time(21, 0), time(7, 0))),
        ("22:30 - 6:15", (time(22, 30), time(6, 15))),
        ("off", (time(0, 0), time(0, 0))),
    ],
)
def test_quiet_hours_setting(value, expected):
    start, end = quiet_hours(value)
    assert (start, end) == expected
    night = datetime(2026, 3, 1, 23, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    released = quiet_hours_release(night, "sms", start, end)
    assert (released == night) == (value == "off")


@pytest.mark.parametrize("value", ["21-07", "25:00-07:00", "evenings"])
def test_quiet_hours_setting_refuses_what_it_cannot_read(value):
    with pytest.raises(RuntimeError, match="KETNOI_QUIET_HOURS"):
        quiet_hours(value)
