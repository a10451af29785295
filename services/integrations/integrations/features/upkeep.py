"""The timers: send what is due (new, retries, a crashed sender's leases) and refresh the backlog gauge."""

from __future__ import annotations

from functools import cache

from nameko.timer import timer

from integrations.metrics import refresh_gauges
from integrations.sending import Sender
from integrations.settings import hook_settings
from integrations.store import IntegrationsStore


@cache
def sender() -> Sender:
    """One per process: its in-flight counts are what keeps one receiver from taking every sending slot."""
    return Sender(hook_settings())


class Upkeep:
    store: IntegrationsStore

    @timer(interval=0.5)
    def dispatch_due(self) -> None:
        sender().dispatch(self.store)

    @timer(interval=15)
    def refresh_gauges(self) -> None:
        refresh_gauges(self.store.backlog())
