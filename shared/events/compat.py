"""Public event types change only by addition within a version:
``python -m shared.events.compat check`` (run by the tests) and ``snapshot VERSION`` (at a release).

Provinces write their consumers against the schemas of a release, in any language, and keep them for years.
``events/released/<version>/`` holds what the last release published: every public type's schema and the
routing of its key on ``ketnoi.public``.  ``check`` holds the current catalogue to it; ``snapshot`` replaces
it with the current public types when a release is cut (and refuses to if ``check`` fails).

Compatible means every ``data`` the released schema accepted is still accepted and still described:

- no released type removed, made internal or routed differently (a queue bound to its key would go quiet);
- no property removed, at any depth, and the ``required`` list unchanged: a newly required property would
  make older events invalid, and a property no longer required is a field consumers rely on that may go
  missing;
- no type, enum or const narrowed (``["string", "null"]`` to ``"string"``, a value dropped from an enum), no
  pattern or format added or changed, no minimum raised or maximum lowered, no ``uniqueItems`` added;
- no ``additionalProperties`` tightened (``true`` or a schema to ``false``);
- any other constraint keyword (``if``/``then``, ``allOf``, …) added or changed: the checker cannot prove it
  narrows nothing, so it says so.

New optional properties, new enum values, new types and dropped constraints are compatible.  Anything else
is a new type (``….v2``) published beside the old one (events/README.md, "Versioning").  A released type
ends only after its announced deprecation period: remove it from the catalogue and pass it to
``snapshot --retire`` in the same change.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from shared.events.catalogue import catalogue, catalogue_dir, public_types

ROUTING_FILE = "routing.yaml"
# a release's name (its image tag, e.g. v1.4.0) is one directory name
VERSION = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
# keywords that describe and never constrain
ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "title", "description", "examples", "default", "deprecated", "readOnly", "writeOnly"}
)
LOWER_BOUNDS = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")
UPPER_BOUNDS = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")
# compared below one by one; any other keyword may only stay as it was or go
COMPARED = frozenset(
    {
        "type",
        "enum",
        "const",
        "pattern",
        "format",
        "uniqueItems",
        "required",
        "properties",
        "additionalProperties",
        "items",
        "propertyNames",
        *LOWER_BOUNDS,
        *UPPER_BOUNDS,
    }
)


class NoRelease(Exception):
    """``events/released/`` does not hold exactly one release."""


def released_dir() -> Path:
    return catalogue_dir() / "released"


@dataclass(frozen=True)
class Release:
    """The public types of the last release, as its snapshot keeps them."""

    version: str
    directory: Path

    def routing(self) -> dict[str, str]:
        return yaml.safe_load((self.directory / ROUTING_FILE).read_text(encoding="utf-8"))

    def schema(self, event_type: str) -> Any:
        return json.loads((self.directory / f"{event_type}.json").read_text(encoding="utf-8"))


def last_release(root: Path | None = None) -> Release:
    root = root or released_dir()
    found = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    if len(found) != 1:
        raise NoRelease(
            f"{root} must hold one release's snapshot, not {len(found)}: "
            "python -m shared.events.compat snapshot VERSION"
        )
    return Release(found[0].name, found[0])


# --- two schemas --------------------------------------------------------------------------------------------


def schema_problems(old: Any, new: Any, where: str = "data") -> list[str]:
    """Why ``new`` would refuse or no longer describe something ``old`` accepted (empty: compatible).

    ``where`` names the place in the event, e.g. ``data.parties[].province``.
    """
    if old is False:
        return []  # nothing was accepted there
    if new is False:
        return [f"{where}: now accepts nothing"]
    old, new = _as_object(old), _as_object(new)
    return [
        *_value_problems(old, new, where),
        *_bound_problems(old, new, where),
        *_object_problems(old, new, where),
        *_nested_problems(old, new, where),
        *_other_problems(old, new, where),
    ]


def _as_object(schema: Any) -> dict[str, Any]:
    return {} if schema is True else schema


def _types(schema: dict[str, Any]) -> set[str] | None:
    declared = schema.get("type")
    return None if declared is None else {declared} if isinstance(declared, str) else set(declared)


def _values(schema: dict[str, Any]) -> list[Any] | None:
    """The only values allowed (``const`` or ``enum``), or None for any."""
    if "const" in schema:
        return [schema["const"]]
    return schema.get("enum")


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _value_problems(old: dict[str, Any], new: dict[str, Any], where: str) -> Iterator[str]:
    old_types, new_types = _types(old), _types(new)
    if new_types is not None and old_types is None:
        yield f"{where}: type now limited to {', '.join(sorted(new_types))}"
    elif new_types is not None and old_types is not None:
        lost = sorted(t for t in old_types if t not in new_types and not (t == "integer" and "number" in new_types))
        if lost:
            yield f"{where}: type no longer allows {', '.join(lost)}"
    old_values, new_values = _values(old), _values(new)
    if new_values is not None:
        if old_values is None:
            yield f"{where}: values now limited to {new_values}"
        else:
            allowed = {_key(v) for v in new_values}
            dropped = [v for v in old_values if _key(v) not in allowed]
            if dropped:
                yield f"{where}: no longer allows {dropped}"
    for keyword in ("pattern", "format"):
        if keyword in new and old.get(keyword) != new[keyword]:
            was = f" (was {old[keyword]!r})" if keyword in old else ""
            yield f"{where}: {keyword} {new[keyword]!r} added{was}: it may refuse what was accepted"
    if new.get("uniqueItems") and not old.get("uniqueItems"):
        yield f"{where}: items must now be unique"


def _bound_problems(old: dict[str, Any], new: dict[str, Any], where: str) -> Iterator[str]:
    for keyword, narrower in [
        *((k, lambda o, n: n > o) for k in LOWER_BOUNDS),
        *((k, lambda o, n: n < o) for k in UPPER_BOUNDS),
    ]:
        if keyword not in new:
            continue
        if keyword not in old:
            yield f"{where}: {keyword} {new[keyword]} added"
        elif narrower(old[keyword], new[keyword]):
            yield f"{where}: {keyword} {old[keyword]} → {new[keyword]}"


def _object_problems(old: dict[str, Any], new: dict[str, Any], where: str) -> Iterator[str]:
    old_required, new_required = set(old.get("required", ())), set(new.get("required", ()))
    for name in sorted(new_required - old_required):
        yield f"{where}.{name}: newly required"
    for name in sorted(old_required - new_required):
        yield f"{where}.{name}: no longer required (consumers may rely on it)"
    new_properties = new.get("properties", {})
    for name, schema in old.get("properties", {}).items():
        if name not in new_properties:
            yield f"{where}.{name}: removed"
        else:
            yield from schema_problems(schema, new_properties[name], f"{where}.{name}")
    old_more, new_more = old.get("additionalProperties", True), new.get("additionalProperties", True)
    if old_more is False or new_more in (True, {}):
        return  # no other property was allowed before, or any is now
    if new_more is False:
        yield f"{where}: additionalProperties tightened to false"
    else:
        yield from schema_problems(old_more, new_more, f"{where}.*")


def _nested_problems(old: dict[str, Any], new: dict[str, Any], where: str) -> Iterator[str]:
    for keyword, place in (("items", f"{where}[]"), ("propertyNames", f"{where} (property names)")):
        if keyword in old or keyword in new:
            yield from schema_problems(old.get(keyword, True), new.get(keyword, True), place)


def _other_problems(old: dict[str, Any], new: dict[str, Any], where: str) -> Iterator[str]:
    for keyword in sorted(set(new) - ANNOTATIONS - COMPARED):
        if keyword not in old or _key(old[keyword]) != _key(new[keyword]):
            yield f"{where}: {keyword} added or changed: the checker cannot tell that it refuses nothing"


# --- the catalogue against the release ----------------------------------------------------------------------


def incompatibilities(release: Release) -> dict[str, list[str]]:
    """Per released type, why the current catalogue and schemas break it (only types with a reason)."""
    found: dict[str, list[str]] = {}
    current = catalogue()
    for event_type, routing in sorted(release.routing().items()):
        spec = current.get(event_type)
        if spec is None or not spec.public:
            reasons = [
                f"released in {release.version} and {'gone' if spec is None else 'now internal'} "
                "(publish a .v2 beside it; retire it only after its deprecation period: snapshot --retire)"
            ]
        elif spec.routing != routing:
            reasons = [
                f"routed by {spec.routing!r}, released routed by {routing!r}: queues bound to its old keys "
                "would miss it"
            ]
        else:
            reasons = schema_problems(release.schema(event_type), _schema(event_type))
        if reasons:
            found[event_type] = reasons
    return found


def problems(release: Release) -> list[str]:
    """Every incompatibility with ``release``, one line each (empty: compatible)."""
    return [f"{t}: {reason}" for t, reasons in incompatibilities(release).items() for reason in reasons]


def _schema(event_type: str) -> Any:
    return json.loads((catalogue_dir() / catalogue()[event_type].schema_file).read_text(encoding="utf-8"))


def unchanged_since(release: Release) -> bool:
    """The current public types are exactly the release's (same types, routing and schemas)."""
    current = {t: catalogue()[t].routing for t in public_types()}
    return current == release.routing() and all(_schema(t) == release.schema(t) for t in current)


