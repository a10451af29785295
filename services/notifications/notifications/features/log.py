"""What was sent: the delivery log for organisers, resending a dead-lettered message, an organisation's own."""

from __future__ import annotations

from notifications import access, views
from notifications.delivery import Dispatcher
from notifications.schemas import LogQuery
from notifications.store import NotificationsStore
from shared.entrypoints import rpc
from shared.errors import Conflict, NotFound
from shared.validation import load


class DeliveryLog:
    store: NotificationsStore
    dispatcher: Dispatcher

    @rpc
    def delivery_log(self, actor: dict | None, edition_id: str, query: dict) -> dict:
        """Organisers: every message of an edition, filtered by organisation, status, channel, template."""
        access.organiser_of(self.store, actor, edition_id)
        filters = load(LogQuery, query)
        limit = filters.pop("limit")
        items = self.store.messages({"edition_id": edition_id, **filters}, limit)
        return {"items": [views.message(m, full_address=True) for m in items]}

    @rpc
    def resend(self, actor: dict | None, message_id: str) -> dict:
        """An organiser sends a dead-lettered message again (same key: still never sent twice by accident)."""
        message = self.store.message(message_id)
        if message is None:
            raise NotFound("No such message.", code="message_not_found")
        access.organiser_of(self.store, actor, message.get("edition_id"))
        if self.store.requeue(message_id) is None:
            raise Conflict(f"Only dead-lettered messages are resent; this one is {message['status']}.",
                           code="not_dead")
        self.dispatcher.deliver(message_id)
        return views.message(self.store.message(message_id), full_address=True)

    @rpc
    def organisation_messages(self, actor: dict | None, organisation_id: str, limit: int = 100) -> dict:
        access.member_of(actor, organisation_id)
        items = self.store.messages({"organisation_id": organisation_id}, max(1, min(int(limit), 500)))
        return {"items": [views.message(m) for m in items]}
