"""Waitlist offers: a freed booth offered for a limited time to the applicant the allocation would value most
there, the exhibitor's reply, and expiry.

An offer reserves its booth's places (the candidate's own maximum, quota
group and province) from when it is made until it is accepted, declined,
expired or withdrawn; a declined or expired offer passes the booth to the
next in line.  Other features free booths through :meth:`Offers._offer_next`
and end offers through :meth:`Offers._close_offer`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from nameko.timer import timer

from booths import access, planning, views
from booths import events as ev
from booths.domain.scoring import Scoring
from booths.metrics import OFFERS
from booths.rules import booth_limit
from booths.schemas import OfferQuery, OfferReplyIn
from booths.store import BoothsStore, Taken
from shared import pages
from shared.entrypoints import rpc
from shared.errors import Conflict, NotFound
from shared.ids import new_id
from shared.timestamps import now_text, to_text
from shared.validation import load

log = logging.getLogger(__name__)


class Offers:
    store: BoothsStore
    _plan: Callable[[str], dict[str, Any]]
    _zone: Callable[[str], str]
    _applicant_for: Callable[[dict | None, str, str], dict[str, Any]]
    _take_places: Callable[[dict[str, Any], dict[str, Any]], tuple[str, str]]
    _give_back_places: Callable[[str, str, str | None, str], None]
    _give_back_offer_places: Callable[[dict[str, Any]], None]

    @rpc
    def offers(self, actor: dict | None, edition_id: str, query: dict | None = None) -> dict:
        """Organisers see every offer; an exhibitor names its participation to see its own, once made: a
        ``pending`` one is still reserving its booth (it opens in the same call, or is dropped if the booth went
        meanwhile), and an exhibitor could only have been told "this offer is pending" when replying to it."""
        plan = self._plan(edition_id)
        params = load(OfferQuery, query or {})
        mongo: dict[str, Any] = {"edition_id": edition_id}
        if params.get("participation_id"):
            self._applicant_for(actor, params["participation_id"], edition_id)
            mongo["participation_id"] = params["participation_id"]
            mongo["status"] = {"$ne": "pending"}
        else:
            access.require_organiser(actor, plan)
        return self.store.page("offers", mongo, pages.wanted(params, f"offers:{edition_id}")).answer(
            lambda o: views.offer(o, views.zone_of(plan))
        )

    @rpc
    def reply_to_offer(self, actor: dict | None, offer_id: str, payload: dict) -> dict:
        accept = load(OfferReplyIn, payload)["accept"]
        offer = self.store.offer(offer_id)
        if offer is None:
            raise NotFound("No such offer.", code="offer_not_found")
        applicant = self._applicant_for(actor, offer["participation_id"], offer["edition_id"])
        if offer["status"] != "open" or offer["expires_at"] < now_text():
            raise Conflict(
                f"This offer is {offer['status'] if offer['status'] != 'open' else 'expired'}.", code="offer_closed"
            )
        if not accept:
            self._close_offer(offer, "declined")
            return views.offer({**offer, "status": "declined"}, self._zone(offer["edition_id"]))
        # the places were taken when the offer was made; the offer closes first, so the expiry timer cannot
        # expire an offer whose booth was given
        if not self.store.close_offer(offer, "accepted", ev.offer_changed(offer, "accepted")):
            raise Conflict("The offer is no longer open.", code="offer_closed")
        self._give_offered_booth(offer, views.holder(applicant, offer["quota_group"]))
        OFFERS.labels(offer["edition_id"], "accepted").inc()
        return views.offer({**offer, "status": "accepted"}, self._zone(offer["edition_id"]))

    @timer(interval=5)
    def expire_offers(self) -> None:
        """Offers past their deadline expire and pass to the next applicant, also after downtime."""
        for offer in self.store.due_offers(now_text()):
            self._close_offer(offer, "expired")
        if self.store.clear_stale_reservations(now_text()):
            log.warning("cleared booth reservations whose offers had ended without clearing them")

    def _offer_next(self, edition_id: str, booth_code: str) -> dict[str, Any] | None:
        """Offer a freed booth to the waitlist; with nobody to offer it to, it stays free for claims."""
        offer = self._make_offer(edition_id, booth_code)
        if offer is None:
            self.store.no_offer_due(edition_id, booth_code)
        return offer

    def _make_offer(self, edition_id: str, booth_code: str) -> dict[str, Any] | None:
        """Offer a freed booth for a limited time to the applicant the allocation would value most there.

        Candidates are eligible exhibitors still short of booths who have not
        had this booth offered before; eligibility and worth (priority ×
        preference score) are the allocation's own rules.  The offer reserves
        the booth's places in the candidate's quota group and province (and its
        own maximum) until it is accepted, declined or expires.
        """
        plan = self._plan(edition_id)
        if not plan.get("quotas"):
            return None
        booths = self.store.booths(edition_id)
        booth = next(b for b in booths if b["code"] == booth_code)
        offered = {
            o["participation_id"] for o in self.store.offers({"edition_id": edition_id, "booth_code": booth_code})
        }
        short = {
            a["_id"]: a
            for a in self.store.applicants(edition_id)
            if a["_id"] not in offered and a["held"] < booth_limit(plan, a)
        }
        applications = [app for app in map(planning.application, short.values()) if app is not None]
        if not applications:
            return None
        floor = planning.floor_plan(plan, booths)
        scoring = Scoring(
            floor, planning.quota_rules(plan["quotas"]), applications, planning.priority_weights(plan["quotas"])
        )
        target = floor.booth_by_code[booth_code]
        candidates = sorted(
            (app for app in applications if scoring.eligible(app, target)),
            key=lambda app: (-scoring.base_weight(app, target), app.submitted_at, app.applicant_id),
        )
        for best in candidates:  # the most deserving whose group, province and own maximum still have room
            try:
                group, province = self._take_places(plan, short[best.applicant_id])
            except Conflict:
                continue
            expires = to_text(datetime.now(UTC) + timedelta(hours=plan["quotas"]["offer_hours"]))
            offer = {
                "_id": new_id("off"),
                "edition_id": edition_id,
                "booth_code": booth_code,
                "participation_id": best.applicant_id,
                "organisation_id": best.organisation_id,
                "quota_group": group,
                "province": province,
                "status": "open",
                "expires_at": expires,
                "created_at": now_text(),
            }
            if not self.store.put_on_offer(booth, offer, ev.offer_changed(offer)):
                self._give_back_places(edition_id, best.applicant_id, group, province)
                return None
            OFFERS.labels(edition_id, "made").inc()
            return offer
        return None

    def _give_offered_booth(self, offer: dict[str, Any], holder: dict[str, Any]) -> None:
        """The accepted offer's booth to its holder (once: a repeat finds it given), then the offer's mark
        ``assigning`` goes."""
        try:
            self.store.assign(
                offer["edition_id"],
                offer["booth_code"],
                holder,
                "offer",
                lambda b: ev.booth_allocated(b, holder, "offer"),
                offer_id=offer["_id"],
            )
        except Taken:
            booth = self.store.booth(offer["edition_id"], offer["booth_code"]) or {}
            if (booth.get("holder") or {}).get("participation_id") != holder["participation_id"]:
                log.error("booth %s of accepted offer %s went to someone else", offer["booth_code"], offer["_id"])
        self.store.offer_assigned(offer["_id"])

    def _close_offer(self, offer: dict[str, Any], status: str) -> None:
        """Declined or expired: the places the offer reserved go back, and the booth to the next in line."""
        if self.store.close_offer(offer, status, ev.offer_changed(offer, status)):
            OFFERS.labels(offer["edition_id"], status).inc()
            self._give_back_offer_places(offer)
            self._offer_next(offer["edition_id"], offer["booth_code"])
