"""Who may read a province's feed and manage its webhooks: that province, ops, and organisers (feed only).

A province token may name a pre-2025 unit; it counts as its 2025 successor,
the unit its events are routed to.
"""

from __future__ import annotations

from typing import Any

from shared.auth import Principal, require, signed_in
from shared.errors import Forbidden, NotFound
from shared.reference.provinces import successor

ALL = "*"  # a webhook's scope when it takes every province's events (ops, a national partner)


def _own_province(principal: Principal) -> str:
    return successor(principal.province or "")


def feed_reader(actor: dict[str, Any] | None, province: str) -> None:
    principal = require(Principal.from_dict(actor), "province", "ops", "organiser")
    if principal.role == "province" and _own_province(principal) != province:
        raise Forbidden("A province reads only its own events.", code="other_province")


def webhook_scope(actor: dict[str, Any] | None, asked: str | None) -> str:
    """The province a new webhook takes events of: a province's own; ops names one, or none for all."""
    principal = require(Principal.from_dict(actor), "province", "ops")
    if principal.role == "ops":
        return successor(asked) if asked else ALL
    own = _own_province(principal)
    if asked and successor(asked) != own:
        raise Forbidden("A province registers webhooks for its own events only.", code="other_province")
    return own


def webhook_owner(actor: dict[str, Any] | None, webhook: dict[str, Any] | None) -> dict[str, Any]:
    principal = signed_in(actor)
    if webhook is None:
        raise NotFound("No such webhook.", code="webhook_not_found")
    if principal.role == "ops":
        return webhook
    if principal.role != "province" or webhook["province"] != _own_province(principal):
        raise Forbidden("This webhook belongs to someone else.", code="other_province")
    return webhook
