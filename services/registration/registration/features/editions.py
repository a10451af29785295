"""Conference series and their editions: creating and changing them, their status, their places per role.

An edition's places are mirrored where approvals take them (the store's
``capacity``); a change of the places marks the edition ``capacity_due`` in
the same write, so a crash before they are mirrored is finished by
:mod:`registration.features.upkeep`.  Whether an edition takes a
registration now (:meth:`Editions._open_edition`) lives here with the cache
of open editions that every public registration reads.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from registration import access, views
from registration import events as ev
from registration.domain.editions import places
from registration.domain.workflow import IllegalTransition, check_edition_transition
from registration.schemas import EditionBody, EditionIn, EditionQuery, SeriesIn, StatusChange
from registration.store import Duplicate, RegistrationStore, now, version_guard
from shared import pages
from shared.auth import Principal
from shared.entrypoints import rpc
from shared.errors import Conflict, InvalidInput, NotFound, PreconditionFailed, field_error
from shared.ids import new_id
from shared.recent import Recent
from shared.timestamps import to_text
from shared.validation import load, schema_of

NEWEST_FIRST = pages.Order((("starts_on", -1), ("_id", -1)))
# Every public registration reads its edition; editions change a few times a year.  A status
# change made on another replica reaches this one's registration form within this many seconds
# (the window's dates are compared with the clock on every call, so closing on time is exact).
EDITION_CACHE_SECONDS = 2.0
_OPEN_EDITIONS = Recent(EDITION_CACHE_SECONDS)


class Editions:
    store: RegistrationStore
    _edition: Callable[[Principal | None, str], dict[str, Any]]
    _promote_waitlisted: Callable[[str, str], None]

    @rpc
    def create_series(self, actor: dict | None, payload: dict) -> dict:
        access.require_ops(access.principal_of(actor), "Only ops create a conference series.")
        data = load(SeriesIn, payload)
        series = {"_id": data["key"], "name": data["name"], "version": 1, "created_at": now()}
        try:
            self.store.insert("series", series, ev.series_created(series))
        except Duplicate:
            raise Conflict(
                "A series with this key exists.", code="series_exists", extra={"existing_id": data["key"]}
            ) from None
        return views.series(series)

    @rpc
    def get_series(self, series_id: str) -> dict:
        series = self.store.get("series", series_id)
        if series is None:
            raise NotFound("No such series.", code="series_not_found")
        return views.series(series)

    @rpc
    def list_series(self, query: dict | None = None) -> dict:
        wanted = pages.requested(query, "series")
        return self.store.page("series", {}, wanted).answer(views.series)

    @rpc
    def create_edition(self, actor: dict | None, payload: dict) -> dict:
        principal = access.principal_of(actor)
        data = load(EditionIn, payload)
        series = self.store.get("series", data["series_id"])
        if series is None:
            raise InvalidInput("Unknown series.", errors=[field_error("series_id", "unknown", "No such series.")])
        access.require_organiser(principal, {"series_id": series["_id"]})
        edition = self._edition_document(data)
        edition.update(_id=new_id("ed"), series_id=series["_id"], status="draft", version=1, created_at=now())
        # the places first: an edition cut off after its insert would otherwise take unlimited approvals
        self.store.set_capacity(edition["_id"], places(edition["capacity"]))
        self.store.insert("editions", edition, ev.edition_created(edition))
        return views.edition(edition, self.store.capacity_of(edition["_id"]))

    def _load_change(self, payload: Any, current: dict[str, Any]) -> dict[str, Any]:
        """A change to an edition, checked twice and answered once: what was sent, alone (its errors name what the
        caller sent, not a stored field that a newer rule would refuse), and the edition it makes, whole (rules
        across fields: a last day sent before the stored first day)."""
        errors: list[dict[str, Any]] = []
        try:
            load(EditionBody, payload, partial=True)
        except InvalidInput as exc:
            if exc.code == "body_not_object":
                raise
            errors = exc.errors
        shown = views.edition(current)
        merged = {**{k: shown[k] for k in schema_of(EditionBody).fields if shown.get(k) is not None}, **payload}
        try:
            data = load(EditionBody, merged)
        except InvalidInput as exc:
            errors += [e for e in exc.errors if e not in errors]
        if errors:
            raise InvalidInput("Some fields are not valid.", errors=errors)
        return data

    @staticmethod
    def _edition_document(data: dict[str, Any]) -> dict[str, Any]:
        """Shape for storage (the schema checked the provinces as of the edition's first day)."""
        first_day: date = data["starts_on"]
        programme = {
            item.pop("key"): {**item, "starts_at": to_text(item["starts_at"]), "ends_at": to_text(item["ends_at"])}
            for item in data.pop("programme")
        }
        return {
            **data,
            "starts_on": first_day.isoformat(),
            "ends_on": data["ends_on"].isoformat(),
            "registration_opens_at": to_text(data["registration_opens_at"]),
            "registration_closes_at": to_text(data["registration_closes_at"]),
            "programme": programme,
        }

    @rpc
    def get_edition(self, actor: dict | None, edition_id: str) -> dict:
        edition = self._edition(access.principal_of(actor), edition_id)
        return views.edition(edition, self.store.capacity_of(edition_id))

    @rpc
    def list_editions(self, actor: dict | None, query: dict | None = None) -> dict:
        """Newest first; drafts only for their organisers."""
        principal = access.principal_of(actor)
        params = load(EditionQuery, query or {})
        mongo = {
            **access.visible_editions(principal),
            **({"series_id": params["series_id"]} if params.get("series_id") else {}),
        }
        wanted = pages.wanted(params, "editions", NEWEST_FIRST)
        return self.store.page("editions", mongo, wanted).answer(views.edition)

    @rpc
    def update_edition(self, actor: dict | None, edition_id: str, expected_version: int | None, payload: dict) -> dict:
        """``expected_version`` None: whatever version is current (``If-Match: *``)."""
        principal = access.principal_of(actor)
        current = self._edition(principal, edition_id)
        access.require_organiser(principal, current)
        data = self._edition_document(self._load_change(payload, current))
        changed = [k for k in payload if data.get(k) != current.get(k)]
        updated = self.store.update_versioned(
            "editions",
            edition_id,
            version_guard(expected_version),
            {**data, "capacity_due": now()},
            lambda after: [ev.edition_updated(after, changed)],
        )
        _OPEN_EDITIONS.forget(edition_id)
        if updated is None:
            raise PreconditionFailed(
                "The edition was changed by someone else; reload it.",
                extra={"current_version": self._current_version("editions", edition_id)},
            )
        self._apply_capacity(updated)
        return views.edition(updated, self.store.capacity_of(edition_id))

    def _apply_capacity(self, edition: dict[str, Any]) -> None:
        """The edition's places, mirrored where approvals take them, then the waitlist's chance at new ones.

        The edition's update marks it ``capacity_due``; the mark goes once the
        places are written, so a crash between is finished by ``finish_cut_off_work``.
        """
        limits = places(edition["capacity"])
        self.store.set_capacity(edition["_id"], limits, promotion_due=True)
        self.store.unmark("editions", edition["_id"], "capacity_due", edition["capacity_due"])
        for role in limits:  # a role that lost its limit has free places too
            self._promote_waitlisted(edition["_id"], role)

    def _current_version(self, collection: str, doc_id: str) -> int | None:
        doc = self.store.get(collection, doc_id)
        return doc["version"] if doc else None

    @rpc
    def set_edition_status(
        self, actor: dict | None, edition_id: str, expected_version: int | None, payload: dict
    ) -> dict:
        principal = access.principal_of(actor)
        target = load(StatusChange, payload)["status"]
        current = self._edition(principal, edition_id)
        access.require_organiser(principal, current)
        try:
            check_edition_transition(current["status"], target)
        except IllegalTransition as exc:
            raise Conflict(
                str(exc), code="illegal_transition", extra={"status": current["status"], "target": target}
            ) from None
        expected = {"status": current["status"]}
        if expected_version is not None:
            expected["version"] = expected_version
        updated = self.store.update_versioned(
            "editions",
            edition_id,
            expected,
            {"status": target},
            lambda after: [ev.edition_status_changed(after, current["status"])],
        )
        _OPEN_EDITIONS.forget(edition_id)
        if updated is None:
            raise PreconditionFailed("The edition was changed by someone else; reload it.")
        return views.edition(updated, self.store.capacity_of(edition_id))

    def _open_edition(self, principal: Principal | None, edition_id: str) -> dict[str, Any]:
        """The edition, if it takes this caller's registration now.

        The public may register while the edition is open and inside its
        window; its organisers may add registrations at any time before the
        edition is finished (late entries by phone, delegations from partner
        provinces).
        """
        edition = access.require_visible(
            principal, _OPEN_EDITIONS.get(edition_id, lambda key: self.store.get("editions", key))
        )
        if access.organises(principal, edition):
            if edition["status"] == "finished":
                raise Conflict(
                    "This edition is finished.", code="registration_closed", extra={"status": edition["status"]}
                )
            return edition
        moment = now()
        if edition["status"] != "open" or not (
            edition["registration_opens_at"] <= moment <= edition["registration_closes_at"]
        ):
            raise Conflict(
                "Registration for this edition is not open.",
                code="registration_closed",
                extra={
                    "status": edition["status"],
                    "opens_at": edition["registration_opens_at"],
                    "closes_at": edition["registration_closes_at"],
                },
            )
        return edition
