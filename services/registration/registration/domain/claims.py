"""Signed links that let an organisation's contacts confirm (or decline) a registration made in its name.

Tax codes are public, so a form naming an organisation on file proves
nothing about who filled it in.  The organisation's contacts on file get a
link instead; whoever holds it may decide the claim until it expires.

Format: ``<expiry, unix seconds> "." base64url(HMAC-SHA256(secret, "<claim id>:<expiry>")[:16])``,
unpadded.  The claim id travels in the URL path, not in the token, and is part
of what is signed: a token for one claim opens no other, and changing the
expiry breaks the signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import UTC, datetime

_MAC_BYTES = 16
_TOKEN = re.compile(r"(\d{1,12})\.([A-Za-z0-9_-]{22})")


class InvalidClaimToken(ValueError):
    """``reason``: "invalid" (not a token of ours for this claim) or "expired" (ours, but too late)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"claim token {reason}")
        self.reason = reason


def _mac(secret: bytes, claim_id: str, expires: int) -> str:
    digest = hmac.new(secret, f"{claim_id}:{expires}".encode(), hashlib.sha256).digest()[:_MAC_BYTES]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def make_claim_token(secret: bytes, claim_id: str, expires_at: datetime) -> str:
    if not secret:
        raise ValueError("an empty secret would make every token forgeable")
    expires = int(expires_at.timestamp())
    return f"{expires}.{_mac(secret, claim_id, expires)}"


def check_claim_token(secret: bytes, claim_id: str, token: str, now: datetime | None = None) -> None:
    """Return if ``token`` opens ``claim_id`` now; raise :class:`InvalidClaimToken` otherwise.

    The signature is checked (in constant time) before the expiry, so a forged
    token is told "invalid", never "expired".
    """
    found = _TOKEN.fullmatch((token or "").strip())
    if found is None:
        raise InvalidClaimToken("invalid")
    expires = int(found.group(1))
    if not hmac.compare_digest(_mac(secret, claim_id, expires), found.group(2)):
        raise InvalidClaimToken("invalid")
    if (now or datetime.now(UTC)).timestamp() >= expires:
        raise InvalidClaimToken("expired")
