"""An edition's open data, the meetings' part: B2B meetings and MOUs, counted (see :mod:`shared.open_data`)."""

from __future__ import annotations

from typing import Any

from meetings import views
from meetings.store import MeetingsStore
from shared.entrypoints import rpc
from shared.open_data import tally
from shared.reference.provinces import rollup


def _province(party: dict[str, Any]) -> str | None:
    return rollup(party["province"]) if party.get("province") and (party.get("country") or "VN") == "VN" else None


class OpenData:
    store: MeetingsStore

    @rpc
    def open_data(self, edition_id: str) -> dict:
        """Sessions; meetings by status, by what happened on the day, by the supplier's 2025 province and the
        buyer's country; MOUs by sector, province and country with their values per currency.  Registration
        decides when they are published (the gateway asks it first)."""
        meetings = self.store.meetings({"edition_id": edition_id})
        placed = [m for m in meetings if m["status"] == "accepted" and m.get("slot")]
        return {
            "sessions": len(self.store.sessions(edition_id)),
            "meetings": {
                "total": len(meetings),
                **tally(meetings, {"by_status": lambda m: m["status"]}),
                "scheduled": len(placed),
                **tally(
                    placed,
                    {
                        "by_outcome": lambda m: m.get("live") or "not_recorded",
                        "by_supplier_province": lambda m: _province(m["supplier"]),
                        "by_buyer_country": lambda m: m["buyer"].get("country") or "VN",
                    },
                ),
            },
            "mous": _mous(views.mou_stats(self.store.mous(edition_id))),
        }


def _mous(stats: dict[str, Any]) -> dict[str, Any]:
    """The MOU statistics as counts, with the total value per currency (never converted) beside them."""
    return {
        "total": stats["total"]["count"],
        "value_by_currency": stats["total"]["value"],
        **{
            group: {key: entry["count"] for key, entry in stats[group].items()}
            for group in ("by_sector", "by_province", "by_country")
        },
    }
