"""MOUs and cooperation agreements signed at an edition, and their statistics.

Organisers or a member of one of the parties register an MOU; who sees which
is :func:`meetings.access.visible_mous` (a store filter, so the list pages like
every other); how parties are named and their provinces rolled up is
:mod:`meetings.domain.mous`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from meetings import access, views
from meetings import events as ev
from meetings.domain.mous import party_as_stated, party_on_file, roll_up_provinces
from meetings.schemas import MouIn
from meetings.store import MeetingsStore
from shared import pages
from shared.auth import signed_in
from shared.entrypoints import rpc
from shared.errors import InvalidInput, field_error
from shared.ids import new_id
from shared.timestamps import now_text
from shared.validation import load


class Mous:
    store: MeetingsStore
    _edition: Callable[[str], dict[str, Any]]

    @rpc
    def register_mou(self, actor: dict | None, edition_id: str, payload: dict) -> dict:
        """An MOU or cooperation agreement: organisers, or a member of one of its parties, register it."""
        edition = self._edition(edition_id)
        principal = signed_in(actor)
        data = load(MouIn, payload)
        access.require_mou_registrar(principal, edition["series_id"], data["parties"])
        parties, problems = [], []
        for i, party in enumerate(data["parties"]):
            if party.get("organisation_id"):
                org = self.store.organisation(party["organisation_id"])
                if org is None:
                    problems.append(field_error(f"parties.{i}.organisation_id", "not_found", "Unknown organisation."))
                    continue
                parties.append(party_on_file(org))
            else:
                parties.append(party_as_stated(party))
        known = {m["_id"] for m in self.store.meetings({"_id": {"$in": data["meeting_ids"]}, "edition_id": edition_id})}
        problems += [
            field_error(f"meeting_ids.{i}", "not_found", "No such meeting in this edition.")
            for i, mid in enumerate(data["meeting_ids"])
            if mid not in known
        ]
        problems += roll_up_provinces(parties)
        if problems:
            raise InvalidInput("Some parties, provinces or meetings are unknown.", errors=problems)
        mou = {
            "_id": new_id("mou"),
            "edition_id": edition_id,
            "kind": data["kind"],
            "title": data["title"],
            "parties": parties,
            "sector": data["sector"],
            "products": data["products"],
            "value": data.get("value"),
            "signed_on": data["signed_on"].isoformat(),
            "signed_at_event": data.get("signed_at_event"),
            "meeting_ids": data["meeting_ids"],
            "document_ref": data.get("document_ref"),
            "registered_by": principal.subject,
            "registered_at": now_text(),
        }
        self.store.insert_mou(mou, ev.mou_signed(mou))
        return views.mou(mou, edition["timezone"])

    @rpc
    def mous(self, actor: dict | None, edition_id: str, query: dict | None = None) -> dict:
        """Organisers see all; a province those with a party of the province; a member its own."""
        edition = self._edition(edition_id)
        principal = signed_in(actor)
        wanted = pages.requested(query, f"mous:{edition_id}")
        visible = {"edition_id": edition_id, **access.visible_mous(principal, edition["series_id"])}
        page = self.store.page("mous", visible, wanted, projection={"outbox": 0, "outbox_n": 0})
        return page.answer(lambda m: views.mou({**m, "registered_by": None}, edition["timezone"]))

    @rpc
    def mou_stats(self, actor: dict | None, edition_id: str) -> dict:
        """Counts and values by country, province and sector: aggregates, so provinces see the whole edition."""
        edition = self._edition(edition_id)
        principal = signed_in(actor)
        access.require_mou_stats_reader(principal, edition["series_id"])
        return {"edition_id": edition_id, **views.mou_stats(self.store.mous(edition_id))}
