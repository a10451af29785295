"""What was sent: the delivery log for organisers, resending a dead-lettered message, an organisation's own."""

from __future__ import annotations

import functools

from notifications import access, views
from notifications.delivery import Dispatcher
from notifications.domain.formatting import DEFAULT_ZONE
from notifications.schemas import LogQuery
from notifications.store import NotificationsStore
from shared import pages
from shared.entrypoints import rpc
from shared.errors import Conflict, NotFound
from shared.validation import load

NEWEST_FIRST = pages.Order((("created_at", -1), ("_id", -1)))  # one event's messages share a created_at


class DeliveryLog:
    store: NotificationsStore
    dispatcher: Dispatcher

    @rpc
    def delivery_log(self, actor: dict | None, edition_id: str, query: dict) -> dict:
        """Organisers: every message of an edition, newest first, filtered by organisation, status, channel,
        template.  Not counted: an edition's log grows with every delegate, event and channel (tens of
        thousands), and a count reads all of it on every page where the page reads ``limit`` rows."""
        access.organiser_of(self.store, actor, edition_id)
        params = load(LogQuery, query)
        filters = {k: params[k] for k in ("organisation_id", "status", "channel", "template") if k in params}
        wanted = pages.wanted(params, f"log:{edition_id}", NEWEST_FIRST)
        page = self.store.messages({"edition_id": edition_id, **filters}, wanted, counted=False)
        zone = self._zone(edition_id)
        return page.answer(lambda m: views.message(m, zone, full_address=True))

    @rpc
    def resend(self, actor: dict | None, message_id: str) -> dict:
        """An organiser sends a dead-lettered message again (same key: still never sent twice by accident)."""
        message = self.store.message(message_id)
        if message is None:
            raise NotFound("No such message.", code="message_not_found")
        access.organiser_of(self.store, actor, message.get("edition_id"))
        if self.store.requeue(message_id) is None:
            raise Conflict(f"Only dead-lettered messages are resent; this one is {message['status']}.", code="not_dead")
        self.dispatcher.deliver(message_id)
        return views.message(self.store.message(message_id), self._zone(message.get("edition_id")), full_address=True)

    @rpc
    def organisation_messages(self, actor: dict | None, organisation_id: str, query: dict | None = None) -> dict:
        """What the organisation's delegates were sent, newest first (a few hundred at most: counted)."""
        access.member_of(actor, organisation_id)
        wanted = pages.requested(query, f"messages:{organisation_id}", NEWEST_FIRST)
        zone = functools.cache(self._zone)  # one look-up per edition of the page
        page = self.store.messages({"organisation_id": organisation_id}, wanted, counted=True)
        return page.answer(lambda m: views.message(m, zone(m.get("edition_id"))))

    def _zone(self, edition_id: str | None) -> str:
        """The edition's time zone, as its events told this service; the home zone before they did."""
        return ((self.store.edition(edition_id) if edition_id else None) or {}).get("timezone") or DEFAULT_ZONE
