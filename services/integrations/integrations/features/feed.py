"""Each province's history as an HTTP feed: ordered, complete from the first event, resumable by cursor."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from integrations import access
from integrations.events import all_provinces
from integrations.schemas import FeedQuery
from integrations.store import IntegrationsStore
from shared import cursors
from shared.entrypoints import rpc
from shared.errors import NotFound
from shared.timestamps import from_text
from shared.validation import load

# A writer reserves a number, then inserts its entry: for this long a missing number may still come, so a
# page stops before it (or a reader would pass it for ever); after that it was a writer that died.
GAP_WAIT = timedelta(seconds=10)


class Feed:
    store: IntegrationsStore

    @rpc
    def province_events(self, actor: dict | None, province: str, query: dict) -> dict[str, Any]:
        """The province's events after ``after`` (none: from the first), as published, oldest first."""
        if province not in all_provinces():
            raise NotFound("No such province (the 34 units since 2025-07-01).", code="province_not_found")
        access.feed_reader(actor, province)
        asked = load(FeedQuery, query)
        scope = f"feed:{province}"
        after = int(cursors.position_of(asked["after"], scope)) if asked.get("after") else 0
        rows = self._settled(province, after, self.store.entries(province, after, asked["limit"]))
        next_cursor = cursors.issue(str(rows[-1]["seq"]), scope) if rows else asked.get("after")
        return {"items": [json.loads(r["body"]) for r in rows], "next_cursor": next_cursor}

    def _settled(self, province: str, after: int, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``rows`` up to the first number a writer may still be inserting: a cursor never skips an entry."""
        expected = after + 1
        for i, row in enumerate(rows):
            if row["seq"] != expected and self._writing(province):
                return rows[:i]
            expected = row["seq"] + 1
        return rows

    def _writing(self, province: str) -> bool:
        counter = self.store.counter(province) or {}
        reserved = counter.get("reserved_at")
        return isinstance(reserved, str) and datetime.now(UTC) - from_text(reserved) < GAP_WAIT
