"""An organisation's registration for an edition: applying, reading it, and the organisers' decisions.

Approving takes one of the role's places first (the store's ``capacity``) and
then writes the approval; a full role waitlists a new registration instead.
Every freed or added place is offered to the waitlist, first waitlisted
first (:meth:`Participations._promote_waitlisted`).  A place whose approval
was cut off between the two writes is settled by ``reconcile_places``
(:mod:`registration.features.upkeep`); the legal steps of a status are
:mod:`registration.domain.workflow`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from registration import access, views
from registration import events as ev
from registration.domain.editions import check_wants
from registration.domain.workflow import IllegalTransition, check_transition, sources_for
from registration.schemas import BulkDecisionIn, DecisionIn, ParticipationIn
from registration.store import Duplicate, RegistrationStore, now
from shared.auth import Principal
from shared.entrypoints import rpc
from shared.errors import Conflict, Forbidden, NotFound
from shared.ids import new_id
from shared.validation import gather, load, require_provinces

log = logging.getLogger(__name__)


class Participations:
    store: RegistrationStore
    _edition: Callable[[Principal | None, str], dict[str, Any]]
    _open_edition: Callable[[Principal | None, str], dict[str, Any]]
    _organisation: Callable[[str], dict[str, Any]]
    _participation: Callable[[str], dict[str, Any]]
    _snapshot: Callable[..., dict[str, Any]]

    @rpc
    def apply(self, actor: dict | None, edition_id: str, payload: dict) -> dict:
        """An organisation on file applies for an edition (member of it, or ops)."""
        data = load(ParticipationIn, payload)
        principal = access.principal_of(actor)
        access.require_acts_for(principal, data["organisation_id"])
        edition = self._open_edition(principal, edition_id)
        org = self._organisation(data["organisation_id"])
        gather(
            lambda: require_provinces(date.fromisoformat(edition["starts_on"]), province=org.get("province")),
            lambda: check_wants(edition, data["wants"], "wants"),
        )
        return views.participation(self._submit(edition, org, data["role"], data["wants"]), edition["timezone"])

    def _submit(
        self, edition: dict[str, Any], org: dict[str, Any], role: str, wants: dict, form: str | None = None
    ) -> dict[str, Any]:
        participation = {
            "_id": new_id("par"),
            "edition_id": edition["_id"],
            "organisation_id": org["_id"],
            "role": role,
            "wants": wants,
            "status": "submitted",
            "org": self._snapshot(org),
            "submitted_at": now(),
            "version": 1,
            **({"form": form} if form else {}),
        }
        try:
            self.store.insert("participations", participation, ev.participation_changed(participation))
        except Duplicate as dup:
            raise Conflict(
                "This organisation is already registered for this edition.",
                code="already_registered",
                extra={"existing_id": dup.existing_id},
            ) from None
        return participation

    @rpc
    def get_participation(self, actor: dict | None, participation_id: str) -> dict:
        principal = access.principal_of(actor)
        participation = self._participation(participation_id)
        edition = self.store.get("editions", participation["edition_id"])
        access.require_sees_participation(principal, participation, edition)
        return views.participation(participation, views.zone_of(edition))

    @rpc
    def decide(self, actor: dict | None, participation_id: str, payload: dict) -> dict:
        data = load(DecisionIn, payload)
        return self._decide(
            access.principal_of(actor), participation_id, data["action"], data.get("reason"), data["reason_code"]
        )

    @rpc
    def decide_many(self, actor: dict | None, edition_id: str, payload: dict) -> dict:
        """Bulk review: each id is decided on its own; one failure does not undo the others."""
        principal = access.principal_of(actor)
        access.require_organiser(principal, self._edition(principal, edition_id))
        data = load(BulkDecisionIn, payload)
        results = []
        for pid in data["participation_ids"]:
            try:
                found = self._participation(pid)
                if found["edition_id"] != edition_id:
                    raise NotFound("Not a registration of this edition.", code="participation_not_found")
                outcome = self._decide(principal, pid, data["action"], data.get("reason"), data["reason_code"])
                results.append({"id": pid, "ok": True, "status": outcome["status"]})
            except (Conflict, NotFound, Forbidden) as exc:
                results.append({"id": pid, "ok": False, "code": exc.code, "detail": exc.detail})
        return {
            "results": results,
            "succeeded": sum(r["ok"] for r in results),
            "failed": sum(not r["ok"] for r in results),
        }

    def _decide(
        self,
        principal: Principal | None,
        participation_id: str,
        action: str,
        reason: str | None,
        reason_code: str = "other",
    ) -> dict[str, Any]:
        participation = self._participation(participation_id)
        edition = self.store.get("editions", participation["edition_id"])
        access.require_decider(principal, participation, edition, action)
        target = {"approve": "approved", "reject": "rejected", "waitlist": "waitlisted", "cancel": "cancelled"}[action]
        try:
            check_transition(participation["status"], target)
        except IllegalTransition:
            raise Conflict(
                f"A {participation['status']} registration cannot become {target}.",
                code="illegal_transition",
                extra={"status": participation["status"], "target": target},
            ) from None
        if target == "approved":
            return views.participation(self._approve(participation), views.zone_of(edition))
        changes: dict[str, Any] = {"status": target, "decided_at": now()}
        if target == "rejected":
            changes.update(reason=reason.strip(), reason_code=reason_code)
        if target == "waitlisted":
            changes["waitlisted_at"] = now()
        if participation["status"] == "approved":  # a crash before the place is freed leaves it to the reconciler
            self.store.recheck_place(participation["edition_id"], participation["role"], participation_id)
        updated = self._transition(participation, target, changes)
        if participation["status"] == "approved":
            self.store.free_place(participation["edition_id"], participation["role"], participation_id)
            self._promote_waitlisted(participation["edition_id"], participation["role"])
        return views.participation(updated, views.zone_of(edition))

    def _transition(
        self, participation: dict[str, Any], target: str, changes: dict[str, Any], promoted: bool = False
    ) -> dict[str, Any]:
        updated = self.store.update_versioned(
            "participations",
            participation["_id"],
            {"status": {"$in": list(sources_for(target))}, "version": participation["version"]},
            changes,
            lambda after: (
                [ev.participation_changed(after, target, promoted)]
                + ([ev.rejection_explained(after)] if target == "rejected" else [])
            ),
        )
        if updated is None:
            raise Conflict("The registration was changed at the same time; reload it.", code="concurrent_change")
        return updated

    def _approve(self, participation: dict[str, Any]) -> dict[str, Any]:
        """Approve within capacity; a full role puts a new registration on the waitlist instead."""
        edition_id, role, pid = participation["edition_id"], participation["role"], participation["_id"]
        if not self.store.take_place(edition_id, role, pid):
            if participation["status"] == "submitted":
                waitlisted = self._transition(
                    participation, "waitlisted", {"status": "waitlisted", "waitlisted_at": now(), "decided_at": now()}
                )
                # a place freed between the full role and this write found nobody waiting (found by the stateful
                # test: a cancellation at the same moment left its place free and this application waiting)
                self._promote_waitlisted(edition_id, role)
                return self.store.get("participations", pid) or waitlisted
            raise Conflict(
                "Every place for this role is taken.",
                code="capacity_full",
                extra=self.store.capacity_of(edition_id).get(role, {}),
            )
        try:
            approved = self._transition(
                participation,
                "approved",
                {"status": "approved", "decided_at": now()},
                promoted=participation["status"] == "waitlisted",
            )
        except Conflict:
            self._after_lost_approval(edition_id, role, pid)
            raise
        self.store.confirm_place(edition_id, role, pid)
        return approved

    def _after_lost_approval(self, edition_id: str, role: str, participation_id: str) -> None:
        """Another change of the application won over this approval; the place goes only if nobody can count on it.

        The place is the application's, not this attempt's: a concurrent approval of the same application
        finds it held and goes on (found by the stateful test: three clicks on "approve", two losers freed the
        winner's place).  So it is freed now only when the application can never be approved again; while it
        still may be, it stays pending and ``reconcile_places`` settles it after a minute by its status.
        """
        current = self.store.get("participations", participation_id)
        if current is not None and current["status"] in (*sources_for("approved"), "approved"):
            return
        if self.store.free_place(edition_id, role, participation_id):
            self._promote_waitlisted(edition_id, role)

    def _promote_waitlisted(self, edition_id: str, role: str) -> None:
        """Fill free places from the waitlist, first waitlisted first."""
        while True:
            waiting = self.store.find(
                "participations",
                {"edition_id": edition_id, "role": role, "status": "waitlisted"},
                sort=[("waitlisted_at", 1), ("_id", 1)],
                limit=1,
            )
            if not waiting:
                self.store.promotion_done(edition_id, role)
                return
            try:
                promoted = self._approve(waiting[0])
            except Conflict as exc:
                if exc.code == "capacity_full":
                    self.store.promotion_done(edition_id, role)
                    return
                continue  # changed under us: look at the waitlist again
            log.info("promoted %s from the waitlist of %s/%s", promoted["_id"], edition_id, role)
