"""What the API shows of webhooks and deliveries (never a secret, except once when it is made).

Every time here is for programs (a subscription, its secret's overlap, delivery attempts): RFC 3339 UTC, ``Z``.
"""

from __future__ import annotations

from typing import Any

from shared.timestamps import utc_iso


def webhook(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": doc["_id"],
        "url": doc["url"],
        "event_types": doc["event_types"],
        "province": doc["province"],
        "status": doc["status"],
        "created_at": utc_iso(doc["created_at"]),
        "previous_secret_valid_until": utc_iso(doc.get("previous_until")),
    }


def with_secret(doc: dict[str, Any]) -> dict[str, Any]:
    """The only answer that carries the secret: keep it, it is not shown again."""
    return {**webhook(doc), "secret": doc["secret"]}


def delivery(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": doc["_id"],
        "webhook_id": doc["webhook_id"],
        "event_id": doc["event_id"],
        "event_type": doc["event_type"],
        "status": doc["status"],
        "attempts": doc.get("attempts", 0),
        "next_at": utc_iso(doc.get("next_at")) if doc["status"] == "pending" else None,
        "delivered_at": utc_iso(doc.get("delivered_at")),
        "last": _attempt(doc.get("last")),
        "redeliveries": doc.get("redeliveries", 0),
        "created_at": utc_iso(doc["created_at"]),
    }


def _attempt(last: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if last is None else {**last, "at": utc_iso(last.get("at"))}
