"""Identifiers that sort by creation time and say what they name.

``par_0193a1b2c3d4e5f60718293a`` is a participation created at that
millisecond: cursor pagination by ``_id`` then lists oldest first, and a
support engineer can tell an edition id from an organisation id at a glance.
"""

from __future__ import annotations

import secrets
import time


def new_id(prefix: str) -> str:
    return f"{prefix}_{time.time_ns() // 1_000_000:012x}{secrets.token_hex(6)}"
