"""Each province's history as an HTTP feed: ordered, complete from the first event, resumable by cursor."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from integrations import access
from integrations.events import all_provinces
from integrations.schemas import FeedQuery
from integrations.store import IntegrationsStore
from shared.entrypoints import rpc
from shared.errors import NotFound
from shared.pages import Order, position_of, sign
from shared.timestamps import from_text
from shared.validation import load

# A writer reserves a number, then inserts its entry: for this long a missing number may still come, so a
# page stops before it (or a reader would pass it for ever); after that it was a writer that died.
GAP_WAIT = timedelta(seconds=10)


# A feed's cursor is signed like every list's (shared.pages), but a feed never ends: the last page's cursor is
# where the next poll starts, so next_cursor is never null once there is an event.
FEED = Order((("seq", 1), ("_id", 1)))


def feed_scope(province: str) -> str:
    return f"feed:{province}"


def feed_position(province: str, cursor: str | None) -> int:
    """The sequence number a feed cursor of ``province`` names (0: from the first event); 400 for a cursor the
    API did not issue for this feed."""
    return int(position_of(cursor, feed_scope(province), FEED)[0]) if cursor else 0


class Feed:
    store: IntegrationsStore

    @rpc
    def province_events(self, actor: dict | None, province: str, query: dict) -> dict[str, Any]:
        """The province's events after ``after`` (none: from the first), as published, oldest first."""
        if province not in all_provinces():
            raise NotFound("No such province (the 34 units since 2025-07-01).", code="province_not_found")
        access.feed_reader(actor, province)
        asked = load(FeedQuery, query)
        after = feed_position(province, asked.get("after"))
        rows = self._settled(province, after, self.store.entries(province, after, asked["limit"]))
        next_cursor = sign(FEED.key(rows[-1]), feed_scope(province), FEED) if rows else asked.get("after")
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
