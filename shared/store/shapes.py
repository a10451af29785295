"""Query shapes: a store call with its values replaced by their types.

``{"_id": "par_1", "version": 3}`` and ``{"_id": "par_2", "version": 4}`` are
one shape, ``{"_id": "<str>", "version": "<int>"}``.  The door records the
shape of every call it passes when ``KETNOI_STORE_SHAPES`` names a
directory (one JSON line per new shape and process); each store keeps the
catalogue of its shapes in ``queries.yaml`` beside it, which the
differential contract runs on the embedded store and on an independent
implementation of MongoDB, and which a test holds to what was recorded.

What stays literal is what changes the meaning, not the data: operator names,
field paths (but the keys of maps of ids, which become ``<key>``), ``$exists``
and ``$type`` arguments, projections, sort directions and aggregation stages
other than ``$match`` values.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

LITERAL_OPERATORS = ("$exists", "$type", "$size")
UPDATE_OPERATORS = ("$set", "$setOnInsert", "$unset", "$inc", "$push", "$pull", "$min", "$max")
KEY = "<key>"


def value_shape(value: Any) -> Any:
    """A value's type as a placeholder (lists of scalars as the sorted set of their element types)."""
    if value is None:
        return "<null>"
    if isinstance(value, bool):
        return "<bool>"
    if isinstance(value, int):
        return "<int>"
    if isinstance(value, float):
        return "<float>"
    if isinstance(value, str):
        return "<str>"
    if isinstance(value, datetime):
        return "<date>"
    if isinstance(value, Mapping):
        return "<doc>"
    if isinstance(value, (list, tuple)):
        return [json.loads(s) for s in sorted({json.dumps(value_shape(v)) for v in value})]
    return f"<{type(value).__name__}>"


def path_shape(path: str, maps: Iterable[str]) -> str:
    """``holders.par_1`` → ``holders.<key>`` when ``holders`` is a map of ids."""
    parts = path.split(".")
    maps = set(maps)
    for i in range(len(parts) - 1):
        if ".".join(parts[: i + 1]) in maps:
            parts[i + 1] = KEY
    return ".".join(parts)


def filter_shape(query: Any, maps: Iterable[str]) -> Any:
    if not isinstance(query, Mapping):
        return value_shape(query)
    out: dict[str, Any] = {}
    for key, value in query.items():
        if key in ("$and", "$or", "$nor"):
            out[key] = [filter_shape(branch, maps) for branch in value]
        elif key.startswith("$"):
            out[key] = (
                value
                if key in LITERAL_OPERATORS
                else (filter_shape(value, maps) if key in ("$elemMatch", "$not") else value_shape(value))
            )
        elif isinstance(value, Mapping) and value and all(k.startswith("$") for k in value):
            out[path_shape(key, maps)] = filter_shape(value, maps)
        else:
            out[path_shape(key, maps)] = value_shape(value)
    return out


def update_shape(update: Mapping[str, Any], maps: Iterable[str]) -> dict[str, Any]:
    return {op: {path_shape(path, maps): value_shape(v) for path, v in fields.items()} for op, fields in update.items()}


def pipeline_shape(pipeline: Iterable[Mapping[str, Any]], maps: Iterable[str]) -> list[dict[str, Any]]:
    out = []
    for stage in pipeline:
        ((name, spec),) = stage.items()
        if name == "$match":
            spec = filter_shape(spec, maps)
        elif name == "$facet":
            spec = {facet: pipeline_shape(stages, maps) for facet, stages in spec.items()}
        out.append({name: spec})
    return out


