"""The registration service: conference series and editions, organisations, and their registrations.

It owns who takes part in an edition (a registration's status, its place
within the role's limit, its badges and check-ins) and announces every change
through its outbox; the other services learn registration's facts only from
those events.  Every RPC takes the caller's principal (a dict from the
gateway's verified token, or None for the public) first, validates its
arguments with :mod:`registration.schemas`, and raises only
:mod:`shared.errors` types for anything the caller can fix.

The entrypoints are grouped by feature in :mod:`registration.features` (one
mixin each, listed below); this class holds the service's name, its
dependency providers, and the lookups several features share.  Who may do
what is :mod:`registration.access`; rules without I/O are in
:mod:`registration.domain`.
"""

from __future__ import annotations

from typing import Any

# feature mixins imported as modules: `nameko run registration.service` runs every class here with entrypoints
from registration import access
from registration.features import (
    checkin,
    claims,
    editions,
    forms,
    listings,
    open_data,
    organisations,
    participations,
    reference,
    upkeep,
)
from registration.store import COLLECTIONS, RegistrationStore
from shared.auth import Principal
from shared.context import RequestContext
from shared.entrypoints import rpc
from shared.errors import NotFound
from shared.events.outbox import OutboxRelay
from shared.metrics import ServiceMetrics
from shared.store import Store


class RegistrationService(
    editions.Editions,
    organisations.Organisations,
    forms.Forms,
    claims.Claims,
    participations.Participations,
    listings.Listings,
    checkin.CheckIn,
    reference.Reference,
    open_data.OpenData,
    upkeep.Upkeep,
):
    name = "registration"

    store = Store("registration", RegistrationStore)
    relay = OutboxRelay("registration", COLLECTIONS)
    metrics = ServiceMetrics()
    request_id = RequestContext()

    @rpc
    def ping(self) -> dict[str, bool]:
        return {"store": self.store.ping()}

    # -- lookups every feature needs: a 404 with the API's code when missing (or not visible) -------------

    def _edition(self, principal: Principal | None, edition_id: str) -> dict[str, Any]:
        return access.require_visible(principal, self.store.get("editions", edition_id))

    def _organisation(self, organisation_id: str) -> dict[str, Any]:
        org = self.store.get("organisations", organisation_id)
        if org is None or org.get("state") == "pending":  # a registration still on its way shows nothing yet
            raise NotFound("No such organisation.", code="organisation_not_found")
        return org

    def _participation(self, participation_id: str) -> dict[str, Any]:
        found = self.store.get("participations", participation_id)
        if found is None:
            raise NotFound("No such registration.", code="participation_not_found")
        return found

    def _registration_of(self, edition_id: str, organisation_id: str) -> dict[str, Any] | None:
        """The organisation's registration for the edition, if any (a form and a claim both look first)."""
        found = self.store.find(
            "participations", {"edition_id": edition_id, "organisation_id": organisation_id}, limit=1
        )
        return found[0] if found else None
