"""The signed link that confirms a registration made in an organisation's name."""

from datetime import UTC, datetime, timedelta

import pytest

from registration.domain.claims import InvalidClaimToken, check_claim_token, make_claim_token

SECRET = b"k" * 32
LATER = datetime(2030, 1, 1, tzinfo=UTC)
NOW = datetime(2029, 12, 25, tzinfo=UTC)


def test_a_token_opens_its_claim_until_it_expires():
    token = make_claim_token(SECRET, "clm_1", LATER)
    check_claim_token(SECRET, "clm_1", token, NOW)
    with pytest.raises(InvalidClaimToken) as late:
        check_claim_token(SECRET, "clm_1", token, LATER + timedelta(seconds=1))
    assert late.value.reason == "expired"


@pytest.mark.parametrize("change", ["other claim", "other secret", "longer life", "garbage", "empty"])
def test_anything_else_is_invalid_never_expired(change):
    token = make_claim_token(SECRET, "clm_1", LATER)
    expires, mac = token.split(".")
    claim, secret = "clm_1", SECRET
    if change == "other claim":
        claim = "clm_2"
    elif change == "other secret":
        secret = b"x" * 32
    elif change == "longer life":
        token = f"{int(expires) + 86400}.{mac}"
    elif change == "garbage":
        token = "1.<script>"
    else:
        token = ""
    with pytest.raises(InvalidClaimToken) as refused:
        check_claim_token(secret, claim, token, LATER + timedelta(days=3))  # also after expiry: still "invalid"
    assert refused.value.reason == "invalid"


def test_no_empty_secret():
    with pytest.raises(ValueError):
        make_claim_token(b"", "clm_1", LATER)
