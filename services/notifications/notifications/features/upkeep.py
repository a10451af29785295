"""The timers: send what is due (retries, quiet hours, a crashed sender's leases), fire reminders once,
refresh the delivery gauges when something may have changed."""

from __future__ import annotations

import logging
from collections.abc import Callable

from nameko.timer import timer

from notifications.audience import Notice, NotYetKnown
from notifications.delivery import Dispatcher
from notifications.metrics import refresh_gauges
from notifications.store import NotificationsStore
from shared.store import Recount
from shared.timestamps import now_text

log = logging.getLogger(__name__)
# The gauges look at the whole database: only when something may have changed (shared.store.recount).
_GAUGES = Recount()


class Upkeep:
    store: NotificationsStore
    dispatcher: Dispatcher
    _send: Callable[[list[Notice], str, str], None]

    @timer(interval=1)
    def dispatch_due(self) -> None:
        """Retries whose time has come, messages held by quiet hours, and any a crashed sender left leased."""
        dispatcher = self.dispatcher
        if dispatcher.record_pending():
            return  # the store is still away
        for message_id in self.store.due(now_text()):
            dispatcher.deliver(message_id)

    @timer(interval=2)
    def fire_reminders(self) -> None:
        """Due reminders fire once; one whose moment has passed (the service was down too long) is skipped."""
        now = now_text()
        for reminder in self.store.due_reminders(now):
            if reminder["until"] <= now:
                self.store.settle_reminder(reminder, "missed")
                continue
            notice = Notice(
                reminder["template"], reminder["organisation_id"], reminder["edition_id"], reminder["context"]
            )
            try:  # messages first (their keys are per arm: two replicas firing at once send once), then settle
                self._send([notice], f"{reminder['_id']}#{reminder['arm']}", "reminder")
            except NotYetKnown:
                log.warning("reminder %s: no contacts for its organisation yet; tried again", reminder["_id"])
                continue
            self.store.settle_reminder(reminder, "fired")

    @timer(interval=15)
    def refresh_gauges(self) -> None:
        self.store.when_changed(_GAUGES, lambda: refresh_gauges(self.store.delivery_counts()))
