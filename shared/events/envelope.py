"""CloudEvents 1.0 envelopes, checked against the catalogue when they are built.

Validating at the producer means a schema violation fails the request that
caused it, before anything is written, instead of reaching a province.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from shared.events.catalogue import schema_errors

SPEC_VERSION = "1.0"
DATA_CONTENT_TYPE = "application/json"


def source_of(service: str) -> str:
    """The CloudEvents ``source`` of every event ``service`` produces (its catalogue ``producer``)."""
    return f"/ketnoi/{service}"


class EventSchemaViolation(Exception):
    """A producer tried to emit data its own schema forbids: a bug, not bad input."""


def make_event(
    event_type: str,
    source_service: str,
    subject: str,
    data: dict[str, Any],
    correlation_id: str | None = None,
) -> dict[str, Any]:
    """Build a structured-mode CloudEvent for ``event_type``.

    ``correlationid`` is a CloudEvents extension carrying the ``X-Request-ID``
    of the HTTP request that caused the change, so one id ties logs and
    events together across services.
    """
    problems = schema_errors(event_type, data)
    if problems:
        raise EventSchemaViolation(f"{event_type}: {'; '.join(problems)}")
    event = {
        "specversion": SPEC_VERSION,
        "id": str(uuid.uuid4()),
        "source": source_of(source_service),
        "type": event_type,
        "subject": subject,
        "time": datetime.now(UTC).isoformat(timespec="microseconds"),
        "datacontenttype": DATA_CONTENT_TYPE,
        "data": data,
    }
    if correlation_id:
        event["correlationid"] = correlation_id
    return event
