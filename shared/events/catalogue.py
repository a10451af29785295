"""The catalogue of event types and their JSON Schemas (``events/`` at the repo root).

One YAML file lists every type with its producer, visibility and schema, and
for a public type the province it is routed to (:mod:`shared.events.routing`);
the schemas are plain JSON Schema files so provinces can validate in any language.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

# A public type's ``routing`` when it concerns no single province, and the first word of its routing key.
NATIONAL = "national"


def catalogue_dir() -> Path:
    """``events/`` beside ``shared/``; overridable for packaged deployments."""
    default = Path(__file__).resolve().parents[2] / "events"
    return Path(os.environ.get("KETNOI_EVENTS_DIR", default))


@dataclass(frozen=True)
class EventType:
    type: str
    producer: str
    public: bool
    schema_file: str
    description: str
    # public types only: the data field naming the province (``parties[].<field>`` for each item of a list),
    # or NATIONAL
    routing: str | None = None


@cache
def catalogue() -> dict[str, EventType]:
    raw = yaml.safe_load((catalogue_dir() / "catalogue.yaml").read_text(encoding="utf-8"))
    return {
        name: EventType(
            type=name,
            producer=spec["producer"],
            public=spec["visibility"] == "public",
            schema_file=spec["schema"],
            description=spec["description"],
            routing=spec.get("routing"),
        )
        for name, spec in raw["events"].items()
    }


@cache
def validator(event_type: str) -> Draft202012Validator:
    spec = catalogue()[event_type]
    schema = json.loads((catalogue_dir() / spec.schema_file).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def schema_errors(event_type: str, data: Any) -> list[str]:
    """Readable schema violations of ``data`` for ``event_type`` (empty when valid)."""
    if event_type not in catalogue():
        return [f"unknown event type {event_type}"]
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in validator(event_type).iter_errors(data)
    ]


def public_types() -> list[str]:
    return sorted(t for t, spec in catalogue().items() if spec.public)
