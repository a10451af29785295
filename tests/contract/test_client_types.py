"""Every success response a frontend reads is typed, and every operation says what it does.

The TypeScript client (clients/typescript) is generated from the OpenAPI document; an operation whose
2xx JSON schema is a bare object somewhere comes out as ``Record<string, never>``, which a frontend
can only cast.  ``clients/typescript/src/typed-answers.ts`` checks the same of the generated client at
compile time.
"""

from __future__ import annotations

import json

from scripts.openapi_file import document, operation_count, untyped_operations


def test_no_success_response_is_untyped():
    doc = document()
    untyped = untyped_operations(doc)
    assert not untyped, (
        f"{len(untyped)} of {operation_count(doc)} operation(s) answer success with an untyped body (give them "
        f"a response schema; the client would see Record<string, never>): {untyped}"
    )


def test_every_operation_has_a_summary_and_a_description():
    doc = document()
    bare = sorted(
        operation["operationId"]
        for operations in doc["paths"].values()
        for operation in operations.values()
        if not operation.get("summary") or len(operation.get("description", "")) < 40
    )
    assert not bare, f"operations without a summary or a description a frontend developer can act on: {bare}"


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


def test_the_headers_a_client_acts_on_are_declared():
    """A generated client reads only declared headers: the job to poll (202), the version to send back in
    If-Match, when to ask again (503).  The e2e contract check fails on any such header an answer carries
    undeclared; this holds the ones every client needs."""
    doc = document()
    operations = {op["operationId"]: op for ops in doc["paths"].values() for op in ops.values()}

    def headers(op: dict, status: str) -> dict:
        answer = op["responses"][status]
        if "$ref" in answer:
            answer = doc["components"]["responses"][answer["$ref"].rsplit("/", 1)[-1]]
        return answer.get("headers", {})

    for name, op in operations.items():
        assert {"Retry-After", "X-Request-ID", "Content-Language"} <= set(headers(op, "503")), name
        assert all("X-Request-ID" in headers(op, status) for status in op["responses"]), name
        if "202" in op["responses"]:
            assert "Location" in headers(op, "202"), name
    for name in ("get_edition", "get_participation", "get_organisation"):
        assert "ETag" in headers(operations[name], "200"), name
    assert "Idempotent-Replayed" in headers(operations["register"], "201")


def test_the_problem_answers_are_described_once():
    """Eleven error statuses on 103 operations: each problem answer is a component every operation refers to
    (the document was 458 KB with them written out, and would have been 625 KB with their headers)."""
    doc = document()
    referred = {
        status: answer["$ref"]
        for ops in doc["paths"].values()
        for op in ops.values()
        for status, answer in op["responses"].items()
        if "$ref" in answer
    }
    assert set(referred) == {"400", "401", "403", "404", "409", "412", "413", "415", "422", "428", "503"}
    assert set(doc["components"]["responses"]) == {f"Problem{code}" for code in referred}
    assert len(json.dumps(doc)) < 400_000
