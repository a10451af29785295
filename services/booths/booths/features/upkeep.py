"""Upkeep timers: finishing work cut off half-way, repairing booth counters, refreshing the gauges.

Every command that writes several documents records first what it is about
to do; after a crash or an outage nobody may retry it, so these timers
finish it from that record, by the same conditional steps the commands use
(``_apply_run``, ``_apply_override``, the offers' helpers), which repeat
nothing already done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from nameko.timer import timer

from booths import events as ev
from booths import views
from booths.metrics import refresh_booth_gauges
from booths.store import BoothsStore
from shared.errors import Conflict
from shared.store import Recount

log = logging.getLogger(__name__)
# Periodic looks at the whole database, run only when something may have changed (shared.store.recount).
_GAUGES, _RECONCILE = Recount(), Recount()
UNFINISHED_AFTER = timedelta(minutes=1)  # an import or commit still running after this was cut off
# per process (workers are instances of one class): what the last reconcile pass saw, by edition
_LAST_DRIFT: dict[str, dict[str, tuple[int, int]]] = {}


def persistent_drift(before: dict[str, tuple[int, int]], now: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    """Counter differences (stored, actual) seen identically on two consecutive passes."""
    return {key: pair for key, pair in now.items() if before.get(key) == pair}


class Upkeep:
    store: BoothsStore
    _plan: Callable[[str], dict[str, Any]]
    _apply_run: Callable[[dict[str, Any]], list[str]]
    _apply_override: Callable[[dict[str, Any]], None]
    _give_back_offer_places: Callable[[dict[str, Any]], None]
    _give_offered_booth: Callable[[dict[str, Any], dict[str, Any]], None]
    _offer_next: Callable[[str, str], dict[str, Any] | None]

    @timer(interval=30)
    def finish_cut_off_work(self) -> None:
        """Work cut off half-way (a crash, an outage) and not retried is finished after a minute, from what
        each command recorded before its first booth was written: floor-plan imports, allocation commits,
        overrides, offers made or accepted, and freed booths owed an offer."""
        for edition_id in self.store.unfinished_imports(older_than=UNFINISHED_AFTER):
            if self.store.apply_floor_plan(edition_id):
                log.warning("finished the floor-plan import of %s that was cut off", edition_id)
        for run in self.store.unfinished_commits(older_than=UNFINISHED_AFTER):
            # applied already if the plan names it (claims may be open since): only the run's mark is missing
            conflicts = [] if self._plan(run["edition_id"]).get("committed_run") == run["_id"] else self._apply_run(run)
            if self.store.mark_committed(run, ev.allocation_committed(run)):
                log.warning(
                    "finished committing allocation run %s that was cut off (conflicts: %s)",
                    run["_id"],
                    ", ".join(conflicts) or "none",
                )
        for entry in self.store.unfinished_overrides(older_than=UNFINISHED_AFTER):
            try:
                self._apply_override(entry)
            except Conflict:
                self.store.drop_override(entry)
                log.warning("dropped override %s cut off half-way: its booth was taken since", entry["_id"])
                continue
            self.store.finish_override(entry, ev.override_recorded(entry))
            log.warning("finished override %s that was cut off", entry["_id"])
        self._finish_offers()

    def _finish_offers(self) -> None:
        """Offers a crash left half made or half accepted, and freed booths never offered on."""
        for offer in self.store.offers_left_half_made(older_than=UNFINISHED_AFTER):
            if offer["status"] == "pending":
                self.store.drop_pending_offer(offer)
                self._give_back_offer_places(offer)
                continue
            applicant = self.store.applicant(offer["participation_id"])
            self._give_offered_booth(offer, views.holder(applicant, offer.get("quota_group")))
            log.warning("gave the booth of accepted offer %s, cut off before it was given", offer["_id"])
        for booth in self.store.booths_due_an_offer(older_than=UNFINISHED_AFTER):
            if booth.get("holder") or booth.get("offer"):
                self.store.no_offer_due(booth["edition_id"], booth["code"])
            elif self._offer_next(booth["edition_id"], booth["code"]):
                log.warning("offered booth %s, freed before a crash and never offered", booth["_id"])

    @timer(interval=60)
    def reconcile_counters(self) -> None:
        """Repair booth counters left one off by a crash between a booth's write and its counter's.

        A claim moves its counters a moment before its booth, so a difference
        seen once may be in flight; only one seen identically on two passes a
        minute apart is corrected, by compare-and-set (replicas cannot correct twice).
        Idle, nothing can drift: a pass runs after writes, while a difference
        waits for its second look, and every ten minutes.
        """
        if any(_LAST_DRIFT.values()):
            self._reconcile_counters()
        else:
            self.store.when_changed(_RECONCILE, self._reconcile_counters)

    def _reconcile_counters(self) -> None:
        for edition_id in self.store.committed_editions():
            stored = self.store.counters(edition_id)
            actual = self.store.counts_from_booths(edition_id, stored)
            drift = {key: (stored[key], actual[key]) for key in stored if stored[key] != actual[key]}
            for key, (seen, right) in persistent_drift(_LAST_DRIFT.get(edition_id, {}), drift).items():
                if self.store.correct_counter(edition_id, key, seen, right):
                    log.warning("booth counter %s of %s corrected from %s to %s", key, edition_id, seen, right)
            _LAST_DRIFT[edition_id] = drift

    @timer(interval=15)
    def refresh_gauges(self) -> None:
        self.store.when_changed(_GAUGES, lambda: refresh_booth_gauges(self.store.booth_counts()))