def snapshot(version: str, retire: Iterable[str] = (), root: Path | None = None) -> Release:
    """Replace the release snapshot with the current public types, named ``version``.

    Refuses while ``check`` fails, except for the removal of the types in ``retire``.
    """
    if not VERSION.fullmatch(version):
        raise ValueError(f"{version!r} is not a release name (letters, digits, '.', '_', '-')")
    root = root or released_dir()
    retired = set(retire)
    try:
        previous: Release | None = last_release(root)
    except NoRelease:
        previous = None
    if previous is not None:
        gone = set(previous.routing()) - set(public_types())
        refused = [
            f"{t}: {reason}"
            for t, reasons in incompatibilities(previous).items()
            if t not in retired & gone
            for reason in reasons
        ]
        refused += [f"{t}: --retire names a type that is still public" for t in sorted(retired - gone)]
        if refused:
            raise ValueError("\n".join(refused))
        shutil.rmtree(previous.directory)
    target = root / version
    target.mkdir(parents=True)
    routing = {t: catalogue()[t].routing for t in public_types()}
    (target / ROUTING_FILE).write_text(yaml.safe_dump(routing, sort_keys=True), encoding="utf-8")
    for event_type in routing:
        shutil.copyfile(catalogue_dir() / catalogue()[event_type].schema_file, target / f"{event_type}.json")
    return Release(version, target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.events.compat", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="hold the current public types to the last release's snapshot")
    take = commands.add_parser("snapshot", help="at a release: make the current public types the snapshot")
    take.add_argument("version", help="the release's name, e.g. its image tag v1.4.0")
    take.add_argument(
        "--retire",
        nargs="*",
        default=(),
        metavar="TYPE",
        help="released types removed on purpose, after their deprecation period",
    )
    args = parser.parse_args(argv)
    if args.command == "snapshot":
        try:
            release = snapshot(args.version, args.retire)
        except ValueError as refused:
            print(f"not taken:\n{refused}", file=sys.stderr)
            return 1
        print(f"{release.directory}: {len(release.routing())} public types as released in {release.version}")
        return 0
    try:
        release = last_release()
    except NoRelease as missing:
        print(missing, file=sys.stderr)
        return 1
    found = problems(release)
    for problem in found:
        print(problem, file=sys.stderr)
    if found:
        print(
            f"{len(found)} incompatible changes since {release.version}: make a .v2 type instead "
            "(events/README.md, Versioning)",
            file=sys.stderr,
        )
        return 1
    print(f"compatible with {release.version}: {len(release.routing())} released public types")
    return 0


if __name__ == "__main__":
    sys.exit(main())
