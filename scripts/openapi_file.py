"""The OpenAPI document as a file, without a running stack: what the TypeScript client is generated from.

``python -m scripts.openapi_file clients/typescript/openapi.json`` writes the document the gateway
serves at ``/v1/openapi.json`` (both come from :func:`gateway.openapi.openapi_document`), so
``make test`` builds the client before any process is started.  It also says how many operations
still answer success with an untyped body: a generated client turns such a body into
``Record<string, never>`` (nothing a frontend can read without a cast): there must be none
(tests/contract/test_client_types.py; ``clients/typescript/src/typed-answers.ts`` proves the same of
the generated client when tsc compiles it).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
_COMPOSITES = ("allOf", "anyOf", "oneOf")


def document() -> dict[str, Any]:
    from gateway.openapi import openapi_document
    from gateway.service import GatewayService

    return openapi_document(GatewayService)


def _untyped(schema: Any, components: dict[str, Any], seen: frozenset[str] = frozenset()) -> bool:
    """Whether a client would know nothing of some part of ``schema``: a bare ``{}``, or an object with
    neither properties nor a schema for its values, here or anywhere inside (arrays, members, refs)."""
    if not isinstance(schema, dict):
        return True
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        return name not in seen and _untyped(components.get(name), components, seen | {name})
    if any(key in schema for key in _COMPOSITES):
        return any(_untyped(part, components, seen) for key in _COMPOSITES for part in schema.get(key, ()))
    kind = schema.get("type")
    kinds = set(kind) if isinstance(kind, list) else {kind}
    if kinds == {None} and "enum" not in schema and "const" not in schema:
        return True
    if "array" in kinds:
        return _untyped(schema.get("items"), components, seen)
    if "object" in kinds:
        members = schema.get("properties") or {}
        values = schema.get("additionalProperties")
        if not members and not isinstance(values, dict):
            return True
        return any(_untyped(member, components, seen) for member in members.values()) or (
            isinstance(values, dict) and _untyped(values, components, seen)
        )
    return False


def untyped_operations(doc: dict[str, Any]) -> list[str]:
    """operationIds with a 2xx JSON answer whose schema leaves something untyped, sorted."""
    components = doc.get("components", {}).get("schemas", {})
    found = set()
    for operations in doc["paths"].values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                content = response.get("content", {})
                for media, body in content.items():
                    if status.startswith("2") and "json" in media and _untyped(body.get("schema"), components):
                        found.add(operation["operationId"])
    return sorted(found)


def operation_count(doc: dict[str, Any]) -> int:
    return sum(len(operations) for operations in doc["paths"].values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, help="where to write the JSON document")
    args = parser.parse_args()
    doc = document()
    args.output.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    untyped = untyped_operations(doc)
    print(f"{args.output}: {operation_count(doc)} operations, {len(untyped)} with an untyped success response")


if __name__ == "__main__":
    main()
