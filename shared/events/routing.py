"""Routing keys of public events on ``ketnoi.public``: ``<province>.<event type>``.

A province's credentials may bind only keys that start with its own slug (and
``national.``), so the broker, not the province's goodwill, keeps one
province's registrations, booths and MOUs from another.  The province is
always one of the 34 units that exist since 2025-07-01: an event about an
organisation registered under a pre-2025 unit (``quang-binh``) goes to its
successor (``quang-tri``), so a Department binds one key across editions.

Which province an event concerns is read from its data, as the catalogue's
``routing`` entry for the type says (a field, ``parties[].<field>`` for each
item of a list, or ``national``):

- an event about one organisation is routed to that organisation's province;
- an event naming several provinces (an MOU whose parties come from two
  provinces) is published once per province, each copy the same event with the
  same id: every party's Department gets it, nobody else does, and a consumer
  that binds more than one province (ops) drops the copies by id as it
  already must for redeliveries;
- an event about no province (series, editions, floor plans, sessions, and
  foreign organisations, which have no province) goes to ``national``, which
  every province may bind.  Editions are national although they name a host
  and partner provinces: exhibitors come from everywhere, and every Department
  needs the editions its organisations take part in.
"""

from __future__ import annotations

import logging
from typing import Any

from shared.events.catalogue import NATIONAL, catalogue
from shared.reference.provinces import UnknownProvince, successor

log = logging.getLogger(__name__)


def routing_key(province: str, event_type: str) -> str:
    return f"{province}.{event_type}"


def provinces_of(event_type: str, data: dict[str, Any]) -> list[str]:
    """The 2025 units a public event of ``event_type`` concerns, sorted; empty for a national event."""
    rule = catalogue()[event_type].routing
    if rule in (None, NATIONAL):
        return []
    if rule.startswith("parties[]."):
        field = rule.removeprefix("parties[].")
        named = [(party or {}).get(field) for party in data.get("parties") or []]
    else:
        named = [data.get(rule)]
    return sorted({unit for slug in named if slug for unit in [_unit(slug, event_type)] if unit})


def _unit(slug: str, event_type: str) -> str | None:
    """The 2025 unit of ``slug``; None for a slug no list knows (producers validate provinces, so a bug)."""
    try:
        return successor(slug)
    except UnknownProvince:
        log.warning("%s names unknown province %r: routed as if it named none", event_type, slug)
        return None


def public_routing_keys(event: dict[str, Any]) -> list[str]:
    """The keys ``event`` is published with on ``ketnoi.public``: none for an internal type."""
    spec = catalogue().get(event["type"])
    if spec is None or not spec.public:
        return []
    provinces = provinces_of(event["type"], event.get("data") or {}) or [NATIONAL]
    return [routing_key(p, event["type"]) for p in provinces]