def shape_of(op: str, parts: Mapping[str, Any], maps: Iterable[str]) -> dict[str, Any]:
    """The catalogue entry for one call (empty parts left out)."""
    entry: dict[str, Any] = {"op": op}
    if parts.get("filter") is not None:
        entry["filter"] = filter_shape(parts["filter"], maps)
    if parts.get("update") is not None:
        entry["update"] = update_shape(parts["update"], maps)
    if parts.get("pipeline") is not None:
        entry["pipeline"] = pipeline_shape(parts["pipeline"], maps)
    if parts.get("projection"):
        entry["projection"] = {path_shape(k, maps): v for k, v in dict(parts["projection"]).items()}
    if parts.get("sort"):
        entry["sort"] = [[path_shape(k, maps), d] for k, d in parts["sort"]]
    if parts.get("limit"):
        entry["limit"] = "<int>"
    if parts.get("upsert"):
        entry["upsert"] = True
    if parts.get("polling"):
        entry["polling"] = parts["polling"]  # the collection: its plan is checked with that store's indexes
    if parts.get("after") is False:
        entry["after"] = False
    return entry


def key_of(entry: Mapping[str, Any]) -> str:
    """A canonical text for comparing shapes (the catalogue's ``used_by`` and notes are not part of it)."""
    return json.dumps(
        {k: v for k, v in entry.items() if k not in ("used_by", "note")}, sort_keys=True, ensure_ascii=False
    )


ROOT = Path(__file__).resolve().parents[2]
# provider.py: the base store's helpers (a page of a list) send on behalf of the service that calls them
_PLUMBING = {str(Path(__file__).with_name(name)) for name in ("door.py", "shapes.py", "provider.py")}


def catalogue_of(module: Path) -> Path | None:
    """Where the shapes sent from ``module`` are catalogued: ``queries.yaml`` beside a service's store, or
    ``shared/store/queries.yaml``; None for callers that are not the project's code (tests, tools)."""
    try:
        rel = module.resolve().relative_to(ROOT)
    except ValueError:
        return None
    if rel.parts[:2] == ("shared", "store"):
        return ROOT / "shared" / "store" / "queries.yaml"
    if rel.parts[0] == "services" and len(rel.parts) >= 4:
        return ROOT / rel.parts[0] / rel.parts[1] / rel.parts[2] / "queries.yaml"
    return None


class ShapeRecorder:
    """Appends each new shape this process sends to ``<dir>/<pid>.jsonl``, with the catalogue it belongs to
    (found from the module that called the door)."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def note(self, op: str, parts: Mapping[str, Any], maps: Iterable[str]) -> None:
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename in _PLUMBING:
            frame = frame.f_back
        catalogue = catalogue_of(Path(frame.f_code.co_filename)) if frame is not None else None
        if catalogue is None:
            return
        entry = {"catalogue": str(catalogue.relative_to(ROOT)), **shape_of(op, parts, maps)}
        key = json.dumps(entry, sort_keys=True, ensure_ascii=False)
        if key in self._seen:
            return
        with self._lock:
            self._seen.add(key)
            with open(self.directory / f"{os.getpid()}.jsonl", "a", encoding="utf-8") as out:
                out.write(key + "\n")


_recorder: ShapeRecorder | None = None


def recorder_from_environment() -> ShapeRecorder | None:
    """One recorder per process when ``KETNOI_STORE_SHAPES`` is set (tests), none otherwise."""
    global _recorder
    directory = os.environ.get("KETNOI_STORE_SHAPES")
    if not directory:
        return None
    if _recorder is None or _recorder.directory != Path(directory):
        _recorder = ShapeRecorder(directory)
    return _recorder


def load_catalogue(path: Path) -> list[dict[str, Any]]:
    """The shapes a store may send, from its ``queries.yaml``."""
    return list(yaml.safe_load(path.read_text(encoding="utf-8")).get("queries") or [])


def recorded(directory: Path) -> dict[str, list[dict[str, Any]]]:
    """Every shape recorded under ``directory``, by catalogue file (relative to the project)."""
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            catalogue = entry.pop("catalogue")
            found.setdefault(catalogue, {})[key_of(entry)] = entry
    return {catalogue: list(entries.values()) for catalogue, entries in found.items()}
