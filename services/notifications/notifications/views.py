"""Messages and preferences as the API shows them; addresses are shown masked outside organisers' logs."""

from __future__ import annotations

from typing import Any

from notifications.domain.policy import Preferences
from shared.timestamps import local_iso, utc_iso


def mask(address: str) -> str:
    """``lua.mai@example.vn`` → ``l…i@example.vn``; ``+84912345678`` → ``+849…678``."""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}…{local[-1:]}@{domain}"
    return f"{address[:4]}…{address[-3:]}"


def message(doc: dict[str, Any], zone: str, full_address: bool = False) -> dict[str, Any]:
    """A message; when it was made and sent in its edition's ``zone`` (people read them), when it is tried
    next in UTC (a retry schedule)."""
    return {
        "id": doc["_id"],
        "event_id": doc["event_id"],
        "event_type": doc["event_type"],
        "template": doc["template"],
        "channel": doc["channel"],
        "language": doc["language"],
        "delegate_id": doc["recipient_id"],
        "organisation_id": doc["organisation_id"],
        "edition_id": doc.get("edition_id"),
        "to": doc["address"] if full_address else mask(doc["address"]),
        "subject": doc.get("subject"),
        "status": doc["status"],
        "attempts": int(doc.get("attempts") or 0),
        "last_error": doc.get("last_error"),
        "created_at": local_iso(doc["created_at"], zone),
        "sent_at": local_iso(doc.get("sent_at"), zone),
        "next_at": utc_iso(doc.get("next_at")) if doc["status"] == "pending" else None,
        "written_to": (doc.get("receipt") or {}).get("written_to"),
    }


def preferences_of(doc: dict[str, Any] | None) -> Preferences:
    """Stored choices; by default e-mail only (SMS and Zalo cost money and are opted into)."""
    doc = doc or {}
    return Preferences(
        email=doc.get("email", "yes") == "yes",
        sms=doc.get("sms", "no") == "yes",
        zalo=doc.get("zalo", "no") == "yes",
        unsubscribed_non_essential=doc.get("unsubscribed_non_essential", "no") == "yes",
    )


def preferences(delegate_id: str, prefs: Preferences) -> dict[str, Any]:
    return {
        "delegate_id": delegate_id,
        "email": prefs.email,
        "sms": prefs.sms,
        "zalo": prefs.zalo,
        "unsubscribed_non_essential": prefs.unsubscribed_non_essential,
    }
