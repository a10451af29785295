import base64
import hashlib
import hmac
import json

import pytest

from registration.domain.checkin import (
    InvalidQrToken,
    QrClaims,
    make_qr_token,
    read_qr_token,
)

SECRET = b"test-secret-0123456789abcdef"
IDS = (
    "66b1f0c2a1e4d3b2c1a09f01",
    "66b1f0c2a1e4d3b2c1a09f02",
    "66b1f0c2a1e4d3b2c1a09f03",
)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(payload: dict, secret: bytes = SECRET) -> str:
    part = b64(json.dumps(payload).encode())
    mac = hmac.new(secret, part.encode(), hashlib.sha256).digest()[:16]
    return f"{part}.{b64(mac)}"


def test_round_trip():
    token = make_qr_token(SECRET, *IDS)
    assert read_qr_token(SECRET, token) == QrClaims(*IDS)


def test_token_is_compact_url_safe_and_deterministic():
    token = make_qr_token(SECRET, *IDS)
    assert token == make_qr_token(SECRET, *IDS)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert len(token) < 160


def test_token_carries_only_ids():
    payload = json.loads(base64.urlsafe_b64decode(make_qr_token(SECRET, *IDS).split(".")[0] + "=="))
    assert payload == {"e": IDS[0], "p": IDS[1], "d": IDS[2], "v": 1}


def test_wrong_secret_rejected():
    with pytest.raises(InvalidQrToken) as err:
        read_qr_token(b"another-secret", make_qr_token(SECRET, *IDS))
    assert err.value.reason == "signature"


def test_tampered_payload_rejected():
    token = make_qr_token(SECRET, *IDS)
    _, mac = token.split(".")
    forged = json.dumps({"e": IDS[0], "p": IDS[1], "d": "someone-else", "v": 1})
    with pytest.raises(InvalidQrToken, match="signature"):
        read_qr_token(SECRET, f"{b64(forged.encode())}.{mac}")


def test_every_single_character_change_is_rejected():
    token = make_qr_token(SECRET, *IDS)
    for i, ch in enumerate(token):
        if ch == ".":
            continue
        replacement = "A" if ch != "A" else "B"
        with pytest.raises(InvalidQrToken):
            read_qr_token(SECRET, token[:i] + replacement + token[i + 1 :])


@pytest.mark.parametrize(
    "token",
    [
        "",
        ".",
        "abc",
        "a.b.c",
        "abc.",
        ".abc",
        "ab+c.def",
        "abc.de/f",
        "abc.de=",
        "ábc.def",
    ],
)
def test_malformed_tokens(token):
    with pytest.raises(InvalidQrToken) as err:
        read_qr_token(SECRET, token)
    assert err.value.reason in {"format", "signature"}


@pytest.mark.parametrize(
    "payload",
    [
        {"e": "x", "p": "y", "d": "z", "v": 2},
        {"e": "x", "p": "y", "d": "z"},
        {"e": "x", "p": "y", "d": "", "v": 1},
        {"e": "x", "p": 5, "d": "z", "v": 1},
        ["x", "y", "z"],
    ],
)
def test_signed_but_unexpected_payload(payload):
    with pytest.raises(InvalidQrToken) as err:
        read_qr_token(SECRET, sign(payload))
    assert err.value.reason == "payload"


def test_hand_signed_valid_payload_is_accepted():
    assert read_qr_token(SECRET, sign({"e": "a", "p": "b", "d": "c", "v": 1})) == QrClaims("a", "b", "c")


def test_empty_secret_refused():
    with pytest.raises(ValueError):
        make_qr_token(b"", *IDS)
