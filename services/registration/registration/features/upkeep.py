"""Upkeep timers: finishing work cut off half-way, settling places, refreshing the gauges.

Every multi-step write in registration leaves a mark until its last step
(a pending organisation, a confirming claim, ``snapshot_due``,
``capacity_due``, a promotion owed, a place held pending); after a minute
these timers finish what a crash or an outage cut off and nobody retried.
Looks at the whole database run only when something may have changed
(:class:`shared.store.Recount`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from nameko.timer import timer

from registration.metrics import refresh_participation_gauges
from registration.store import RegistrationStore
from shared.store import Recount

log = logging.getLogger(__name__)
# Periodic looks at the whole database, run only when something may have changed (shared.store.recount).
_GAUGES, _PLACES = Recount(), Recount()
# A registration form cut off half-way and not retried is completed by the service after this long.
PENDING_REGISTRATION = timedelta(minutes=1)


class Upkeep:
    store: RegistrationStore
    _complete_registration: Callable[[dict[str, Any]], dict[str, Any]]
    _finish_claim: Callable[[dict[str, Any]], dict[str, Any]]
    _refresh_snapshots: Callable[[dict[str, Any]], None]
    _apply_capacity: Callable[[dict[str, Any]], None]
    _promote_waitlisted: Callable[[str, str], None]

    @timer(interval=30)
    def finish_cut_off_work(self) -> None:
        """Work cut off half-way (a crash, an outage) and never retried is finished after a minute:
        registrations, confirmations of claimed registrations, participations' copies of a changed
        organisation, an edition's changed places, and waitlist promotions owed since places were freed or
        added."""
        for org in self.store.pending_organisations(older_than=PENDING_REGISTRATION):
            self._complete_registration(org)
            log.warning("completed the registration of %s that was cut off", org["_id"])
        for claim in self.store.confirming_claims(older_than=PENDING_REGISTRATION):
            self._finish_claim(claim)
            log.warning("finished the confirmation of claim %s that was cut off", claim["_id"])
        for org in self.store.marked("organisations", "snapshot_due", older_than=PENDING_REGISTRATION):
            self._refresh_snapshots(org)
            log.warning("refreshed the participations' copy of %s, cut off before it was written", org["_id"])
        for edition in self.store.marked("editions", "capacity_due", older_than=PENDING_REGISTRATION):
            self._apply_capacity(edition)
        for edition_id, role in self.store.promotions_due(older_than=PENDING_REGISTRATION):
            self._promote_waitlisted(edition_id, role)

    @timer(interval=30)
    def reconcile_places(self) -> None:
        """Release places held by approvals that never completed (a crash between the two writes)."""
        self.store.when_changed(_PLACES, self._reconcile_places)

    def _reconcile_places(self) -> None:
        """Each place marked pending a minute ago: confirmed if its participation is approved, else freed."""
        for edition_id, role, pid in list(self.store.stale_holders()):
            participation = self.store.get("participations", pid)
            if participation is not None and participation["status"] == "approved":
                self.store.confirm_place(edition_id, role, pid)  # the approval was written, its confirmation not
            elif self.store.free_place(edition_id, role, pid):
                log.warning("released a stale place of %s in %s/%s", pid, edition_id, role)
                self._promote_waitlisted(edition_id, role)

    @timer(interval=30)
    def refresh_gauges(self) -> None:
        self.store.when_changed(_GAUGES, lambda: refresh_participation_gauges(self.store))
