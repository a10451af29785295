"""Webhook signatures: HMAC-SHA256 over ``<timestamp>.<body>``, sent as ``Ketnoi-Signature: t=…,v1=…``.

The timestamp is inside what is signed, so a receiver that refuses old
timestamps also refuses a captured request sent again later.  During a secret
rotation the header carries one ``v1`` per valid secret (the new one first):
a receiver that still knows only the old secret keeps accepting deliveries
until it is given the new one, and nobody has to switch at the same second.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

HEADER = "Ketnoi-Signature"
SCHEME = "v1"
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def header(valid_secrets: list[str], timestamp: int, body: bytes) -> str:
    """The header value: the timestamp, then a signature with each secret valid now."""
    return ",".join([f"t={timestamp}", *(f"{SCHEME}={signature(s, timestamp, body)}" for s in valid_secrets)])


def verify(value: str, secret: str, body: bytes, now: int, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """Does ``value`` (a Ketnoi-Signature header) sign ``body`` with ``secret``, recently enough?"""
    parts = [p.partition("=") for p in value.split(",")]
    stamps = [v for k, _, v in parts if k.strip() == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit() or abs(now - int(stamps[0])) > tolerance:
        return False
    expected = signature(secret, int(stamps[0]), body)
    return any(k.strip() == SCHEME and hmac.compare_digest(v, expected) for k, _, v in parts)
