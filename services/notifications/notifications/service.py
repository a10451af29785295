"""The notifications service: tell people what happened to them, once per channel.

It consumes the other services' events (contacts come only from the internal
``organisation.contacts_changed`` event, never from a public one or another
service's database), renders each message in the delegate's language, stores
it under its exactly-once key (event, delegate, channel) and sends it.
Reminders live in its own database and fire once, also after downtime.  The
entrypoints live in :mod:`notifications.features`, one module per feature.
"""

from __future__ import annotations

import eventlet

# feature mixins imported as modules: `nameko run notifications.service` runs every service class it sees
from notifications.channels import channel_set, record
from notifications.delivery import Dispatcher
from notifications.features import facts, log, preferences, telling, upkeep
from notifications.settings import notify_settings
from notifications.store import COLLECTIONS, NotificationsStore
from shared.context import RequestContext
from shared.entrypoints import rpc
from shared.events.outbox import OutboxRelay
from shared.metrics import ServiceMetrics
from shared.rpc import ServiceRpc
from shared.store import Store


class NotificationsService(facts.Facts, telling.Telling, upkeep.Upkeep, log.DeliveryLog, preferences.Preferences):
    name = "notifications"

    store = Store("notifications", NotificationsStore)
    relay = OutboxRelay("notifications", COLLECTIONS)
    metrics = ServiceMetrics()
    request_id = RequestContext()
    meetings = ServiceRpc("meetings")

    @property
    def dispatcher(self) -> Dispatcher:
        channels, buckets = channel_set()
        return Dispatcher(self.store, channels, buckets, notify_settings().max_attempts, eventlet.sleep, record)

    @rpc
    def ping(self) -> dict[str, bool]:
        return {"store": self.store.ping()}
