"""A meeting's identity and its steps on the day (plain rules, no I/O).

The id is derived from the pair, so a second request for the same two in a
session is a duplicate by construction rather than by a lookup; the live
steps say which status a scheduled meeting may move to on the day.
"""

from __future__ import annotations

import hashlib

# who may move a live meeting to which status
LIVE_STEPS = {
    None: {"checked_in", "in_progress", "done", "no_show"},
    "checked_in": {"in_progress", "done", "no_show"},
    "in_progress": {"done"},
    "done": {"done"},
    "no_show": {"checked_in", "in_progress", "done"},
}


def meeting_id(session_id: str, supplier: str, buyer: str) -> str:
    """One meeting per supplier and buyer in a session: the id itself makes a second request a duplicate."""
    return "mtg_" + hashlib.sha256(f"{session_id}|{supplier}|{buyer}".encode()).hexdigest()[:20]


def may_become(previous: str | None, status: str) -> bool:
    """Whether a meeting whose live status is ``previous`` (None: not started) may become ``status``."""
    return status in LIVE_STEPS[previous]
