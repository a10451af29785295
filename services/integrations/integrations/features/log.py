"""The event log: every public event, once per province it is routed to, and a delivery per webhook it fits."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from integrations import metrics
from integrations.access import ALL
from integrations.events import PUBLIC, all_provinces, body_of
from integrations.store import IntegrationsStore
from shared.events.consumer import event_handler
from shared.events.routing import provinces_of


def wants(webhook: dict[str, Any], event_type: str, provinces: list[str]) -> bool:
    """A webhook takes an event of a type it named, about its province (or any, for ``*``, or none: national)."""
    in_scope = webhook["province"] == ALL or not provinces or webhook["province"] in provinces
    return in_scope and any(fnmatchcase(event_type, p) for p in webhook["event_types"])


class EventLog:
    store: IntegrationsStore

    @event_handler(*PUBLIC)
    def log_event(self, event: dict[str, Any]) -> None:
        """Feed entries first, then deliveries: both keyed by the event id, so running this twice adds nothing."""
        body = body_of(event)
        provinces = provinces_of(event["type"], event.get("data") or {})
        for province in provinces or all_provinces():
            if self.store.log(province, event, body):
                metrics.EVENTS_LOGGED.labels(event["type"]).inc()
        for webhook in self.store.active_webhooks():
            if wants(webhook, event["type"], provinces):
                self.store.add_delivery(webhook["_id"], event, body)
