"""A floor plan written straight into the booths store, as an import does (record, then booths)."""

from __future__ import annotations

from typing import Any

from booths import events as booth_events
from booths.store import BoothsStore

ONE_BOOTH = {
    "code": "A01",
    "zone": "A",
    "size": "standard",
    "kind": "standard",
    "features": ["power"],
    "price_vnd": None,
    "x": 0,
    "y": 0,
    "w": 3,
    "h": 3,
}


def import_booths(store: BoothsStore, edition_id: str, booths: list[dict[str, Any]]) -> None:
    layout: dict[str, list[dict[str, Any]]] = {"halls": [], "zones": []}
    store.stage_floor_plan(
        edition_id, booths, layout, booth_events.floor_plan_imported(edition_id, len(booths), [], [])
    )
    assert store.apply_floor_plan(edition_id)
