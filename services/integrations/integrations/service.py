"""The integrations service: the public events, kept per province and pushed to webhooks.

It consumes every public event type (as a province's AMQP consumer would,
but through the project's consumer: deduped by id, retried, dead-lettered),
keeps each once per province it is routed to with a sequence number (the HTTP
feed reads by it), and sends it, signed, to every webhook that asked for it.
It holds no personal data: public events carry none.  The entrypoints live in
:mod:`integrations.features`, one module per feature.
"""

from __future__ import annotations

# feature mixins imported as modules: `nameko run integrations.service` runs every service class it sees
from integrations.features import feed, log, upkeep, webhooks
from integrations.store import IntegrationsStore
from shared.context import RequestContext
from shared.entrypoints import rpc
from shared.metrics import ServiceMetrics
from shared.store import Store


class IntegrationsService(log.EventLog, feed.Feed, webhooks.Webhooks, upkeep.Upkeep):
    name = "integrations"

    store = Store("integrations", IntegrationsStore)
    metrics = ServiceMetrics()
    request_id = RequestContext()

    @rpc
    def ping(self) -> dict[str, bool]:
        return {"store": self.store.ping()}
