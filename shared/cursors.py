"""Page cursors the API signs, so a cursor it never issued is a 400 and not a list restarted elsewhere.

A cursor is the last position of a page (an ``_id``) and the list it belongs
to (the scope: which list of which edition), signed with a key derived from
the service secret.  It says nothing a caller may not see (ids are in the page
already) and cannot be moved to another list or edited.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from shared.config import settings
from shared.errors import BadRequest, field_error


def _key() -> bytes:
    return hashlib.sha256(b"ketnoi-cursor:" + settings().jwt_secret.encode()).digest()


def _mac(position: str, scope: str) -> str:
    return hmac.new(_key(), f"{scope}|{position}".encode(), hashlib.sha256).hexdigest()[:24]


def issue(position: str, scope: str) -> str:
    encoded = base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")
    return f"{encoded}.{_mac(position, scope)}"


def position_of(cursor: str, scope: str) -> str:
    """The position a cursor of ``scope`` names; 400 (``invalid_cursor``) for one the API did not issue."""
    encoded, _, mac = cursor.partition(".")
    try:
        position = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        position = None
    if position is None or not hmac.compare_digest(mac, _mac(position, scope)):
        raise BadRequest("This cursor was not issued for this list; start again without one.", code="invalid_cursor",
                         errors=[field_error("cursor", "invalid_cursor", "Use the next_cursor of a page.")])
    return position
