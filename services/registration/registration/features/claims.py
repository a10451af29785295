"""Registrations made in the name of an organisation on file, waiting for that organisation to decide.

Tax codes are public, so a form naming an organisation on file proves
nothing about who sent it: unless the sender speaks for the organisation,
the form is stored as a pending claim (nothing changes on the organisation)
and its contacts on file get a signed link.  Confirming makes the
registration as the form asked, adding the delegates and products the
organisation lacks; each step is safe to repeat, so two confirmations at once
make one registration and one cut off half-way is finished by the next or by
``finish_cut_off_work``.  Declining changes nothing else.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from registration import access, views
from registration import events as ev
from registration.domain.claims import InvalidClaimToken, check_claim_token, make_claim_token
from registration.domain.organisations import new_products
from registration.schemas import ClaimDecisionIn
from registration.store import Duplicate, RegistrationStore, now
from shared.auth import Principal
from shared.config import settings
from shared.entrypoints import rpc
from shared.errors import Conflict, Forbidden, Gone, NotFound
from shared.ids import new_id
from shared.timestamps import to_text, utc_iso
from shared.validation import load

# How long the link that confirms a registration made in an organisation's name works.
CLAIM_LIFETIME = timedelta(days=7)
AWAITING_CONFIRMATION = (
    "This organisation is already on file. Nothing has been registered yet: its contacts on "
    "file were sent a link to confirm this registration."
)


def _claim_secret() -> bytes:
    return hashlib.sha256(b"ketnoi-claim:" + settings().jwt_secret.encode()).digest()


def _claim_key(edition_id: str, organisation_id: str, form: str) -> str:
    """One claim per (edition, organisation, form): the same form sent again finds it."""
    return hashlib.sha256(f"{edition_id}|{organisation_id}|{form}".encode()).hexdigest()


class Claims:
    store: RegistrationStore
    _organisation: Callable[[str], dict[str, Any]]
    _open_edition: Callable[[Principal | None, str], dict[str, Any]]
    _registration_of: Callable[[str, str], dict[str, Any] | None]
    _snapshot: Callable[..., dict[str, Any]]
    _refresh_snapshots: Callable[[dict[str, Any]], None]

    def _open_claim(
        self, edition: dict[str, Any], org: dict[str, Any], data: dict[str, Any], form: str, delegates: dict[str, Any]
    ) -> dict[str, Any]:
        """Store the form as a pending claim (nothing changes on the organisation) and ask its contacts on file.

        The claim holds everything confirming needs, with the ids of the
        delegates and products it would add fixed now.  The same form again
        finds the same claim (a unique key) and asks nobody twice; once its
        link has expired, it asks again with a new one.
        """
        expires = datetime.now(UTC) + CLAIM_LIFETIME
        claim = {
            "_id": new_id("clm"),
            "key": _claim_key(edition["_id"], org["_id"], form),
            "edition_id": edition["_id"],
            "organisation_id": org["_id"],
            "form": form,
            "role": data["role"],
            "wants": data["wants"],
            "delegates": delegates,
            "products": new_products(org["_id"], data["products"]),
            "status": "pending",
            "created_at": now(),
            "expires_at": to_text(expires),
            "version": 1,
        }
        try:
            self.store.insert(
                "claims",
                claim,
                ev.claim_requested(claim, org, make_claim_token(_claim_secret(), claim["_id"], expires)),
            )
        except Duplicate as dup:
            claim = self._claim_again(dup.existing_id, org)
        return {
            "status": "awaiting_confirmation",
            "claim_id": claim["_id"],
            "organisation_id": org["_id"],
            "expires_at": utc_iso(claim["expires_at"]),  # an expiry a program compares: UTC
            "message": AWAITING_CONFIRMATION,
        }

    def _claim_again(self, claim_id: str | None, org: dict[str, Any]) -> dict[str, Any]:
        """The claim an identical form made before; renewed (and asked again) when its link has expired."""
        claim = self.store.get("claims", claim_id or "")
        if claim is None:
            raise Conflict("The registration was changed at the same time; try again.", code="concurrent_change")
        if claim["status"] == "declined":
            raise Conflict(
                "The organisation declined this registration.", code="claim_declined", extra={"claim_id": claim["_id"]}
            )
        if claim["status"] != "pending" or claim["expires_at"] > now():
            return claim
        expires = datetime.now(UTC) + CLAIM_LIFETIME
        renewed = self.store.update_versioned(
            "claims",
            claim["_id"],
            {"status": "pending", "expires_at": claim["expires_at"]},
            {"expires_at": to_text(expires)},
            lambda after: [ev.claim_requested(after, org, make_claim_token(_claim_secret(), after["_id"], expires))],
        )
        return renewed or self.store.get("claims", claim["_id"]) or claim

    def _claim_for_decision(
        self, principal: Principal | None, claim_id: str, token: str | None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The claim and its edition, if the caller may decide it: the link's token, the organisation itself,
        ops, or an organiser of the edition."""
        claim = self.store.get("claims", claim_id)
        if claim is None:
            raise NotFound("No such registration claim.", code="claim_not_found")
        edition = self.store.get("editions", claim["edition_id"])
        if token:
            try:
                check_claim_token(_claim_secret(), claim_id, token)
            except InvalidClaimToken as exc:
                if exc.reason == "expired":
                    raise Gone("This confirmation link has expired.", code="claim_link_expired") from None
                raise Forbidden("This confirmation link is not valid.", code="claim_link_invalid") from None
        else:
            access.require_claim_decider(principal, claim, edition)
        return claim, edition

    @rpc
    def get_claim(self, actor: dict | None, claim_id: str, token: str | None = None) -> dict:
        """What a registration made in the organisation's name asks for (the link in the e-mail shows this)."""
        claim, edition = self._claim_for_decision(access.principal_of(actor), claim_id, token)
        return views.claim(claim, self._organisation(claim["organisation_id"]), edition, now())

    @staticmethod
    def _undecided(claim: dict[str, Any]) -> None:
        """409 for a claim decided already, 410 for one whose time ran out."""
        if claim["status"] not in ("pending", "confirming"):
            raise Conflict(
                f"This registration was {claim['status']} already.",
                code="claim_decided",
                extra={"status": claim["status"], "participation_id": claim.get("participation_id")},
            )
        if claim["status"] == "pending" and claim["expires_at"] <= now():
            raise Gone("This registration claim has expired.", code="claim_expired")

    @rpc
    def confirm_claim(self, actor: dict | None, claim_id: str, payload: dict | None = None) -> dict:
        """The organisation confirms a registration made in its name: the participation is created as the form
        asked, its delegates not yet on file (by e-mail) and its products are added.

        The claim becomes ``confirming`` by one conditional update that fixes
        the participation's id; every later step is safe to repeat, so two
        confirmations at once make one participation, and one cut off
        half-way is finished by the next or by ``finish_cut_off_work``.
        """
        principal = access.principal_of(actor)
        data = load(ClaimDecisionIn, payload or {})
        claim, edition = self._claim_for_decision(principal, claim_id, data["token"])
        self._undecided(claim)
        if claim["status"] == "pending":
            self._open_edition(principal, edition["_id"])
            existing = self._registration_of(edition["_id"], claim["organisation_id"])
            if existing is not None:
                raise Conflict(
                    "This organisation is already registered for this edition.",
                    code="already_registered",
                    extra={"existing_id": existing["_id"]},
                )
            plan = {"participation_id": new_id("par"), "since": now()}
            claim = self.store.update_versioned(
                "claims",
                claim_id,
                {"status": "pending"},
                {"status": "confirming", "confirming": plan},
                lambda after: [],
            ) or self.store.get("claims", claim_id)
            self._undecided(claim)  # decided by someone else meanwhile; a confirmation at once goes on below
        participation = self._finish_claim(claim)
        return {
            "status": "confirmed",
            "claim_id": claim_id,
            "organisation_id": claim["organisation_id"],
            "participation": views.participation(participation, edition["timezone"]),
        }

    def _finish_claim(self, claim: dict[str, Any]) -> dict[str, Any]:
        """Everything a confirmed claim does, each step safe to repeat: delegates, products, the participation,
        then the claim ``confirmed``."""
        plan = claim["confirming"]
        self._add_claimed_delegates(claim)
        self._add_claimed_products(claim)
        org = self._organisation(claim["organisation_id"])
        participation = {
            "_id": plan["participation_id"],
            "edition_id": claim["edition_id"],
            "organisation_id": org["_id"],
            "role": claim["role"],
            "wants": claim["wants"],
            "status": "submitted",
            "form": claim["form"],
            "org": self._snapshot(org),
            "submitted_at": plan["since"],
            "version": 1,
        }
        try:
            self.store.insert("participations", participation, ev.participation_changed(participation))
        except Duplicate as dup:  # the first attempt inserted it (or the organisation applied meanwhile)
            participation = self.store.get("participations", dup.existing_id or "") or participation
        self._refresh_snapshots(org)  # its other registrations announce the new languages and stars
        self.store.update_versioned(
            "claims",
            claim["_id"],
            {"status": "confirming"},
            {"status": "confirmed", "participation_id": participation["_id"], "decided_at": now()},
            lambda after: [],
        )
        return participation

    def _add_claimed_delegates(self, claim: dict[str, Any]) -> None:
        """The form's delegates whose e-mail the organisation does not have yet, under the claim's ids."""
        for _ in range(10):
            org = self._organisation(claim["organisation_id"])
            have = org.get("delegates") or {}
            emails = {d["email"] for d in have.values()}
            new = {
                d_id: d
                for d_id, d in sorted(claim["delegates"].items())
                if d_id not in have and d["email"] not in emails
            }
            if not new:
                return
            if (
                self.store.update_versioned(
                    "organisations",
                    org["_id"],
                    {"version": org["version"]},
                    {**{f"delegates.{d_id}": d for d_id, d in new.items()}, "snapshot_due": now()},
                    lambda after, have=have, new=new: [ev.contacts_changed({**after, "delegates": {**have, **new}})],
                )
                is not None
            ):
                return  # changed at the same time otherwise: look again
        raise Conflict("The organisation keeps changing; try again.", code="concurrent_change")

    def _add_claimed_products(self, claim: dict[str, Any]) -> None:
        """The form's products, but none the organisation has already (same category and name)."""
        have = self.store.find("products", {"organisation_id": claim["organisation_id"]}, sort=[("_id", 1)])
        ids, names = {p["_id"] for p in have}, {(p["category"], p["search"]) for p in have}
        new = [p for p in claim["products"] if p["_id"] not in ids and (p["category"], p["search"]) not in names]
        if not new:
            return
        province = self._organisation(claim["organisation_id"]).get("province")
        self.store.mark("organisations", claim["organisation_id"], "snapshot_due")
        for product in new:
            with suppress(Duplicate):  # inserted by an attempt cut off, or one running at the same time
                self.store.insert("products", product, ev.product_registered(product, province))

    @rpc
    def decline_claim(self, actor: dict | None, claim_id: str, payload: dict | None = None) -> dict:
        """The organisation declines a registration made in its name: nothing else changes."""
        data = load(ClaimDecisionIn, payload or {})
        claim, edition = self._claim_for_decision(access.principal_of(actor), claim_id, data["token"])
        self._undecided(claim)
        declined = self.store.update_versioned(
            "claims", claim_id, {"status": "pending"}, {"status": "declined", "decided_at": now()}, lambda after: []
        )
        if declined is None:
            self._undecided(self.store.get("claims", claim_id))
            raise Conflict(
                "The registration was confirmed at the same time.", code="claim_decided", extra={"status": "confirming"}
            )
        return views.claim(declined, self._organisation(claim["organisation_id"]), edition, now())
