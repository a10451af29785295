"""Organisers' overrides: assigning, moving or releasing a booth with a reason, and the audit trail.

An organiser may go beyond every limit, but on the record: the audit entry
is written first (``applying``, not yet in the trail), then the booth
changes, each conditional, so the upkeep timer can finish or drop an
override that was cut off half-way.  A move gives the target first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from booths import access, views
from booths import events as ev
from booths.rules import group_name
from booths.schemas import OverrideIn
from booths.store import BoothsStore, Taken
from shared import pages
from shared.entrypoints import rpc
from shared.errors import Conflict, NotFound
from shared.ids import new_id
from shared.timestamps import now_text
from shared.validation import load

OLDEST_FIRST = pages.Order((("at", 1), ("_id", 1)))


class Overrides:
    store: BoothsStore
    _plan: Callable[[str], dict[str, Any]]
    _settled_plan: Callable[[str], dict[str, Any]]
    _count: Callable[[str, dict[str, Any], int], None]
    _offer_next: Callable[[str, str], dict[str, Any] | None]

    @rpc
    def override(self, actor: dict | None, edition_id: str, booth_code: str, payload: dict) -> dict:
        """Organiser assigns, moves or releases a booth, with a reason kept in the audit trail."""
        plan = self._settled_plan(edition_id)
        principal = access.require_organiser(actor, plan)
        data = load(OverrideIn, payload)
        booth = self.store.booth(edition_id, booth_code)
        if booth is None:
            raise NotFound("No such booth.", code="booth_not_found")
        action = data["action"]
        if action in ("release", "move"):
            if not booth.get("holder"):
                raise Conflict("Nobody holds this booth.", code="booth_free")
            holder = booth["holder"]
            if action == "move" and self.store.booth(edition_id, data["to_booth"]) is None:
                raise NotFound("No such target booth.", code="booth_not_found")
        else:
            applicant = self.store.applicant(data["participation_id"])
            if applicant is None or applicant["edition_id"] != edition_id or applicant["status"] != "eligible":
                raise NotFound("No approved exhibitor with this id.", code="participation_not_found")
            holder = views.holder(applicant, group_name(plan, applicant))
        entry = {
            "_id": new_id("aud"),
            "edition_id": edition_id,
            "booth_code": booth_code,
            "action": action,
            "participation_id": holder["participation_id"],
            "to_booth": data.get("to_booth"),
            "reason": data["reason"],
            "by": principal.subject,
            "at": now_text(),
            "holder": holder,
        }
        self.store.start_override(entry)
        try:
            self._apply_override(entry)
        except Conflict:
            self.store.drop_override(entry)
            raise
        self.store.finish_override(entry, ev.override_recorded(entry))
        return views.audit(entry, views.zone_of(plan))

    @rpc
    def audit_trail(self, actor: dict | None, edition_id: str, query: dict | None = None) -> dict:
        """Overrides done, oldest first (one still being applied is not in the trail yet)."""
        plan = self._plan(edition_id)
        access.require_organiser(actor, plan)
        wanted = pages.requested(query, f"audit:{edition_id}", OLDEST_FIRST)
        return self.store.page(
            "audit",
            {"edition_id": edition_id, "state": {"$exists": False}},
            wanted,
            projection={"outbox": 0, "outbox_n": 0},
        ).answer(lambda e: views.audit(e, views.zone_of(plan)))

    def _apply_override(self, entry: dict[str, Any]) -> None:
        """The override's booth changes, each conditional, so a repeat after a cut-off one does nothing twice.

        A move gives the target first: the exhibitor is never left without a booth.
        """
        edition_id, code, holder, action = entry["edition_id"], entry["booth_code"], entry["holder"], entry["action"]
        if action == "assign":
            if self._give_by_override(edition_id, code, holder, "The booth is taken or on offer; release it first."):
                self._count(edition_id, holder, +1)  # an organiser may go beyond the limits; still counted
            return
        if action == "move":
            self._give_by_override(edition_id, entry["to_booth"], holder, "The target booth is taken.")
        if self.store.release(
            edition_id,
            code,
            holder["participation_id"],
            lambda b: ev.booth_released(b, holder, "moved" if action == "move" else "override"),
            offer_due=True,
        ):
            if action == "release":
                self._count(edition_id, holder, -1)
            self._offer_next(edition_id, code)

    def _give_by_override(self, edition_id: str, code: str, holder: dict[str, Any], refusal: str) -> bool:
        """True if this call gave the booth; False if the holder had it already (a repeat)."""
        booth = self.store.booth(edition_id, code) or {}
        if (booth.get("holder") or {}).get("participation_id") == holder["participation_id"]:
            return False
        try:
            self.store.assign(edition_id, code, holder, "override", lambda b: ev.booth_allocated(b, holder, "override"))
        except Taken:
            raise Conflict(refusal, code="booth_taken") from None
        return True
