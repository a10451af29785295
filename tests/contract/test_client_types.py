"""Every success response a frontend reads is typed, or listed as not yet typed in a baseline that only shrinks.

The TypeScript client (clients/typescript) is generated from the OpenAPI document; an operation whose
2xx JSON schema is a bare object somewhere comes out as ``Record<string, never>``, which a frontend
can only cast.  ``clients/typescript/untyped-responses.txt`` lists today's; a new one fails here, and
so does a listed one that has become typed, so that the list is shrunk with the change that types it.
"""

from __future__ import annotations

from scripts.openapi_file import BASELINE, document, operation_count, read_baseline, untyped_operations


def test_no_success_response_is_untyped_beyond_the_baseline():
    doc = document()
    untyped, baseline = untyped_operations(doc), read_baseline()
    print(
        f"{len(untyped)} of {operation_count(doc)} operations have an untyped success response "
        f"(baseline: {len(baseline)})"
    )
    new = sorted(set(untyped) - set(baseline))
    assert not new, (
        f"{len(new)} operation(s) answer success with an untyped body (give them a response "
        f"schema; the client would see Record<string, never>): {new}"
    )
    typed_now = sorted(set(baseline) - set(untyped))
    assert not typed_now, f"now typed (or gone): delete their lines from {BASELINE.name}: {typed_now}"
    assert baseline == sorted(set(baseline)), f"{BASELINE.name}: keep it sorted, one operationId a line"


def test_what_counts_as_untyped():
    """The check itself: bare objects anywhere inside are untyped; named members, maps of typed values,
    arrays of typed items, references and plain strings are typed."""
    components = {"Thing": {"type": "object", "properties": {"id": {"type": "string"}}}, "Loose": {"type": "object"}}
    thing, loose = {"$ref": "#/components/schemas/Thing"}, {"$ref": "#/components/schemas/Loose"}

    def doc(schema: dict) -> dict:
        return {
            "paths": {
                "/x": {
                    "get": {
                        "operationId": "x",
                        "responses": {
                            "200": {"content": {"application/json": {"schema": schema}}},
                            "404": {"content": {"application/problem+json": {"schema": {"type": "object"}}}},
                        },
                    }
                }
            },
            "components": {"schemas": components},
        }

    untyped = [
        {"type": "object"},
        {},
        {"type": "array", "items": {"type": "object"}},
        {"type": "object", "properties": {"items": {"type": "array", "items": loose}}},
        {"allOf": [thing, {"type": "object"}]},
    ]
    typed = [
        thing,
        {"type": "string"},
        {"type": "object", "additionalProperties": {"type": "integer"}},
        {
            "type": "object",
            "properties": {"items": {"type": "array", "items": thing}, "next_cursor": {"type": ["string", "null"]}},
        },
    ]
    assert [untyped_operations(doc(s)) for s in untyped] == [["x"]] * len(untyped)
    assert [untyped_operations(doc(s)) for s in typed] == [[]] * len(typed)
