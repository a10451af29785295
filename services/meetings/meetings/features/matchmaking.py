"""Matchmaking: what a participant offers or seeks, and whom it should meet.

A profile is what the participant stated, else what registration told us;
suggestions score every counterpart in the edition with reasons a person can
check (:mod:`meetings.domain.matching`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from meetings import access, planning
from meetings import events as ev
from meetings.domain.matching import Profile, suggest
from meetings.schemas import ProfileIn
from meetings.store import OPEN, MeetingsStore
from shared import pages
from shared.entrypoints import rpc
from shared.errors import Forbidden, field_error
from shared.validation import load

BEST_FIRST = pages.Order((("score", -1), ("_id", 1)))  # as matching.suggest ranks


class Matchmaking:
    store: MeetingsStore
    _edition: Callable[[str], dict[str, Any]]
    _session: Callable[[str], dict[str, Any]]
    _participant: Callable[..., dict[str, Any]]
    _profiles: Callable[[list[dict[str, Any]]], dict[str, Profile]]

    @rpc
    def set_profile(self, actor: dict | None, edition_id: str, participation_id: str, payload: dict) -> dict:
        edition = self._edition(edition_id)
        participant = self._participant(participation_id, edition_id)
        principal = access.require_acting_for(actor, participant, edition["series_id"])
        stated = load(ProfileIn, payload)
        if "priority" in stated and not access.organises(principal, edition["series_id"]):
            raise Forbidden(
                "Only organisers set a buyer's priority.",
                code="not_organiser",
                errors=[field_error("priority", "forbidden", "Organisers only.")],
            )
        stated.setdefault("priority", (participant.get("profile") or {}).get("priority", 0))
        self.store.set_profile(participation_id, stated, ev.profile_stated(participant, stated))
        return self.profile(actor, edition_id, participation_id)

    @rpc
    def profile(self, actor: dict | None, edition_id: str, participation_id: str) -> dict:
        edition = self._edition(edition_id)
        participant = self._participant(participation_id, edition_id)
        access.require_acting_for(actor, participant, edition["series_id"])
        found = self._profiles([participant])[participation_id]
        stated = participant.get("profile") or {}
        return {
            "participation_id": participation_id,
            "organisation_id": participant["organisation_id"],
            "name": participant.get("name"),
            "side": found.side,
            "country": found.country,
            "province": found.province,
            "offers": sorted(found.categories_offered),
            "seeks": sorted(found.categories_sought),
            "markets": sorted(found.markets),
            "certifications_held": sorted(found.certifications_held),
            "certifications_required": sorted(found.certifications_required),
            "languages": sorted(found.languages),
            "volumes": stated.get("volumes"),
            "priority": stated.get("priority", 0),
            "stated": stated,
        }

    @rpc
    def suggestions(
        self, actor: dict | None, session_id: str, participation_id: str, query: dict | None = None
    ) -> dict:
        """Whom to meet, best first (ties by participation id), a page at a time like every list."""
        session = self._session(session_id)
        wanted = pages.requested(query, f"suggestions:{session_id}:{participation_id}", BEST_FIRST)
        participant = self._participant(participation_id, session["edition_id"])
        access.require_acting_for(actor, participant, session["series_id"])
        participants = self.store.participants(session["edition_id"])
        profiles = self._profiles(participants)
        of_org = {p["organisation_id"]: p["_id"] for p in participants}
        history = self.store.meetings(
            {
                "status": {"$in": list(OPEN)},
                "$or": [
                    {"supplier.organisation_id": participant["organisation_id"]},
                    {"buyer.organisation_id": participant["organisation_id"]},
                ],
            }
        )
        found = suggest(
            profiles[participation_id],
            [profiles[p["_id"]] for p in participants],
            planning.met_pairs(history, of_org),
            len(participants),
            sorted(k for k, v in planning.interpreter_counts(session).items() if v),
        )
        names = {p["_id"]: planning.party(p) for p in participants}
        ranked = [{"_id": s.profile_id, "score": s.score, "reasons": list(s.reasons)} for s in found]
        return pages.of_rows(ranked, wanted).answer(
            lambda s: {**names[s["_id"]], "score": s["score"], "reasons": s["reasons"]}
        )
