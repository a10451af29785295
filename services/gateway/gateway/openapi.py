"""The OpenAPI 3.1 document, generated from the ``@api`` entrypoints and their schemas.

Each endpoint's method, path, summary, auth, body, query and response schema
are declared once, on the entrypoint; this module only collects them, so the
document cannot drift from the routes that serve it.
"""

from __future__ import annotations

import inspect
import re
from functools import cache
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from gateway.answers.platform import JSON_VALUE
from gateway.examples import example_for
from gateway.http import ApiHandler
from gateway.schemas import Problem

_PATH_PARAM = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
_ERRORS = {
    "400": "Malformed request (not valid JSON, a bad header)",
    "401": "Missing or invalid bearer token",
    "403": "Authenticated but not allowed",
    "404": "Not found (or not visible to you)",
    "409": "Conflicts with current state",
    "412": "If-Match no longer matches the current ETag",
    "413": "Body larger than the limit",
    "415": "Body not sent as application/json",
    "422": "Field-level validation errors",
    "428": "If-Match is required on this write: read the resource first and send its ETag",
    "503": "A service did not answer in time; see Retry-After",
}

_CACHE_HEADERS = {
    "ETag": {"description": "Strong validator: a hash of the body", "schema": {"type": "string"}},
    "Cache-Control": {"description": "public, max-age=…: the same for every caller", "schema": {"type": "string"}},
}
# The headers a route may name in ``@api(headers=…)``; a 503 always carries Retry-After.
RESPONSE_HEADERS = {
    "ETag": {
        "description": 'The resource\'s version ("v7"): send it back in If-Match to change the resource',
        "schema": {"type": "string", "pattern": '^"v[0-9]+"$'},
    },
    "Location": {
        "description": "The path of the resource this answer created or queued, under /v1",
        "schema": {"type": "string", "pattern": "^/v1/"},
    },
    "Retry-After": {
        "description": "Seconds to wait before asking again",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    },
    "Preference-Applied": {
        "description": "respond-async when the answer is a job because Prefer asked for one (RFC 7240)",
        "schema": {"type": "string", "enum": ["respond-async"]},
    },
}


def _endpoints(service_cls: type) -> list[tuple[str, ApiHandler]]:
    """(method name, entrypoint) for every ``@api`` of the service class, by path."""
    found: list[tuple[str, ApiHandler]] = []
    for name, fn in inspect.getmembers(service_cls, inspect.isfunction):
        found.extend((name, e) for e in getattr(fn, "nameko_entrypoints", ()) if isinstance(e, ApiHandler))
    return sorted(found, key=lambda pair: (pair[1].url, pair[1].method))


def _operation(endpoint: ApiHandler, name: str) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": name,
        "summary": endpoint.summary,
        **({"description": endpoint.description} if endpoint.description else {}),
        "tags": list(endpoint.tags),
        "responses": {},
    }
    params = [
        {"in": "path", "name": p, "required": True, "schema": {"type": "string"}}
        for p in _PATH_PARAM.findall(endpoint.url)
    ]
    if endpoint.query is not None:
        params.append({"in": "query", "schema": endpoint.query})
    if endpoint.idempotent:
        params.append(
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": False,
                "schema": {"type": "string"},
                "description": "Retrying with the same key and body returns the first answer.",
            }
        )
    if endpoint.cache_seconds is not None:
        params.append(
            {
                "in": "header",
                "name": "If-None-Match",
                "required": False,
                "schema": {"type": "string"},
                "description": "The ETag you hold; 304 with no body while it is still current.",
            }
        )
    if endpoint.method == "PATCH":
        params.append(
            {
                "in": "header",
                "name": "If-Match",
                "required": True,
                "schema": {"type": "string"},
                "description": "The ETag you last read; 412 if someone changed it since.",
            }
        )
    params.append(
        {
            "in": "header",
            "name": "Accept-Language",
            "required": False,
            "schema": {"type": "string", "enum": ["vi", "en"]},
        }
    )
    op["parameters"] = params
    if endpoint.body is not None:
        media: dict[str, Any] = {"schema": endpoint.body}
        if (example := example_for(name)) is not None:
            media["example"] = example
        op["requestBody"] = {"required": True, "content": {"application/json": media}}
    ok: dict[str, Any] = {"description": "OK"}
    if endpoint.response is not None:
        ok["content"] = {endpoint.produces: {"schema": endpoint.response}}
    elif endpoint.produces != "application/json":
        ok["content"] = {endpoint.produces: {"schema": {"type": "string"}}}
    else:
        ok["content"] = {"application/json": {"schema": {"type": "object"}}}
    for media_type in endpoint.also_produces:
        ok["content"][media_type] = {"schema": {"type": "string"}}
    op["responses"][str(endpoint.status)] = ok
    if endpoint.cache_seconds is not None:
        ok["headers"] = _CACHE_HEADERS
        op["responses"]["304"] = {
            "description": "Not modified: the ETag in If-None-Match is current (no body)",
            "headers": _CACHE_HEADERS,
        }
    for status, other in endpoint.other_statuses.items():
        description, schema = other if isinstance(other, tuple) else (other, {"type": "object"})
        op["responses"][str(status)] = {"description": description, "content": {"application/json": {"schema": schema}}}
    for status, names in endpoint.headers.items():
        answer = op["responses"][str(status)]
        answer["headers"] = {**answer.get("headers", {}), **{name: RESPONSE_HEADERS[name] for name in names}}
    for code, description in _ERRORS.items():
        # a status the operation also answers with a body of its own (readiness's 503) keeps that body beside
        # the problem document
        answer = op["responses"].setdefault(code, {"description": description, "content": {}})
        answer["content"]["application/problem+json"] = {"schema": "Problem"}
    op["responses"]["503"]["headers"] = {"Retry-After": RESPONSE_HEADERS["Retry-After"]}
    if endpoint.auth != "none":
        op["security"] = [{"bearer": []}] if endpoint.auth == "required" else [{}, {"bearer": []}]
    return op


@cache
def openapi_document(service_cls: type) -> dict[str, Any]:
    spec = APISpec(
        title="ketnoi API",
        version="1.0.0",
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={
            "description": "Registration, booths, B2B meetings and notifications for Vietnam's "
            "supply–demand connection conferences. Errors are RFC 9457 problem documents."
        },
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    spec.components.schema("Problem", schema=Problem)
    spec.components.schema("JsonValue", JSON_VALUE)  # free-form JSON, typed (gateway.answers.platform)
    paths: dict[str, dict[str, Any]] = {}
    for name, endpoint in _endpoints(service_cls):
        if not endpoint.documented:
            continue
        path = _PATH_PARAM.sub(r"{\1}", endpoint.url)
        paths.setdefault(path, {})[endpoint.method.lower()] = _operation(endpoint, name)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
