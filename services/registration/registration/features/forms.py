"""The public registration form: organisation, delegates, products and what it wants, all or nothing.

A new organisation is inserted *pending*, carrying the whole form with its
products' and participation's ids fixed; the rest is written by steps that
are each safe to repeat (:meth:`Forms._complete_registration`), so a retry of
the same form, or ``finish_cut_off_work`` for a client that never comes
back, finishes one cut off half-way.  A form naming an organisation already
on file becomes a registration at once for those who speak for it, and a
claim its contacts confirm (:mod:`registration.features.claims`) for anyone
else.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextlib import suppress
from datetime import date
from typing import Any

from registration import access, views
from registration import events as ev
from registration.domain.editions import check_wants
from registration.domain.organisations import new_organisation, new_products
from registration.schemas import RegistrationIn
from registration.store import Duplicate, RegistrationStore, now
from shared.auth import Principal
from shared.entrypoints import rpc
from shared.errors import Conflict
from shared.ids import new_id
from shared.validation import gather, load, require_provinces


def _form_key(edition_id: str, form: dict[str, Any]) -> str:
    """What makes two submissions the same form: every field as validated (phones normalised, …)."""
    canonical = json.dumps({"edition_id": edition_id, **form}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class Forms:
    store: RegistrationStore
    _open_edition: Callable[[Principal | None, str], dict[str, Any]]
    _registration_of: Callable[[str, str], dict[str, Any] | None]
    _snapshot: Callable[..., dict[str, Any]]
    _submit: Callable[..., dict[str, Any]]
    _open_claim: Callable[..., dict[str, Any]]

    @rpc
    def register(self, actor: dict | None, edition_id: str, payload: dict) -> dict:
        """The public registration form: organisation, delegates, products and what it wants, all or nothing.

        A new organisation is inserted *pending*, carrying the whole form: its
        products' and participation's ids are fixed there.  Products and the
        participation are then inserted, and the organisation is completed
        by one conditional write.  Until then nothing of it shows; its events
        are staged with the participation's, in one insert.  A retry of the same form after any interruption finds the
        pending organisation and completes it; so does ``finish_cut_off_work``
        for a client that never comes back.  A form naming an organisation
        already on file (same tax code, or same country and registration number)
        is :meth:`_register_known`.
        """
        data = load(RegistrationIn, payload)  # everything the form says on its own, in one answer
        principal = access.principal_of(actor)
        edition = self._open_edition(principal, edition_id)
        first_day = date.fromisoformat(edition["starts_on"])
        org_data = data["organisation"]
        gather(  # then everything the edition decides, in one answer
            lambda: require_provinces(
                first_day,
                **{"organisation.province": org_data.get("province")},
                **{f"products.{i}.origin_province": p.get("origin_province") for i, p in enumerate(data["products"])},
            ),
            lambda: check_wants(edition, data["wants"], "wants"),
        )
        form = _form_key(edition_id, data)
        org = new_organisation(org_data)
        org["pending"] = {
            "form": form,
            "edition_id": edition_id,
            "role": data["role"],
            "wants": data["wants"],
            "participation_id": new_id("par"),
            "since": now(),
            "products": new_products(org["_id"], data["products"]),
        }
        org["state"] = "pending"
        try:
            self.store.insert("organisations", org)
        except Duplicate as dup:
            existing = self.store.get("organisations", dup.existing_id)
            if existing is None or existing.get("state") != "pending":
                return self._register_known(principal, edition, existing, data, form, org["delegates"])
            if existing["pending"]["form"] != form:
                raise Conflict(
                    "This organisation is being registered right now by another form; try again in a minute.",
                    code="registration_in_progress",
                ) from None
            org = existing
        participation = self._complete_registration(org)
        return {
            "participation": views.participation(participation, edition["timezone"]),
            "organisation_id": org["_id"],
            "organisation_created": True,
        }

    def _register_known(
        self,
        principal: Principal | None,
        edition: dict[str, Any],
        org: dict[str, Any] | None,
        data: dict[str, Any],
        form: str,
        delegates: dict[str, Any],
    ) -> dict[str, Any]:
        """The form names an organisation on file.

        Its members, ops and the edition's organisers apply as that
        organisation at once (unchanged).  Anyone else gets a claim its
        contacts on file are asked to confirm: tax codes are public, so a form
        proves nothing about who sent it.  A repeat of the very form that made
        a registration gets that registration; another form for an organisation
        registered for the edition is a 409 carrying the existing id.
        """
        if org is None:
            raise Conflict("The organisation was changed at the same time; try again.", code="concurrent_change")
        require_provinces(date.fromisoformat(edition["starts_on"]), **{"organisation.province": org.get("province")})
        existing = self._registration_of(edition["_id"], org["_id"])
        if existing is not None and existing.get("form") == form:
            participation = existing  # the same form again: the first answer
        elif existing is not None:
            raise Conflict(
                "This organisation is already registered for this edition.",
                code="already_registered",
                extra={"existing_id": existing["_id"]},
            )
        elif access.speaks_for(principal, org["_id"], edition):
            try:
                participation = self._submit(edition, org, data["role"], data["wants"], form=form)
            except Conflict as conflict:
                participation = self.store.get("participations", conflict.extra.get("existing_id") or "")
                if participation is None or participation.get("form") != form:
                    raise
        else:
            return self._open_claim(edition, org, data, form, delegates)
        return {
            "participation": views.participation(participation, edition["timezone"]),
            "organisation_id": org["_id"],
            "organisation_created": False,
        }

    def _complete_registration(self, org: dict[str, Any]) -> dict[str, Any]:
        """Finish what a pending organisation's form began; each step is safe to repeat."""
        pending = org["pending"]
        for product in pending["products"]:
            with suppress(Duplicate):  # inserted by the attempt that was cut off
                self.store.insert("products", product, ev.product_registered(product, org.get("province")))
        participation = {
            "_id": pending["participation_id"],
            "edition_id": pending["edition_id"],
            "organisation_id": org["_id"],
            "role": pending["role"],
            "wants": pending["wants"],
            "status": "submitted",
            "form": pending["form"],
            "org": self._snapshot(org, pending["products"]),
            "submitted_at": pending["since"],
            "version": 1,
        }
        done = {k: v for k, v in org.items() if k not in ("pending", "state")}
        try:  # the organisation's events travel with the participation, in this order: whoever hears of the
            # registration has heard of the organisation and its contacts already
            self.store.insert(
                "participations",
                participation,
                ev.organisation_registered(done),
                ev.contacts_changed(done),
                ev.participation_changed(participation),
            )
        except Duplicate:
            participation = self.store.get("participations", pending["participation_id"]) or participation
        self.store.complete_pending(org["_id"], pending["form"])
        return participation
