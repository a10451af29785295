"""Who may read a delivery log or a delegate's preferences: ops, the series' organisers, the organisation."""

from __future__ import annotations

from typing import Any

from notifications.store import NotificationsStore
from shared.auth import Principal, signed_in
from shared.errors import Forbidden, NotFound


def organiser_of(store: NotificationsStore, actor: dict | None, edition_id: str | None) -> Principal:
    """Ops, or an organiser of the edition's series (an edition this service has not heard of is a 404)."""
    principal = signed_in(actor)
    edition: dict[str, Any] | None = store.edition(edition_id) if edition_id else None
    if principal.role == "ops" or (edition and principal.organises(edition["series_id"])):
        return principal
    if edition is None and principal.role != "ops":
        raise NotFound("No such edition (or not known to the notifications service yet).", code="edition_not_found")
    raise Forbidden("Only the organisers of this series may do this.", code="not_organiser")


def member_of(actor: dict | None, organisation_id: str) -> Principal:
    principal = signed_in(actor)
    if not (principal.role == "ops" or principal.is_member_of(organisation_id)):
        raise Forbidden("You may see only your own organisation's messages.", code="not_your_organisation")
    return principal
