"""Reading an edition's registrations in bulk: the organisers' and provinces' list, the public directory,
the organisers' spreadsheet and the statistics.

Lists page by ``_id`` (:mod:`shared.pages`) and filter on the organisation's
copy each participation carries (``org.*``).  A province sees only its own
province's registrations (:func:`registration.access.province_scope`); the
public directory shows approved organisations, never people.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from registration import access, views
from registration.domain.folding import search_pattern
from registration.schemas import ParticipationQuery
from registration.store import RegistrationStore
from shared import pages
from shared.auth import Principal
from shared.entrypoints import rpc
from shared.reference.provinces import rollup
from shared.timestamps import local_iso
from shared.validation import load


class Listings:
    store: RegistrationStore
    _edition: Callable[[Principal | None, str], dict[str, Any]]

    @rpc
    def list_participations(self, actor: dict | None, edition_id: str, query: dict) -> dict:
        principal = access.principal_of(actor)
        edition = self._edition(principal, edition_id)
        principal = access.require_reader_of_edition(principal, edition)
        params = load(ParticipationQuery, query)
        mongo = self._participation_filter(edition_id, params)
        province = access.province_scope(principal, params.get("province"))
        if province is not None:
            mongo["org.province_2025"] = province
        page = self.store.page("participations", mongo, pages.wanted(params, f"participations:{edition_id}"))
        return page.answer(
            lambda p: views.participation(p, edition["timezone"], for_province=principal.role == "province")
        )

    @staticmethod
    def _participation_filter(edition_id: str, params: dict[str, Any]) -> dict[str, Any]:
        mongo: dict[str, Any] = {"edition_id": edition_id}
        if params.get("province"):
            province = params["province"]
            mongo["org.province_2025" if rollup(province) == province else "org.province"] = province
        for key, path in (("role", "role"), ("status", "status"), ("sector", "org.sectors")):
            if params.get(key):
                mongo[path] = params[key]
        if params.get("ocop_stars"):
            mongo["org.ocop_max_stars"] = {"$gte": params["ocop_stars"]}
        if params.get("q"):
            mongo["org.search"] = {"$regex": search_pattern(params["q"])}
        return mongo

    @rpc
    def directory(self, edition_id: str, query: dict) -> dict:
        """Public list of approved exhibitors and buyers: organisations, never people."""
        self._edition(None, edition_id)
        params = load(ParticipationQuery, query)
        params.pop("status", None)
        mongo = {**self._participation_filter(edition_id, params), "status": "approved"}
        return self.store.page("participations", mongo, pages.wanted(params, f"directory:{edition_id}")).answer(
            views.directory_entry
        )

    @rpc
    def export_csv(self, actor: dict | None, edition_id: str) -> str:
        """Organisers' spreadsheet: UTF-8 with BOM so Excel shows Vietnamese correctly."""
        principal = access.principal_of(actor)
        edition = self._edition(principal, edition_id)
        access.require_organiser(principal, edition)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(
            [
                "participation_id",
                "organisation",
                "kind",
                "tax_code_or_registration",
                "province",
                "province_2025",
                "role",
                "status",
                "submitted_at",
                "contact_name",
                "contact_email",
                "contact_phone",
                "reason",
            ]
        )
        for p in self.store.iterate("participations", {"edition_id": edition_id}):
            org = self.store.get("organisations", p["organisation_id"]) or {}
            contact = next(iter(sorted((org.get("delegates") or {}).items())), (None, {}))[1]
            identity = org.get("tax_code") or "{country}:{registration_no}".format(**org.get("foreign", {}))
            writer.writerow(
                [
                    p["_id"],
                    p["org"]["legal_name"]["vi"],
                    p["org"]["kind"],
                    identity,
                    p["org"].get("province") or "",
                    p["org"].get("province_2025") or "",
                    p["role"],
                    p["status"],
                    local_iso(p["submitted_at"], edition["timezone"]),  # as the API shows it: +07:00
                    contact.get("name", ""),
                    contact.get("email", ""),
                    contact.get("phone", ""),
                    p.get("reason") or "",
                ]
            )
        return "\ufeff" + buffer.getvalue()

    @rpc
    def stats(self, actor: dict | None, edition_id: str) -> dict:
        principal = access.principal_of(actor)
        edition = self._edition(principal, edition_id)
        principal = access.require_reader_of_edition(principal, edition)
        province = access.province_scope(principal)  # a province sees its own
        facets = self.store.participation_facets(edition_id, province)
        checkins: dict[str, Any] = {"edition_id": edition_id}
        if province:
            checkins["participation_id"] = {
                "$in": [
                    p["_id"]
                    for p in self.store.find(
                        "participations",
                        {"edition_id": edition_id, "org.province_2025": province},
                        projection={"_id": 1},
                    )
                ]
            }
        return {
            "edition_id": edition_id,
            "for_province": province,
            **{name: {(row["_id"] or "none"): row["n"] for row in rows} for name, rows in facets.items()},
            "places": self.store.capacity_of(edition_id),
            "checked_in": len(self.store.find("checkins", checkins, projection={"_id": 1})),
        }
