"""Organisations on file, their delegates and products, and the copy of them every registration carries.

Participations keep a snapshot of what lists filter on (kind, name,
provinces, sectors, OCOP stars, delegates' languages).  A change that makes
the copies stale marks the organisation ``snapshot_due`` in the same write
(or just before it, for a new product); :meth:`Organisations._refresh_snapshots`
rewrites the copies and drops the mark, and ``finish_cut_off_work`` does it
for a change cut off in between.  The public form and confirmed claims use the
snapshot and the refresh too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from registration import access, views
from registration import events as ev
from registration.domain.folding import fold
from registration.domain.organisations import new_organisation, new_products
from registration.schemas import DelegateIn, OrganisationOnFile, OrganisationPatch, ProductOnFile
from registration.store import Duplicate, RegistrationStore, now, version_guard
from shared.entrypoints import rpc
from shared.errors import Conflict, PreconditionFailed
from shared.ids import new_id
from shared.reference.provinces import rollup
from shared.validation import load


class Organisations:
    store: RegistrationStore
    _organisation: Callable[[str], dict[str, Any]]

    @rpc
    def create_organisation(self, actor: dict | None, payload: dict) -> dict:
        data = load(OrganisationOnFile, payload)  # its province is one of today's
        org, created = self._insert_organisation(new_organisation(data))
        if not created:
            raise Conflict(
                "This organisation is already registered.",
                code="organisation_exists",
                extra={"existing_id": org["_id"]},
            )
        return views.organisation(org, with_contacts=True)

    def _insert_organisation(self, org: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Insert, or return the organisation already holding this tax code / registration."""
        try:
            self.store.insert("organisations", org, ev.organisation_registered(org), ev.contacts_changed(org))
            return org, True
        except Duplicate as dup:
            return self.store.get("organisations", dup.existing_id), False

    def _organiser_series_of(self, organisation_id: str) -> set[str]:
        edition_ids = {
            p["edition_id"]
            for p in self.store.find(
                "participations", {"organisation_id": organisation_id}, projection={"edition_id": 1}
            )
        }
        return {
            e["series_id"]
            for e in self.store.find("editions", {"_id": {"$in": sorted(edition_ids)}}, projection={"series_id": 1})
        }

    @rpc
    def get_organisation(self, actor: dict | None, organisation_id: str) -> dict:
        """The organisation itself and organisers of its editions see delegates and contacts; anyone else the
        public profile and products."""
        principal = access.principal_of(actor)
        org = self._organisation(organisation_id)
        privileged = (
            access.sees_contacts(principal, organisation_id, self._organiser_series_of(organisation_id))
            if principal
            else False
        )
        out = views.organisation(org, with_contacts=True) if privileged else views.public_organisation(org)
        out["products"] = [
            views.product(p)
            for p in self.store.find("products", {"organisation_id": organisation_id}, sort=[("_id", 1)])
        ]
        return out

    @rpc
    def update_organisation(
        self, actor: dict | None, organisation_id: str, expected_version: int | None, payload: dict
    ) -> dict:
        principal = access.principal_of(actor)
        access.require_acts_for(principal, organisation_id)
        changes = load(OrganisationPatch, payload, partial=True)
        if "legal_name" in changes:
            changes["search"] = fold(" ".join(filter(None, changes["legal_name"].values())))
        updated = self.store.update_versioned(
            "organisations",
            organisation_id,
            version_guard(expected_version),
            {**changes, "snapshot_due": now()},
            lambda after: [ev.organisation_updated(after)],
        )
        if updated is None:
            self._organisation(organisation_id)
            raise PreconditionFailed("The organisation was changed by someone else; reload it.")
        self._refresh_snapshots(updated)
        return views.organisation(updated, with_contacts=True)

    def _refresh_snapshots(self, org: dict[str, Any]) -> None:
        """Participations carry a copy of what lists filter on; keep it current.

        The change that makes the copy stale marks the organisation ``snapshot_due`` in the same write (or
        just before it, for a new product); the mark goes once the copies are written, so a crash between
        leaves it for ``finish_cut_off_work``.
        """
        snapshot = self._snapshot(org)
        self.store.update_many(
            "participations", {"organisation_id": org["_id"]}, {"$set": {f"org.{k}": v for k, v in snapshot.items()}}
        )
        if org.get("snapshot_due"):
            self.store.unmark("organisations", org["_id"], "snapshot_due", org["snapshot_due"])

    def _snapshot(self, org: dict[str, Any], products: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """What lists filter on; ``products`` when the caller has them in hand (saves a query)."""
        if products is None:
            products = self.store.find("products", {"organisation_id": org["_id"]}, projection={"ocop": 1})
        stars = [p["ocop"]["stars"] for p in products if p.get("ocop")]
        province = org.get("province")
        return {
            "kind": org["kind"],
            "legal_name": org["legal_name"],
            "public_name": ev.public_name(org),
            "province": province,
            "province_2025": rollup(province) if province else None,
            "country": (org.get("foreign") or {}).get("country", "VN"),
            "sectors": org.get("sectors", []),
            "ocop_max_stars": max(stars) if stars else None,
            "search": org["search"],
            **ev.delegate_languages(org),
        }

    @rpc
    def add_delegate(self, actor: dict | None, organisation_id: str, payload: dict) -> dict:
        access.require_acts_for(access.principal_of(actor), organisation_id)
        delegate = load(DelegateIn, payload)
        delegate_id = new_id("dlg")
        org = self._organisation(organisation_id)
        updated = self.store.update_versioned(
            "organisations",
            organisation_id,
            {"version": org["version"]},
            {f"delegates.{delegate_id}": delegate, "snapshot_due": now()},
            lambda after: [ev.contacts_changed(self._with_delegate(after, delegate_id, delegate))],
        )
        if updated is None:
            raise PreconditionFailed("The organisation was changed at the same time; try again.")
        self._refresh_snapshots(updated)  # the languages its participations announce
        return {"id": delegate_id, **delegate}

    @staticmethod
    def _with_delegate(org: dict[str, Any], delegate_id: str, delegate: dict[str, Any]) -> dict[str, Any]:
        return {**org, "delegates": {**(org.get("delegates") or {}), delegate_id: delegate}}

    @rpc
    def add_product(self, actor: dict | None, organisation_id: str, payload: dict) -> dict:
        access.require_acts_for(access.principal_of(actor), organisation_id)
        org = self._organisation(organisation_id)
        data = load(ProductOnFile, payload)  # its province is one of today's
        [product] = new_products(org["_id"], [data])
        org["snapshot_due"] = self.store.mark("organisations", org["_id"], "snapshot_due")
        self.store.insert("products", product, ev.product_registered(product, org.get("province")))
        self._refresh_snapshots(org)
        return views.product(product)
