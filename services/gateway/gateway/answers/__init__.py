"""What the API answers, one module per area: the response schemas of the OpenAPI document.

A generated client types every success body from these, and schemathesis checks every answer against them
(tests/e2e/test_api_fuzz.py), so a field a service adds or renames fails there until it is described here.
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields

# RFC 3339 with at most milliseconds: the edition's offset (people) or Z (machines).  The patterns are in the
# document, so the e2e client's contract check (tests/support/contract.py) holds every answer it meets to them.
_SECONDS = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?"
LOCAL_TIME = _SECONDS + r"[+-]\d{2}:\d{2}$"
UTC_TIME = _SECONDS + r"Z$"


def local_time(description: str = "", **kwargs: Any) -> fields.String:
    """A people-facing moment (submitted, decided, sent, starts): RFC 3339 in the edition's offset (``+07:00``)."""
    text = "RFC 3339 in the edition's offset (+07:00)"
    return fields.String(
        metadata={"description": f"{description} ({text})" if description else text, "pattern": LOCAL_TIME},
        **kwargs,
    )


def utc_time(description: str = "", **kwargs: Any) -> fields.String:
    """A machine-facing moment (an event's time, a webhook attempt, an expiry a program compares): RFC 3339, UTC."""
    text = "RFC 3339, UTC (Z)"
    return fields.String(
        metadata={"description": f"{description} ({text})" if description else text, "pattern": UTC_TIME},
        **kwargs,
    )
