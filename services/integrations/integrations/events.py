"""The events integrations consumes (every public type) and the text each is handed out as.

It publishes none of its own: what it does is visible in its delivery log and metrics.
"""

from __future__ import annotations

import json
from typing import Any

from shared.events.catalogue import public_types
from shared.reference.provinces import MERGER_DATE, provinces_on

PUBLIC = tuple(public_types())


def body_of(event: dict[str, Any]) -> str:
    """The CloudEvent as JSON text: the feed's item and the webhook's body are these same bytes."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


def all_provinces() -> list[str]:
    """The 34 units since 2025-07-01: where a national event is logged (every province's feed has it)."""
    return sorted(provinces_on(MERGER_DATE))
