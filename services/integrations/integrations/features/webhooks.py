"""Webhooks: register an endpoint, rotate its secret, read its delivery log, send a delivery again, replay."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from integrations import access, views
from integrations.features.feed import feed_position
from integrations.features.log import wants
from integrations.schemas import DeliveriesQuery, FeedQuery, WebhookIn
from integrations.settings import hook_settings
from integrations.signing import new_secret
from integrations.store import IntegrationsStore
from shared import pages
from shared.entrypoints import rpc
from shared.errors import Conflict, NotFound
from shared.ids import new_id
from shared.timestamps import now_text, to_text
from shared.validation import load

# newest first; ``_id`` (``<webhook>:<event id>``) orders the deliveries of one millisecond
NEWEST_FIRST = pages.Order((("created_at", -1), ("_id", -1)))


class Webhooks:
    store: IntegrationsStore

    @rpc
    def register_webhook(self, actor: dict | None, body: dict) -> dict[str, Any]:
        """A province's endpoint for its own events (ops: any province's, or all); the answer holds the secret."""
        asked = load(WebhookIn, body)
        province = access.webhook_scope(actor, asked.get("province"))
        webhook = {
            "_id": new_id("whk"),
            "url": asked["url"],
            "event_types": asked["event_types"],
            "province": province,
            "secret": new_secret(),
            "created_at": now_text(),
            "created_by": (actor or {}).get("subject"),
        }
        self.store.add_webhook(webhook)
        return views.with_secret(access.webhook_owner(actor, self.store.webhook(webhook["_id"])))

    @rpc
    def get_webhook(self, actor: dict | None, webhook_id: str) -> dict[str, Any]:
        return views.webhook(access.webhook_owner(actor, self.store.webhook(webhook_id)))

    @rpc
    def rotate_secret(self, actor: dict | None, webhook_id: str) -> dict[str, Any]:
        """A new secret; the old one keeps signing too (a second ``v1``) for ``KETNOI_WEBHOOK_ROTATION_HOURS``."""
        webhook = access.webhook_owner(actor, self.store.webhook(webhook_id))
        until = to_text(datetime.now(UTC) + timedelta(hours=hook_settings().rotation_hours))
        if not self.store.rotate(webhook, new_secret(), until):
            raise Conflict("The secret changed meanwhile; read the webhook and rotate again.", code="webhook_changed")
        return views.with_secret(access.webhook_owner(actor, self.store.webhook(webhook_id)))

    @rpc
    def webhook_deliveries(self, actor: dict | None, webhook_id: str, query: dict) -> dict[str, Any]:
        """The delivery log, newest first: status, attempts, the last answer or error."""
        access.webhook_owner(actor, self.store.webhook(webhook_id))
        wanted = pages.wanted(load(DeliveriesQuery, query), f"deliveries:{webhook_id}", NEWEST_FIRST)
        return self.store.delivery_page(webhook_id, wanted).answer(views.delivery)

    @rpc
    def redeliver(self, actor: dict | None, webhook_id: str, delivery_id: str) -> dict[str, Any]:
        """A delivered or dead delivery goes out again at once, with a fresh set of retries."""
        access.webhook_owner(actor, self.store.webhook(webhook_id))
        found = self.store.delivery(delivery_id)
        if found is None or found["webhook_id"] != webhook_id:
            raise NotFound("No such delivery of this webhook.", code="delivery_not_found")
        again = self.store.redeliver(delivery_id)
        if again is None:
            raise Conflict(
                f"This delivery is {found['status']}; only a delivered or dead one is sent again.",
                code="delivery_in_progress",
            )
        return views.delivery(again)

    @rpc
    def replay(self, actor: dict | None, webhook_id: str, query: dict) -> dict[str, Any]:
        """Send the province's events after a feed cursor (none: from the first) again, up to ``limit``."""
        webhook = access.webhook_owner(actor, self.store.webhook(webhook_id))
        if webhook["province"] == access.ALL:
            raise Conflict(
                "Replay follows one province's feed; this webhook takes every province's events.",
                code="replay_needs_province",
            )
        asked = load(FeedQuery, query)
        after = feed_position(webhook["province"], asked.get("after"))
        queued = 0
        for row in self.store.entries(webhook["province"], after, asked["limit"]):
            event = json.loads(row["body"])
            if not wants(webhook, event["type"], [webhook["province"]]):
                continue
            added = self.store.add_delivery(webhook_id, event, row["body"])
            queued += added or self.store.redeliver(f"{webhook_id}:{event['id']}") is not None
        return {"queued": queued}
