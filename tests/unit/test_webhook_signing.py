"""The integrations service's rules without a broker: signatures and rotation, retry timing, which webhook takes
which event, which URLs are taken, and where a feed page must stop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from marshmallow import ValidationError

from integrations.features.feed import Feed
from integrations.features.log import wants
from integrations.schemas import endpoint
from integrations.sending import valid_secrets
from integrations.settings import backoff_of, retry_delay
from integrations.signing import header, new_secret, signature, verify
from shared import config
from shared.timestamps import to_text

BODY = b'{"id":"evt_1","type":"vn.ketnoi.registration.participation.approved.v1"}'
NOW = 1_790_000_000


def test_a_signed_body_verifies_with_its_secret_only():
    secret, other = new_secret(), new_secret()
    value = header([secret], NOW, BODY)
    assert value == f"t={NOW},v1={signature(secret, NOW, BODY)}"
    assert verify(value, secret, BODY, now=NOW)
    assert not verify(value, other, BODY, now=NOW)
    assert not verify(value, secret, BODY + b" ", now=NOW)  # the body as sent, byte for byte


def test_the_timestamp_is_signed_and_an_old_one_is_refused():
    secret = new_secret()
    value = header([secret], NOW, BODY)
    assert not verify(value.replace(f"t={NOW}", f"t={NOW + 1}"), secret, BODY, now=NOW)
    assert verify(value, secret, BODY, now=NOW + 300)
    assert not verify(value, secret, BODY, now=NOW + 301)
    assert not verify(f"v1={signature(secret, NOW, BODY)}", secret, BODY, now=NOW)  # no t=


def test_during_a_rotation_both_secrets_verify_and_the_old_one_stops_after_its_time():
    old, new = new_secret(), new_secret()
    webhook = {"secret": new, "previous_secret": old, "previous_until": "2026-11-27T12:00:00.000000Z"}
    during = header(valid_secrets(webhook, "2026-11-27T11:59:59.000000Z"), NOW, BODY)
    assert during.count("v1=") == 2 and verify(during, old, BODY, now=NOW) and verify(during, new, BODY, now=NOW)
    after = header(valid_secrets(webhook, "2026-11-27T12:00:00.000000Z"), NOW, BODY)
    assert after.count("v1=") == 1 and verify(after, new, BODY, now=NOW) and not verify(after, old, BODY, now=NOW)
    assert valid_secrets({"secret": new}, "2026-11-27T11:00:00.000000Z") == [new]


def test_backoff_waits_longer_each_time_and_ends_in_a_dead_letter():
    backoff = backoff_of("10,60,600,3600,21600")
    assert [retry_delay(backoff, n) for n in range(1, 7)] == [10, 60, 600, 3600, 21600, None]
    for wrong in ("", "0,10", "ten", "-5"):
        with pytest.raises(RuntimeError):
            backoff_of(wrong)


APPROVED = "vn.ketnoi.registration.participation.approved.v1"


@pytest.mark.parametrize(
    "webhook, provinces, expected",
    [
        ({"province": "quang-tri", "event_types": [APPROVED]}, ["quang-tri"], True),
        ({"province": "quang-tri", "event_types": [APPROVED]}, ["hue"], False),
        ({"province": "quang-tri", "event_types": [APPROVED]}, [], True),  # national: every province's
        ({"province": "quang-tri", "event_types": ["vn.ketnoi.registration.*"]}, ["quang-tri"], True),
        ({"province": "quang-tri", "event_types": ["vn.ketnoi.booths.*"]}, ["quang-tri"], False),
        ({"province": "*", "event_types": ["*"]}, ["hue"], True),
    ],
)
def test_a_webhook_takes_the_types_it_named_about_its_province(webhook, provinces, expected):
    assert wants(webhook, APPROVED, provinces) is expected


@pytest.mark.parametrize(
    "dev_mode, url, code",
    [
        ("0", "https://so-cong-thuong.quangtri.gov.vn/hooks/ketnoi", None),
        ("0", "http://so-cong-thuong.quangtri.gov.vn/hooks/ketnoi", "webhook_url_not_https"),
        ("0", "http://127.0.0.1:8080/hook", "webhook_url_not_https"),
        ("1", "http://127.0.0.1:8080/hook", None),
        ("1", "https://so-cong-thuong.quangtri.gov.vn/hooks/ketnoi", "webhook_url_not_local"),  # tests send nowhere
    ],
)
def test_webhook_urls_are_https_and_local_only_in_development(monkeypatch, dev_mode, url, code):
    monkeypatch.setenv("KETNOI_DEV_MODE", dev_mode)
    monkeypatch.setenv("KETNOI_JWT_SECRET", "a-secret-long-enough-for-production-checks-0123456789")
    config.settings.cache_clear()
    try:
        if code is None:
            endpoint(url)
        else:
            with pytest.raises(ValidationError) as raised:
                endpoint(url)
            assert raised.value.messages[0].code == code
    finally:
        config.settings.cache_clear()


class _Counter:
    def __init__(self, reserved_at: str) -> None:
        self.reserved_at = reserved_at

    def counter(self, province: str) -> dict:
        return {"_id": province, "reserved_at": self.reserved_at}


@pytest.mark.parametrize("reserved_ago, expected", [(1, [4, 5]), (60, [4, 5, 7, 8])])
def test_a_feed_page_stops_before_a_number_still_being_written_and_passes_one_a_dead_writer_left(
    reserved_ago, expected
):
    """Numbers 4, 5, 7, 8 are visible and 6 is not: while a writer may still insert 6 (its number was taken
    a moment ago) the page ends at 5, or a reader holding a cursor after 8 would never see 6."""
    feed = Feed()
    feed.store = _Counter(to_text(datetime.now(UTC) - timedelta(seconds=reserved_ago)))
    rows = [{"seq": n} for n in (4, 5, 7, 8)]
    assert [r["seq"] for r in feed._settled("quang-tri", 3, rows)] == expected
