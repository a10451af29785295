"""The registration service's nameko entrypoints (thin: load, check, store, emit).

Every RPC takes the caller's principal (a dict from the gateway's verified
token, or None for the public) first, validates its arguments with
:mod:`registration.schemas`, and raises only :mod:`shared.errors` types for
anything the caller can fix.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
from contextlib import suppress
from datetime import UTC, date, datetime, timedelta
from typing import Any

from nameko.timer import timer

from registration import access, views
from registration import events as ev
from registration.domain.checkin import InvalidQrToken, make_qr_token, read_qr_token
from registration.domain.claims import InvalidClaimToken, check_claim_token, make_claim_token
from registration.domain.folding import fold, search_pattern
from registration.domain.workflow import (
    IllegalTransition,
    check_edition_transition,
    check_transition,
    sources_for,
)
from registration.metrics import CHECKINS, refresh_participation_gauges
from registration.schemas import (
    ROLES,
    BulkDecisionIn,
    CheckInIn,
    ClaimDecisionIn,
    DecisionIn,
    DelegateIn,
    EditionBody,
    EditionIn,
    OrganisationIn,
    OrganisationPatch,
    ParticipationIn,
    ParticipationQuery,
    ProductIn,
    RegistrationIn,
    SeriesIn,
    StatusChange,
)
from registration.store import COLLECTIONS, Duplicate, RegistrationStore, now
from shared import cursors
from shared.auth import Principal
from shared.config import settings
from shared.context import RequestContext
from shared.entrypoints import rpc
from shared.errors import (
    Conflict,
    Forbidden,
    Gone,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    Unauthorized,
    field_error,
)
from shared.events.outbox import OutboxRelay
from shared.ids import new_id
from shared.metrics import ServiceMetrics
from shared.recent import Recent
from shared.reference.provinces import rollup
from shared.store import Recount, Store
from shared.timestamps import to_text
from shared.validation import load, require_provinces, schema_of

log = logging.getLogger(__name__)
# Periodic looks at the whole database, run only when something may have changed (shared.store.recount).
_GAUGES, _PLACES = Recount(), Recount()

# Every public registration reads its edition; editions change a few times a year.  A status
# change made on another replica reaches this one's registration form within this many seconds
# (the window's dates are compared with the clock on every call, so closing on time is exact).
EDITION_CACHE_SECONDS = 2.0
# A registration form cut off half-way and not retried is completed by the service after this long.
PENDING_REGISTRATION = timedelta(minutes=1)
_OPEN_EDITIONS = Recent(EDITION_CACHE_SECONDS)
# How long the link that confirms a registration made in an organisation's name works.
CLAIM_LIFETIME = timedelta(days=7)
AWAITING_CONFIRMATION = ("This organisation is already on file. Nothing has been registered yet: its contacts on "
                         "file were sent a link to confirm this registration.")


def _principal(actor: dict[str, Any] | None) -> Principal | None:
    return Principal.from_dict(actor)


def _version_guard(expected_version: int | None) -> dict[str, Any]:
    """The filter an update with ``If-Match`` adds; none for ``*`` (the version read is still the one written)."""
    return {} if expected_version is None else {"version": expected_version}


def _org_key(org: dict[str, Any]) -> str:
    """The identity that makes two registrations the same organisation."""
    if org.get("tax_code"):
        return f"vn:{org['tax_code']}"
    return f"{org['foreign']['country']}:{fold(org['foreign']['registration_no']).replace(' ', '')}"


def _form_key(edition_id: str, form: dict[str, Any]) -> str:
    """What makes two submissions the same form: every field as validated (phones normalised, …)."""
    canonical = json.dumps({"edition_id": edition_id, **form}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _places(capacity: dict[str, int]) -> dict[str, int | None]:
    """Every role's limit, None for no limit: places are counted in every role, so that a limit set later
    starts from the approvals already made, and a limit dropped stops applying (found by the stateful test:
    a dropped limit went on waitlisting, and a limit added later let that many more in)."""
    return {role: capacity.get(role) for role in ROLES}


def _qr_secret() -> bytes:
    return hashlib.sha256(b"ketnoi-qr:" + settings().jwt_secret.encode()).digest()


def _claim_secret() -> bytes:
    return hashlib.sha256(b"ketnoi-claim:" + settings().jwt_secret.encode()).digest()


def _claim_key(edition_id: str, organisation_id: str, form: str) -> str:
    """One claim per (edition, organisation, form): the same form sent again finds it."""
    return hashlib.sha256(f"{edition_id}|{organisation_id}|{form}".encode()).hexdigest()


class RegistrationService:
    name = "registration"

    store = Store("registration", RegistrationStore)
    relay = OutboxRelay("registration", COLLECTIONS)
    metrics = ServiceMetrics()
    request_id = RequestContext()

    # -- health ---------------------------------------------------------------------

    @rpc
    def ping(self) -> dict[str, bool]:
        return {"store": self.store.ping()}

    # -- series and editions -----------------------------------------------------------

    @rpc
    def create_series(self, actor: dict | None, payload: dict) -> dict:
        principal = _principal(actor)
        if principal is None or principal.role != "ops":
            raise Forbidden("Only ops create a conference series.", code="forbidden_role")
        data = load(SeriesIn, payload)
        series = {"_id": data["key"], "name": data["name"], "version": 1, "created_at": now()}
        try:
            self.store.insert("series", series, ev.series_created(series))
        except Duplicate:
            raise Conflict("A series with this key exists.", code="series_exists",
                           extra={"existing_id": data["key"]}) from None
        return views.series(series)

    @rpc
    def list_series(self) -> list[dict]:
        return [views.series(s) for s in self.store.find("series", {}, sort=[("_id", 1)])]

    @rpc
    def create_edition(self, actor: dict | None, payload: dict) -> dict:
        principal = _principal(actor)
        data = load(EditionIn, payload)
        series = self.store.get("series", data["series_id"])
        if series is None:
            raise InvalidInput("Unknown series.", errors=[field_error("series_id", "unknown", "No such series.")])
        access.require_organiser(principal, {"series_id": series["_id"]})
        edition = self._edition_document(data)
        edition.update(_id=new_id("ed"), series_id=series["_id"], status="draft", version=1, created_at=now())
        # the places first: an edition cut off after its insert would otherwise take unlimited approvals
        self.store.set_capacity(edition["_id"], _places(edition["capacity"]))
        self.store.insert("editions", edition, ev.edition_created(edition))
        return views.edition(edition, self.store.capacity_of(edition["_id"]))

    def _edition_document(self, data: dict[str, Any]) -> dict[str, Any]:
        """Check provinces and site visits as of the edition's dates; shape for storage."""
        first_day: date = data["starts_on"]
        require_provinces(first_day, host_province=data["host_province"],
                           **{f"partner_provinces.{i}": p for i, p in enumerate(data["partner_provinces"])})
        programme = {
            item.pop("key"): {**item, "starts_at": to_text(item["starts_at"]), "ends_at": to_text(item["ends_at"])}
            for item in data.pop("programme")
        }
        return {**data, "starts_on": first_day.isoformat(), "ends_on": data["ends_on"].isoformat(),
                "registration_opens_at": to_text(data["registration_opens_at"]),
                "registration_closes_at": to_text(data["registration_closes_at"]),
                "programme": programme}

    def _edition(self, principal: Principal | None, edition_id: str) -> dict[str, Any]:
        return access.require_visible(principal, self.store.get("editions", edition_id))

    @rpc
    def get_edition(self, actor: dict | None, edition_id: str) -> dict:
        edition = self._edition(_principal(actor), edition_id)
        return views.edition(edition, self.store.capacity_of(edition_id))

    @rpc
    def list_editions(self, actor: dict | None, series_id: str | None = None) -> list[dict]:
        principal = _principal(actor)
        query = {"series_id": series_id} if series_id else {}
        editions = self.store.find("editions", query, sort=[("starts_on", -1)])
        return [views.edition(e) for e in editions if access.can_see_edition(principal, e)]

    @rpc
    def update_edition(self, actor: dict | None, edition_id: str, expected_version: int | None,
                       payload: dict) -> dict:
        """``expected_version`` None: whatever version is current (``If-Match: *``)."""
        principal = _principal(actor)
        current = self._edition(principal, edition_id)
        access.require_organiser(principal, current)
        load(EditionBody, payload, partial=True)  # field errors name only what the caller sent
        shown = views.edition(current)
        merged = {**{k: shown[k] for k in schema_of(EditionBody).fields if shown.get(k) is not None}, **payload}
        data = self._edition_document(load(EditionBody, merged))
        changed = [k for k in payload if data.get(k) != current.get(k)]
        updated = self.store.update_versioned(
            "editions", edition_id, _version_guard(expected_version), {**data, "capacity_due": now()},
            lambda after: [ev.edition_updated(after, changed)],
        )
        _OPEN_EDITIONS.forget(edition_id)
        if updated is None:
            raise PreconditionFailed("The edition was changed by someone else; reload it.",
                                     extra={"current_version": self._current_version("editions", edition_id)})
        self._apply_capacity(updated)
        return views.edition(updated, self.store.capacity_of(edition_id))

    def _apply_capacity(self, edition: dict[str, Any]) -> None:
        """The edition's places, mirrored where approvals take them, then the waitlist's chance at new ones.

        The edition's update marks it ``capacity_due``; the mark goes once the
        places are written, so a crash between is finished by :meth:`finish_cut_off_work`.
        """
        places = _places(edition["capacity"])
        self.store.set_capacity(edition["_id"], places, promotion_due=True)
        self.store.unmark("editions", edition["_id"], "capacity_due", edition["capacity_due"])
        for role in places:  # a role that lost its limit has free places too
            self._promote_waitlisted(edition["_id"], role)

    def _current_version(self, collection: str, doc_id: str) -> int | None:
        doc = self.store.get(collection, doc_id)
        return doc["version"] if doc else None

    @rpc
    def set_edition_status(self, actor: dict | None, edition_id: str, expected_version: int | None,
                           payload: dict) -> dict:
        principal = _principal(actor)
        target = load(StatusChange, payload)["status"]
        current = self._edition(principal, edition_id)
        access.require_organiser(principal, current)
        try:
            check_edition_transition(current["status"], target)
        except IllegalTransition as exc:
            raise Conflict(str(exc), code="illegal_transition",
                           extra={"status": current["status"], "target": target}) from None
        expected = {"status": current["status"]}
        if expected_version is not None:
            expected["version"] = expected_version
        updated = self.store.update_versioned(
            "editions", edition_id, expected, {"status": target},
            lambda after: [ev.edition_status_changed(after, current["status"])],
        )
        _OPEN_EDITIONS.forget(edition_id)
        if updated is None:
            raise PreconditionFailed("The edition was changed by someone else; reload it.")
        return views.edition(updated, self.store.capacity_of(edition_id))

    # -- organisations, delegates, products ----------------------------------------------

    def _new_organisation(self, data: dict[str, Any]) -> dict[str, Any]:
        delegates = {new_id("dlg"): d for d in data.pop("delegates", [])}
        return {**data, "_id": new_id("org"), "org_key": _org_key(data), "delegates": delegates,
                "search": fold(" ".join(filter(None, data["legal_name"].values()))),
                "version": 1, "created_at": now()}

    def _insert_organisation(self, org: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Insert, or return the organisation already holding this tax code / registration."""
        try:
            self.store.insert("organisations", org, ev.organisation_registered(org), ev.contacts_changed(org))
            return org, True
        except Duplicate as dup:
            return self.store.get("organisations", dup.existing_id), False

    @rpc
    def create_organisation(self, actor: dict | None, payload: dict) -> dict:
        data = load(OrganisationIn, payload)
        require_provinces(date.today(), province=data.get("province"))
        org, created = self._insert_organisation(self._new_organisation(data))
        if not created:
            raise Conflict("This organisation is already registered.", code="organisation_exists",
                           extra={"existing_id": org["_id"]})
        return views.organisation(org, with_contacts=True)

    def _organisation(self, organisation_id: str) -> dict[str, Any]:
        org = self.store.get("organisations", organisation_id)
        if org is None or org.get("state") == "pending":  # a registration still on its way shows nothing yet
            raise NotFound("No such organisation.", code="organisation_not_found")
        return org

    def _organiser_series_of(self, organisation_id: str) -> set[str]:
        edition_ids = {p["edition_id"] for p in self.store.find(
            "participations", {"organisation_id": organisation_id}, projection={"edition_id": 1})}
        return {e["series_id"] for e in self.store.find(
            "editions", {"_id": {"$in": sorted(edition_ids)}}, projection={"series_id": 1})}

    @rpc
    def get_organisation(self, actor: dict | None, organisation_id: str) -> dict:
        """The organisation itself and organisers of its editions see delegates and contacts; anyone else the
        public profile and products."""
        principal = _principal(actor)
        org = self._organisation(organisation_id)
        privileged = access.sees_contacts(principal, organisation_id, self._organiser_series_of(organisation_id)) \
            if principal else False
        out = views.organisation(org, with_contacts=True) if privileged else views.public_organisation(org)
        out["products"] = [views.product(p) for p in self.store.find(
            "products", {"organisation_id": organisation_id}, sort=[("_id", 1)])]
        return out

    @rpc
    def update_organisation(self, actor: dict | None, organisation_id: str, expected_version: int | None,
                            payload: dict) -> dict:
        principal = _principal(actor)
        access.require_acts_for(principal, organisation_id)
        changes = load(OrganisationPatch, payload, partial=True)
        require_provinces(date.today(), province=changes.get("province"))
        if "legal_name" in changes:
            changes["search"] = fold(" ".join(filter(None, changes["legal_name"].values())))
        updated = self.store.update_versioned(
            "organisations", organisation_id, _version_guard(expected_version), {**changes, "snapshot_due": now()},
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
        leaves it for :meth:`finish_cut_off_work`.
        """
        snapshot = self._snapshot(org)
        self.store.update_many("participations", {"organisation_id": org["_id"]},
                               {"$set": {f"org.{k}": v for k, v in snapshot.items()}})
        if org.get("snapshot_due"):
            self.store.unmark("organisations", org["_id"], "snapshot_due", org["snapshot_due"])

    def _snapshot(self, org: dict[str, Any], products: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """What lists filter on; ``products`` when the caller has them in hand (saves a query)."""
        if products is None:
            products = self.store.find("products", {"organisation_id": org["_id"]}, projection={"ocop": 1})
        stars = [p["ocop"]["stars"] for p in products if p.get("ocop")]
        province = org.get("province")
        return {"kind": org["kind"], "legal_name": org["legal_name"], "public_name": ev.public_name(org),
                "province": province, "province_2025": rollup(province) if province else None,
                "country": (org.get("foreign") or {}).get("country", "VN"), "sectors": org.get("sectors", []),
                "ocop_max_stars": max(stars) if stars else None, "search": org["search"],
                **ev.delegate_languages(org)}

    @rpc
    def add_delegate(self, actor: dict | None, organisation_id: str, payload: dict) -> dict:
        access.require_acts_for(_principal(actor), organisation_id)
        delegate = load(DelegateIn, payload)
        delegate_id = new_id("dlg")
        org = self._organisation(organisation_id)
        updated = self.store.update_versioned(
            "organisations", organisation_id, {"version": org["version"]},
            {f"delegates.{delegate_id}": delegate, "snapshot_due": now()},
            lambda after: [ev.contacts_changed(self._with_delegate(
                after, delegate_id, delegate))],
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
        access.require_acts_for(_principal(actor), organisation_id)
        org = self._organisation(organisation_id)
        data = load(ProductIn, payload)
        require_provinces(date.today(), origin_province=data.get("origin_province"))
        [product] = self._new_products(org["_id"], [data])
        org["snapshot_due"] = self.store.mark("organisations", org["_id"], "snapshot_due")
        self.store.insert("products", product, ev.product_registered(product))
        self._refresh_snapshots(org)
        return views.product(product)

    @staticmethod
    def _new_products(organisation_id: str, products: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**data, "_id": new_id("prd"), "organisation_id": organisation_id,
                 "search": fold(" ".join(filter(None, data["name"].values()))), "created_at": now()}
                for data in products]

    # -- participations ------------------------------------------------------------------

    def _open_edition(self, principal: Principal | None, edition_id: str) -> dict[str, Any]:
        """The edition, if it takes this caller's registration now.

        The public may register while the edition is open and inside its
        window; its organisers may add registrations at any time before the
        edition is finished (late entries by phone, delegations from partner
        provinces).
        """
        edition = access.require_visible(
            principal, _OPEN_EDITIONS.get(edition_id, lambda key: self.store.get("editions", key)))
        if access.organises(principal, edition):
            if edition["status"] == "finished":
                raise Conflict("This edition is finished.", code="registration_closed",
                               extra={"status": edition["status"]})
            return edition
        moment = now()
        if edition["status"] != "open" or not (
                edition["registration_opens_at"] <= moment <= edition["registration_closes_at"]):
            raise Conflict("Registration for this edition is not open.", code="registration_closed",
                           extra={"status": edition["status"],
                                  "opens_at": edition["registration_opens_at"],
                                  "closes_at": edition["registration_closes_at"]})
        return edition

    def _check_wants(self, edition: dict[str, Any], wants: dict[str, Any], field: str) -> None:
        visits = {k for k, item in edition["programme"].items() if item["kind"] == "site_visit"}
        errors = [field_error(f"{field}.site_visits.{i}", "unknown_site_visit",
                              f"{key} is not a site visit of this edition.", key=key)
                  for i, key in enumerate(wants.get("site_visits", [])) if key not in visits]
        if errors:
            raise InvalidInput("Some requests do not match the programme.", errors=errors)

    @rpc
    def register(self, actor: dict | None, edition_id: str, payload: dict) -> dict:
        """The public registration form: organisation, delegates, products and what it wants, all or nothing.

        A new organisation is inserted *pending*, carrying the whole form: its
        products' and participation's ids are fixed there.  Products and the
        participation are then inserted, and the organisation is completed
        by one conditional write.  Until then nothing of it shows; its events
        are staged with the participation's, in one insert.  A retry of the same form after any interruption finds the
        pending organisation and completes it; so does :meth:`finish_cut_off_work`
        for a client that never comes back.  A form naming an organisation
        already on file (same tax code, or same country and registration number)
        is :meth:`_register_known`.
        """
        data = load(RegistrationIn, payload)
        principal = _principal(actor)
        edition = self._open_edition(principal, edition_id)
        first_day = date.fromisoformat(edition["starts_on"])
        org_data = data["organisation"]
        require_provinces(first_day, **{"organisation.province": org_data.get("province")},
                           **{f"products.{i}.origin_province": p.get("origin_province")
                              for i, p in enumerate(data["products"])})
        self._check_wants(edition, data["wants"], "wants")
        form = _form_key(edition_id, data)
        org = self._new_organisation(org_data)
        org["pending"] = {"form": form, "edition_id": edition_id, "role": data["role"], "wants": data["wants"],
                          "participation_id": new_id("par"), "since": now(),
                          "products": self._new_products(org["_id"], data["products"])}
        org["state"] = "pending"
        try:
            self.store.insert("organisations", org)
        except Duplicate as dup:
            existing = self.store.get("organisations", dup.existing_id)
            if existing is None or existing.get("state") != "pending":
                return self._register_known(principal, edition, existing, data, form, org["delegates"])
            if existing["pending"]["form"] != form:
                raise Conflict("This organisation is being registered right now by another form; try again in a "
                               "minute.", code="registration_in_progress") from None
            org = existing
        participation = self._complete_registration(org)
        return {"participation": views.participation(participation), "organisation_id": org["_id"],
                "organisation_created": True}

    def _register_known(self, principal: Principal | None, edition: dict[str, Any], org: dict[str, Any] | None,
                        data: dict[str, Any], form: str, delegates: dict[str, Any]) -> dict[str, Any]:
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
            raise Conflict("This organisation is already registered for this edition.", code="already_registered",
                           extra={"existing_id": existing["_id"]})
        elif access.acts_for(principal, org["_id"]) or access.organises(principal, edition):
            try:
                participation = self._submit(edition, org, data["role"], data["wants"], form=form)
            except Conflict as conflict:
                participation = self.store.get("participations", conflict.extra.get("existing_id") or "")
                if participation is None or participation.get("form") != form:
                    raise
        else:
            return self._open_claim(edition, org, data, form, delegates)
        return {"participation": views.participation(participation), "organisation_id": org["_id"],
                "organisation_created": False}

    def _registration_of(self, edition_id: str, organisation_id: str) -> dict[str, Any] | None:
        found = self.store.find("participations", {"edition_id": edition_id, "organisation_id": organisation_id},
                                limit=1)
        return found[0] if found else None

    # -- registrations made in an organisation's name, waiting for it to confirm ------------------

    def _open_claim(self, edition: dict[str, Any], org: dict[str, Any], data: dict[str, Any], form: str,
                    delegates: dict[str, Any]) -> dict[str, Any]:
        """Store the form as a pending claim (nothing changes on the organisation) and ask its contacts on file.

        The claim holds everything confirming needs, with the ids of the
        delegates and products it would add fixed now.  The same form again
        finds the same claim (a unique key) and asks nobody twice; once its
        link has expired, it asks again with a new one.
        """
        expires = datetime.now(UTC) + CLAIM_LIFETIME
        claim = {"_id": new_id("clm"), "key": _claim_key(edition["_id"], org["_id"], form),
                 "edition_id": edition["_id"], "organisation_id": org["_id"], "form": form, "role": data["role"],
                 "wants": data["wants"], "delegates": delegates,
                 "products": self._new_products(org["_id"], data["products"]),
                 "status": "pending", "created_at": now(), "expires_at": to_text(expires), "version": 1}
        try:
            self.store.insert("claims", claim,
                              ev.claim_requested(claim, org, make_claim_token(_claim_secret(), claim["_id"], expires)))
        except Duplicate as dup:
            claim = self._claim_again(dup.existing_id, org)
        return {"status": "awaiting_confirmation", "claim_id": claim["_id"], "organisation_id": org["_id"],
                "expires_at": claim["expires_at"], "message": AWAITING_CONFIRMATION}

    def _claim_again(self, claim_id: str | None, org: dict[str, Any]) -> dict[str, Any]:
        """The claim an identical form made before; renewed (and asked again) when its link has expired."""
        claim = self.store.get("claims", claim_id or "")
        if claim is None:
            raise Conflict("The registration was changed at the same time; try again.", code="concurrent_change")
        if claim["status"] == "declined":
            raise Conflict("The organisation declined this registration.", code="claim_declined",
                           extra={"claim_id": claim["_id"]})
        if claim["status"] != "pending" or claim["expires_at"] > now():
            return claim
        expires = datetime.now(UTC) + CLAIM_LIFETIME
        renewed = self.store.update_versioned(
            "claims", claim["_id"], {"status": "pending", "expires_at": claim["expires_at"]},
            {"expires_at": to_text(expires)},
            lambda after: [ev.claim_requested(after, org, make_claim_token(_claim_secret(), after["_id"], expires))])
        return renewed or self.store.get("claims", claim["_id"]) or claim

    def _claim_for_decision(self, principal: Principal | None, claim_id: str,
                            token: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
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
        elif principal is None:
            raise Unauthorized("Use the link from the e-mail, or sign in as the organisation.", code="unauthorized")
        elif not (access.acts_for(principal, claim["organisation_id"]) or access.organises(principal, edition)):
            raise Forbidden("Only the organisation itself or the edition's organisers may decide this.",
                            code="not_your_organisation")
        return claim, edition

    @rpc
    def get_claim(self, actor: dict | None, claim_id: str, token: str | None = None) -> dict:
        """What a registration made in the organisation's name asks for (the link in the e-mail shows this)."""
        claim, edition = self._claim_for_decision(_principal(actor), claim_id, token)
        return views.claim(claim, self._organisation(claim["organisation_id"]), edition, now())

    def _undecided(self, claim: dict[str, Any]) -> None:
        """409 for a claim decided already, 410 for one whose time ran out."""
        if claim["status"] not in ("pending", "confirming"):
            raise Conflict(f"This registration was {claim['status']} already.", code="claim_decided",
                           extra={"status": claim["status"], "participation_id": claim.get("participation_id")})
        if claim["status"] == "pending" and claim["expires_at"] <= now():
            raise Gone("This registration claim has expired.", code="claim_expired")

    @rpc
    def confirm_claim(self, actor: dict | None, claim_id: str, payload: dict | None = None) -> dict:
        """The organisation confirms a registration made in its name: the participation is created as the form
        asked, its delegates not yet on file (by e-mail) and its products are added.

        The claim becomes ``confirming`` by one conditional update that fixes
        the participation's id; every later step is safe to repeat, so two
        confirmations at once make one participation, and one cut off
        half-way is finished by the next or by :meth:`finish_cut_off_work`.
        """
        principal = _principal(actor)
        data = load(ClaimDecisionIn, payload or {})
        claim, edition = self._claim_for_decision(principal, claim_id, data["token"])
        self._undecided(claim)
        if claim["status"] == "pending":
            self._open_edition(principal, edition["_id"])
            existing = self._registration_of(edition["_id"], claim["organisation_id"])
            if existing is not None:
                raise Conflict("This organisation is already registered for this edition.",
                               code="already_registered", extra={"existing_id": existing["_id"]})
            plan = {"participation_id": new_id("par"), "since": now()}
            claim = self.store.update_versioned("claims", claim_id, {"status": "pending"},
                                                {"status": "confirming", "confirming": plan}, lambda after: []) \
                or self.store.get("claims", claim_id)
            self._undecided(claim)  # decided by someone else meanwhile; a confirmation at once goes on below
        participation = self._finish_claim(claim)
        return {"status": "confirmed", "claim_id": claim_id, "organisation_id": claim["organisation_id"],
                "participation": views.participation(participation)}

    def _finish_claim(self, claim: dict[str, Any]) -> dict[str, Any]:
        """Everything a confirmed claim does, each step safe to repeat: delegates, products, the participation,
        then the claim ``confirmed``."""
        plan = claim["confirming"]
        self._add_claimed_delegates(claim)
        self._add_claimed_products(claim)
        org = self._organisation(claim["organisation_id"])
        participation = {
            "_id": plan["participation_id"], "edition_id": claim["edition_id"],
            "organisation_id": org["_id"], "role": claim["role"], "wants": claim["wants"], "status": "submitted",
            "form": claim["form"], "org": self._snapshot(org), "submitted_at": plan["since"], "version": 1,
        }
        try:
            self.store.insert("participations", participation, ev.participation_changed(participation))
        except Duplicate as dup:  # the first attempt inserted it (or the organisation applied meanwhile)
            participation = self.store.get("participations", dup.existing_id or "") or participation
        self._refresh_snapshots(org)  # its other registrations announce the new languages and stars
        self.store.update_versioned("claims", claim["_id"], {"status": "confirming"},
                                    {"status": "confirmed", "participation_id": participation["_id"],
                                     "decided_at": now()}, lambda after: [])
        return participation

    def _add_claimed_delegates(self, claim: dict[str, Any]) -> None:
        """The form's delegates whose e-mail the organisation does not have yet, under the claim's ids."""
        for _ in range(10):
            org = self._organisation(claim["organisation_id"])
            have = org.get("delegates") or {}
            emails = {d["email"] for d in have.values()}
            new = {d_id: d for d_id, d in sorted(claim["delegates"].items())
                   if d_id not in have and d["email"] not in emails}
            if not new:
                return
            if self.store.update_versioned(
                    "organisations", org["_id"], {"version": org["version"]},
                    {**{f"delegates.{d_id}": d for d_id, d in new.items()}, "snapshot_due": now()},
                    lambda after, have=have, new=new: [ev.contacts_changed({**after, "delegates": {**have, **new}})],
            ) is not None:
                return  # changed at the same time otherwise: look again
        raise Conflict("The organisation keeps changing; try again.", code="concurrent_change")

    def _add_claimed_products(self, claim: dict[str, Any]) -> None:
        """The form's products, but none the organisation has already (same category and name)."""
        have = self.store.find("products", {"organisation_id": claim["organisation_id"]}, sort=[("_id", 1)])
        ids, names = {p["_id"] for p in have}, {(p["category"], p["search"]) for p in have}
        new = [p for p in claim["products"] if p["_id"] not in ids and (p["category"], p["search"]) not in names]
        if new:
            self.store.mark("organisations", claim["organisation_id"], "snapshot_due")
        for product in new:
            with suppress(Duplicate):  # inserted by an attempt cut off, or one running at the same time
                self.store.insert("products", product, ev.product_registered(product))

    @rpc
    def decline_claim(self, actor: dict | None, claim_id: str, payload: dict | None = None) -> dict:
        """The organisation declines a registration made in its name: nothing else changes."""
        data = load(ClaimDecisionIn, payload or {})
        claim, edition = self._claim_for_decision(_principal(actor), claim_id, data["token"])
        self._undecided(claim)
        declined = self.store.update_versioned("claims", claim_id, {"status": "pending"},
                                               {"status": "declined", "decided_at": now()}, lambda after: [])
        if declined is None:
            self._undecided(self.store.get("claims", claim_id))
            raise Conflict("The registration was confirmed at the same time.", code="claim_decided",
                           extra={"status": "confirming"})
        return views.claim(declined, self._organisation(claim["organisation_id"]), edition, now())

    def _complete_registration(self, org: dict[str, Any]) -> dict[str, Any]:
        """Finish what a pending organisation's form began; each step is safe to repeat."""
        pending = org["pending"]
        for product in pending["products"]:
            with suppress(Duplicate):  # inserted by the attempt that was cut off
                self.store.insert("products", product, ev.product_registered(product))
        participation = {
            "_id": pending["participation_id"], "edition_id": pending["edition_id"], "organisation_id": org["_id"],
            "role": pending["role"], "wants": pending["wants"], "status": "submitted", "form": pending["form"],
            "org": self._snapshot(org, pending["products"]), "submitted_at": pending["since"], "version": 1,
        }
        done = {k: v for k, v in org.items() if k not in ("pending", "state")}
        try:  # the organisation's events travel with the participation, in this order: whoever hears of the
            # registration has heard of the organisation and its contacts already
            self.store.insert("participations", participation, ev.organisation_registered(done),
                              ev.contacts_changed(done), ev.participation_changed(participation))
        except Duplicate:
            participation = self.store.get("participations", pending["participation_id"]) or participation
        self.store.complete_pending(org["_id"], pending["form"])
        return participation

    @timer(interval=30)
    def finish_cut_off_work(self) -> None:
        """Work cut off half-way (a crash, an outage) and never retried is finished after a minute:
        registrations, confirmations of claimed registrations, participations' copies of a changed
        organisation, an edition's changed places, and waitlist promotions owed since places were freed or
        added."""
        for org in self.store.pending_organisations(older_than=PENDING_REGISTRATION):
            self._complete_registration(org)
            log.warning("completed the registration of %s that was cut off", org["_id"])
        for claim in self.store.confirming_claims(older_than=PENDING_REGISTRATION):
            self._finish_claim(claim)
            log.warning("finished the confirmation of claim %s that was cut off", claim["_id"])
        for org in self.store.marked("organisations", "snapshot_due", older_than=PENDING_REGISTRATION):
            self._refresh_snapshots(org)
            log.warning("refreshed the participations' copy of %s, cut off before it was written", org["_id"])
        for edition in self.store.marked("editions", "capacity_due", older_than=PENDING_REGISTRATION):
            self._apply_capacity(edition)
        for edition_id, role in self.store.promotions_due(older_than=PENDING_REGISTRATION):
            self._promote_waitlisted(edition_id, role)

    @rpc
    def apply(self, actor: dict | None, edition_id: str, payload: dict) -> dict:
        """An organisation on file applies for an edition (member of it, or ops)."""
        data = load(ParticipationIn, payload)
        principal = _principal(actor)
        access.require_acts_for(principal, data["organisation_id"])
        edition = self._open_edition(principal, edition_id)
        org = self._organisation(data["organisation_id"])
        require_provinces(date.fromisoformat(edition["starts_on"]), province=org.get("province"))
        self._check_wants(edition, data["wants"], "wants")
        return views.participation(self._submit(edition, org, data["role"], data["wants"]))

    def _submit(self, edition: dict[str, Any], org: dict[str, Any], role: str, wants: dict,
                form: str | None = None) -> dict[str, Any]:
        participation = {
            "_id": new_id("par"), "edition_id": edition["_id"], "organisation_id": org["_id"],
            "role": role, "wants": wants, "status": "submitted", "org": self._snapshot(org),
            "submitted_at": now(), "version": 1, **({"form": form} if form else {}),
        }
        try:
            self.store.insert("participations", participation, ev.participation_changed(participation))
        except Duplicate as dup:
            raise Conflict("This organisation is already registered for this edition.",
                           code="already_registered", extra={"existing_id": dup.existing_id}) from None
        return participation

    def _participation(self, participation_id: str) -> dict[str, Any]:
        found = self.store.get("participations", participation_id)
        if found is None:
            raise NotFound("No such registration.", code="participation_not_found")
        return found

    @rpc
    def get_participation(self, actor: dict | None, participation_id: str) -> dict:
        principal = _principal(actor)
        participation = self._participation(participation_id)
        edition = self.store.get("editions", participation["edition_id"])
        if not (access.acts_for(principal, participation["organisation_id"])
                or access.organises(principal, edition)):
            raise NotFound("No such registration.", code="participation_not_found")
        return views.participation(participation)

    @rpc
    def decide(self, actor: dict | None, participation_id: str, payload: dict) -> dict:
        data = load(DecisionIn, payload)
        return self._decide(_principal(actor), participation_id, data["action"], data.get("reason"),
                            data["reason_code"])

    @rpc
    def decide_many(self, actor: dict | None, edition_id: str, payload: dict) -> dict:
        """Bulk review: each id is decided on its own; one failure does not undo the others."""
        principal = _principal(actor)
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
        return {"results": results, "succeeded": sum(r["ok"] for r in results), "failed": sum(
            not r["ok"] for r in results)}

    def _decide(self, principal: Principal | None, participation_id: str, action: str,
                reason: str | None, reason_code: str = "other") -> dict[str, Any]:
        participation = self._participation(participation_id)
        edition = self.store.get("editions", participation["edition_id"])
        if action == "cancel" and access.acts_for(principal, participation["organisation_id"]):
            pass  # an organisation may withdraw its own registration
        else:
            access.require_organiser(principal, edition)
        target = {"approve": "approved", "reject": "rejected", "waitlist": "waitlisted", "cancel": "cancelled"}[action]
        try:
            check_transition(participation["status"], target)
        except IllegalTransition:
            raise Conflict(f"A {participation['status']} registration cannot become {target}.",
                           code="illegal_transition",
                           extra={"status": participation["status"], "target": target}) from None
        if target == "approved":
            return views.participation(self._approve(participation))
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
        return views.participation(updated)

    def _transition(self, participation: dict[str, Any], target: str, changes: dict[str, Any],
                    promoted: bool = False) -> dict[str, Any]:
        updated = self.store.update_versioned(
            "participations", participation["_id"],
            {"status": {"$in": list(sources_for(target))}, "version": participation["version"]}, changes,
            lambda after: [ev.participation_changed(after, target, promoted)]
            + ([ev.rejection_explained(after)] if target == "rejected" else []),
        )
        if updated is None:
            raise Conflict("The registration was changed at the same time; reload it.", code="concurrent_change")
        return updated

    def _approve(self, participation: dict[str, Any]) -> dict[str, Any]:
        """Approve within capacity; a full role puts a new registration on the waitlist instead."""
        edition_id, role, pid = participation["edition_id"], participation["role"], participation["_id"]
        if not self.store.take_place(edition_id, role, pid):
            if participation["status"] == "submitted":
                waitlisted = self._transition(participation, "waitlisted",
                                              {"status": "waitlisted", "waitlisted_at": now(), "decided_at": now()})
                # a place freed between the full role and this write found nobody waiting (found by the stateful
                # test: a cancellation at the same moment left its place free and this application waiting)
                self._promote_waitlisted(edition_id, role)
                return self.store.get("participations", pid) or waitlisted
            raise Conflict("Every place for this role is taken.", code="capacity_full",
                           extra=self.store.capacity_of(edition_id).get(role, {}))
        try:
            approved = self._transition(participation, "approved", {"status": "approved", "decided_at": now()},
                                        promoted=participation["status"] == "waitlisted")
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
            waiting = self.store.find("participations",
                                      {"edition_id": edition_id, "role": role, "status": "waitlisted"},
                                      sort=[("waitlisted_at", 1), ("_id", 1)], limit=1)
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

    @rpc
    def list_participations(self, actor: dict | None, edition_id: str, query: dict) -> dict:
        principal = _principal(actor)
        edition = self._edition(principal, edition_id)
        access.require_reader_of_edition(principal, edition)
        params = load(ParticipationQuery, query)
        mongo = self._participation_filter(edition_id, params)
        if principal.role == "province":
            if params.get("province") and rollup(params["province"]) != principal.province:
                raise Forbidden("A province sees only its own registrations.", code="other_province")
            mongo["org.province_2025"] = principal.province
        page, next_cursor = self._page(mongo, params, f"participations:{edition_id}")
        items = [views.participation(p, for_province=principal.role == "province") for p in page]
        return {"items": items, "next_cursor": next_cursor}

    def _page(self, mongo: dict[str, Any], params: dict[str, Any], scope: str) -> tuple[list[dict], str | None]:
        """One page of participations by ``_id``, and the signed cursor of the next (None on the last)."""
        if params.get("cursor"):
            mongo["_id"] = {"$gt": cursors.position_of(params["cursor"], scope)}
        page = self.store.find("participations", mongo, sort=[("_id", 1)], limit=params["limit"] + 1)
        more = len(page) > params["limit"]
        page = page[: params["limit"]]
        return page, cursors.issue(page[-1]["_id"], scope) if more else None

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
        page, next_cursor = self._page(mongo, params, f"directory:{edition_id}")
        return {"items": [views.directory_entry(p) for p in page], "next_cursor": next_cursor}

    @rpc
    def export_csv(self, actor: dict | None, edition_id: str) -> str:
        """Organisers' spreadsheet: UTF-8 with BOM so Excel shows Vietnamese correctly."""
        principal = _principal(actor)
        access.require_organiser(principal, self._edition(principal, edition_id))
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["participation_id", "organisation", "kind", "tax_code_or_registration", "province",
                         "province_2025", "role", "status", "submitted_at", "contact_name", "contact_email",
                         "contact_phone", "reason"])
        for p in self.store.iterate("participations", {"edition_id": edition_id}):
            org = self.store.get("organisations", p["organisation_id"]) or {}
            contact = next(iter(sorted((org.get("delegates") or {}).items())), (None, {}))[1]
            identity = org.get("tax_code") or "{country}:{registration_no}".format(**org.get("foreign", {}))
            writer.writerow([p["_id"], p["org"]["legal_name"]["vi"], p["org"]["kind"], identity,
                             p["org"].get("province") or "", p["org"].get("province_2025") or "", p["role"],
                             p["status"], p["submitted_at"], contact.get("name", ""),
                             contact.get("email", ""), contact.get("phone", ""), p.get("reason") or ""])
        return "\ufeff" + buffer.getvalue()

    @rpc
    def stats(self, actor: dict | None, edition_id: str) -> dict:
        principal = _principal(actor)
        edition = self._edition(principal, edition_id)
        access.require_reader_of_edition(principal, edition)
        province = principal.province if principal.role == "province" else None  # a province sees its own
        facets = self.store.participation_facets(edition_id, province)
        checkins: dict[str, Any] = {"edition_id": edition_id}
        if province:
            checkins["participation_id"] = {"$in": [p["_id"] for p in self.store.find(
                "participations", {"edition_id": edition_id, "org.province_2025": province}, projection={"_id": 1})]}
        return {
            "edition_id": edition_id, "for_province": province,
            **{name: {(row["_id"] or "none"): row["n"] for row in rows} for name, rows in facets.items()},
            "places": self.store.capacity_of(edition_id),
            "checked_in": len(self.store.find("checkins", checkins, projection={"_id": 1})),
        }

    # -- check-in --------------------------------------------------------------------------

    @rpc
    def badge(self, actor: dict | None, participation_id: str, delegate_id: str) -> dict:
        """The QR payload for one delegate's badge: ids and a signature, no personal data."""
        principal = _principal(actor)
        participation = self._participation(participation_id)
        edition = self.store.get("editions", participation["edition_id"])
        if not (access.acts_for(principal, participation["organisation_id"]) or access.organises(principal, edition)):
            raise NotFound("No such registration.", code="participation_not_found")
        if participation["status"] != "approved":
            raise Conflict("Only approved registrations get badges.", code="not_approved")
        org = self._organisation(participation["organisation_id"])
        if delegate_id not in (org.get("delegates") or {}):
            raise NotFound("No such delegate in this organisation.", code="delegate_not_found")
        token = make_qr_token(_qr_secret(), edition["_id"], participation_id, delegate_id)
        return {"qr": token, "edition_id": edition["_id"], "participation_id": participation_id,
                "delegate_id": delegate_id}

    @rpc
    def check_in(self, actor: dict | None, payload: dict) -> dict:
        """Scan a badge at a gate; scanning it again returns the first check-in."""
        data = load(CheckInIn, payload)
        try:
            claims = read_qr_token(_qr_secret(), data["token"])
        except InvalidQrToken as exc:
            raise InvalidInput("This badge is not valid.", errors=[
                field_error("token", f"qr_{exc.reason}", "The QR code is not a valid ketnoi badge.")]) from None
        principal = _principal(actor)
        edition = self._edition(principal, claims.edition_id)
        access.require_organiser(principal, edition)
        participation = self._participation(claims.participation_id)
        if participation["status"] != "approved":
            raise Conflict("This registration is not approved (any more).", code="not_approved",
                           extra={"status": participation["status"]})
        checkin = {"_id": f"{claims.edition_id}:{claims.delegate_id}", "edition_id": claims.edition_id,
                   "participation_id": claims.participation_id, "delegate_id": claims.delegate_id,
                   "gate": data["gate"], "at": now()}
        record, first = self.store.record_checkin(checkin, ev.checkin_recorded(checkin))
        if first:
            CHECKINS.labels(claims.edition_id).inc()
        return {**views.checkin(record), "first_scan": first}

    # -- housekeeping ------------------------------------------------------------------------

    @timer(interval=30)
    def reconcile_places(self) -> None:
        """Release places held by approvals that never completed (a crash between the two writes)."""
        self.store.when_changed(_PLACES, self._reconcile_places)

    def _reconcile_places(self) -> None:
        """Each place marked pending a minute ago: confirmed if its participation is approved, else freed."""
        for edition_id, role, pid in list(self.store.stale_holders()):
            participation = self.store.get("participations", pid)
            if participation is not None and participation["status"] == "approved":
                self.store.confirm_place(edition_id, role, pid)  # the approval was written, its confirmation not
            elif self.store.free_place(edition_id, role, pid):
                log.warning("released a stale place of %s in %s/%s", pid, edition_id, role)
                self._promote_waitlisted(edition_id, role)

    @timer(interval=30)
    def refresh_gauges(self) -> None:
        self.store.when_changed(_GAUGES, lambda: refresh_participation_gauges(self.store))
