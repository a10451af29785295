"""Badges and check-in at the gate.

A badge's QR code carries ids and a signature, no personal data; the key is
derived from the service's secret, so only ketnoi's badges scan.  Scanning a
badge again returns the first check-in (one per delegate and edition, by a
unique id), and only the first counts in the metrics.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from registration import access, views
from registration import events as ev
from registration.domain.checkin import InvalidQrToken, make_qr_token, read_qr_token
from registration.metrics import CHECKINS
from registration.schemas import CheckInIn
from registration.store import RegistrationStore, now
from shared.auth import Principal
from shared.config import settings
from shared.entrypoints import rpc
from shared.errors import Conflict, InvalidInput, NotFound, field_error
from shared.validation import load


def _qr_secret() -> bytes:
    return hashlib.sha256(b"ketnoi-qr:" + settings().jwt_secret.encode()).digest()


class CheckIn:
    store: RegistrationStore
    _edition: Callable[[Principal | None, str], dict[str, Any]]
    _organisation: Callable[[str], dict[str, Any]]
    _participation: Callable[[str], dict[str, Any]]

    @rpc
    def badge(self, actor: dict | None, participation_id: str, delegate_id: str) -> dict:
        """The QR payload for one delegate's badge: ids and a signature, no personal data."""
        principal = access.principal_of(actor)
        participation = self._participation(participation_id)
        edition = self.store.get("editions", participation["edition_id"])
        access.require_sees_participation(principal, participation, edition)
        if participation["status"] != "approved":
            raise Conflict("Only approved registrations get badges.", code="not_approved")
        org = self._organisation(participation["organisation_id"])
        if delegate_id not in (org.get("delegates") or {}):
            raise NotFound("No such delegate in this organisation.", code="delegate_not_found")
        token = make_qr_token(_qr_secret(), edition["_id"], participation_id, delegate_id)
        return {
            "token": token,
            "edition_id": edition["_id"],
            "participation_id": participation_id,
            "delegate_id": delegate_id,
        }

    @rpc
    def check_in(self, actor: dict | None, payload: dict) -> dict:
        """Scan a badge at a gate; scanning it again returns the first check-in."""
        data = load(CheckInIn, payload)
        try:
            claims = read_qr_token(_qr_secret(), data["token"])
        except InvalidQrToken as exc:
            raise InvalidInput(
                "This badge is not valid.",
                errors=[field_error("token", f"qr_{exc.reason}", "The QR code is not a valid ketnoi badge.")],
            ) from None
        principal = access.principal_of(actor)
        edition = self._edition(principal, claims.edition_id)
        access.require_organiser(principal, edition)
        participation = self._participation(claims.participation_id)
        if participation["status"] != "approved":
            raise Conflict(
                "This registration is not approved (any more).",
                code="not_approved",
                extra={"status": participation["status"]},
            )
        checkin = {
            "_id": f"{claims.edition_id}:{claims.delegate_id}",
            "edition_id": claims.edition_id,
            "participation_id": claims.participation_id,
            "delegate_id": claims.delegate_id,
            "gate": data["gate"],
            "at": now(),
        }
        record, first = self.store.record_checkin(checkin, ev.checkin_recorded(checkin))
        if first:
            CHECKINS.labels(claims.edition_id).inc()
        return {**views.checkin(record, edition["timezone"]), "first_scan": first}
