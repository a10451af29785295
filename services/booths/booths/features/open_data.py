"""An edition's open data, the booths' part: the floor, counted (see :mod:`shared.open_data`)."""

from __future__ import annotations

from typing import Any

from booths.store import BoothsStore
from shared.entrypoints import rpc
from shared.open_data import tally
from shared.reference.provinces import rollup


def _status(booth: dict[str, Any]) -> str:
    return "taken" if booth.get("holder") else ("on_offer" if booth.get("offer") else "free")


class OpenData:
    store: BoothsStore

    @rpc
    def open_data(self, edition_id: str) -> dict:
        """Booths by status, zone, kind and quota group, taken ones by the holder's 2025 province: aggregates
        of organisations only.  Registration decides when they are published (the gateway asks it first);
        an edition without a floor plan has no booths, not an error."""
        booths = self.store.booths(edition_id)
        taken = [b for b in booths if b.get("holder")]
        return {
            "total": len(booths),
            **tally(
                booths, {"by_status": _status, "by_zone": lambda b: b.get("zone"), "by_kind": lambda b: b.get("kind")}
            ),
            **{
                f"taken_{name}": counts
                for name, counts in tally(
                    taken,
                    {
                        "by_quota_group": lambda b: b["holder"].get("quota_group") or "none",
                        "by_province": lambda b: (
                            rollup(b["holder"]["province"]) if b["holder"].get("province") else None
                        ),
                    },
                ).items()
            },
        }
