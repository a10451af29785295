"""An edition's open data, registration's part: who took part, counted (see :mod:`shared.open_data`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from registration import access
from registration.domain.open_data import participants, published
from registration.store import RegistrationStore
from shared.entrypoints import rpc
from shared.errors import Conflict


class OpenData:
    store: RegistrationStore
    _edition: Callable[..., dict[str, Any]]

    @rpc
    def open_data(self, actor: dict | None, edition_id: str) -> dict:
        """Anyone once the edition is over; organisers, ops and provinces before (a preview).  The gateway
        asks this first: registration owns the edition's dates and status, so it decides publication."""
        principal = access.principal_of(actor)
        edition = self._edition(principal, edition_id)
        today = datetime.now(ZoneInfo(edition["timezone"])).date()
        is_public = published(edition, today)
        early = principal is not None and (principal.role == "province" or access.organises(principal, edition))
        if not is_public and not early:
            raise Conflict(
                "An edition's open data is published after its last day.",
                code="open_data_not_yet",
                extra={"published_after": edition["ends_on"]},
            )
        rows = self.store.find(
            "participations", {"edition_id": edition_id}, projection={"status": 1, "role": 1, "org": 1}
        )
        return {
            "edition_id": edition_id,
            "published": is_public,
            "published_after": edition["ends_on"],
            "participants": participants(rows),
        }
