"""Problem titles and field messages in Vietnamese and English, by stable code.

Services explain in English with a code; the tables in ``messages.yaml`` let
the gateway answer in the caller's language (a translator edits that file, not
code).  Codes missing there fall back to the English text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"

_TABLES = yaml.safe_load((Path(__file__).with_name("messages.yaml")).read_text(encoding="utf-8"))
TITLES: dict[str, dict[str, str]] = _TABLES["titles"]
FIELD_MESSAGES: dict[str, dict[str, str]] = _TABLES["field_messages"]
UNPLACED_HINTS: dict[str, dict[str, str]] = _TABLES["unplaced_hints"]


def pick_language(accept_language: str | None) -> str:
    """The first of vi/en the client prefers (RFC 9110 q-values), Vietnamese by default."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    ranked = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and q > 0:
            ranked.append((-q, position, primary))
    return min(ranked)[2] if ranked else DEFAULT_LANGUAGE


def title(code: str, language: str, fallback: str) -> str:
    return TITLES.get(code, {}).get(language) or fallback


def field_message(error: dict[str, Any], language: str) -> str:
    template = FIELD_MESSAGES.get(error.get("code", ""), {}).get(language)
    if template is None:
        return error.get("message", "")
    try:
        return template.format(**error.get("params", {}))
    except (KeyError, IndexError):
        return error.get("message", "")


def unplaced_hint(code: str | None, language: str) -> str | None:
    """What the parties of a meeting without a place read: why, and what would give it one."""
    return UNPLACED_HINTS.get(code or "", {}).get(language)
