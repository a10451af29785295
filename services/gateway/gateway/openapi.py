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

# Response headers, each described once as a component (``#/components/headers/<id>``) and referred to by
# every answer that carries it.  A route names the ones it sets with ``@api(headers=…)``; the rest follow
# from what the gateway does to every answer (below).
HEADERS: dict[str, dict[str, Any]] = {
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
    "X-Request-ID": {
        "description": "This request's id: the X-Request-ID it was sent with, or one made up. Every log line "
        "of every service that worked on it carries it; quote it to support.",
        "schema": {"type": "string", "minLength": 1},
    },
    "Idempotent-Replayed": {
        "description": "true: this is the stored answer to an earlier request with the same Idempotency-Key",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "Content-Language": {
        "description": "The language of the problem's title and detail (Accept-Language, vi by default)",
        "schema": {"type": "string", "enum": ["vi", "en"]},
    },
    "CacheETag": {"description": "Strong validator: a hash of the body", "schema": {"type": "string"}},
    "Cache-Control": {"description": "public, max-age=…: the same for every caller", "schema": {"type": "string"}},
}
RESPONSE_HEADERS = ("ETag", "Location", "Retry-After", "Preference-Applied")  # what ``@api(headers=…)`` may name
_CACHE_HEADERS = {"ETag": "CacheETag", "Cache-Control": "Cache-Control"}


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
        ok["headers"] = dict(_CACHE_HEADERS)
        op["responses"]["304"] = {
            "description": "Not modified: the ETag in If-None-Match is current (no body)",
            "headers": dict(_CACHE_HEADERS),
        }
    for status, other in endpoint.other_statuses.items():
        description, schema = other if isinstance(other, tuple) else (other, {"type": "object"})
        op["responses"][str(status)] = {"description": description, "content": {"application/json": {"schema": schema}}}
    successes = list(op["responses"])
    for status, names in endpoint.headers.items():
        if unknown := set(names) - set(RESPONSE_HEADERS):
            raise ValueError(f"{name}: @api(headers=…) names {sorted(unknown)}; it may name {RESPONSE_HEADERS}")
        _carries(op["responses"][str(status)], *names)
    if endpoint.idempotent:  # a retry with the same Idempotency-Key gets the first success again
        for status in successes:
            if status.startswith("2"):
                _carries(op["responses"][status], "Idempotent-Replayed")
    for answer in op["responses"].values():
        _carries(answer, "X-Request-ID")
    for code in _ERRORS:
        own = op["responses"].get(code)
        if own is None:  # the problem answer every operation shares: a reference to #/components/responses/
            op["responses"][code] = f"Problem{code}"
        else:  # a status the operation also answers with a body of its own (readiness's 503): both, here
            own["content"]["application/problem+json"] = {"schema": "Problem"}
            _carries(own, *_problem_headers(code))
    if endpoint.auth != "none":
        op["security"] = [{"bearer": []}] if endpoint.auth == "required" else [{}, {"bearer": []}]
    return op


def _problem_headers(code: str) -> tuple[str, ...]:
    return ("X-Request-ID", "Content-Language", *(("Retry-After",) if code == "503" else ()))


def _carries(answer: dict[str, Any], *names: str) -> None:
    """``answer`` carries these headers (each a reference to its component)."""
    answer.setdefault("headers", {}).update({name: name for name in names})


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
    for component_id, header in HEADERS.items():
        spec.components.header(component_id, header)
    spec.components.schema("Problem", schema=Problem)
    for code, description in _ERRORS.items():
        problem: dict[str, Any] = {
            "description": description,
            "content": {"application/problem+json": {"schema": "Problem"}},
        }
        _carries(problem, *_problem_headers(code))
        spec.components.response(f"Problem{code}", problem)
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
