"""Every answer an end-to-end test gets is checked against the OpenAPI document the gateway serves.

schemathesis (tests/e2e/test_api_fuzz.py) checks answers to the requests it makes up; most of them stop at a
422.  The end-to-end tests reach the states a frontend sees (an allocation committed, a meeting rescheduled, a
claim confirmed), so their answers are checked here too: the operation is found by method and path template,
and the body is validated against the schema the document gives for its status and media type.  A field a
service adds, renames or sends as null without the document saying so fails the test that met it; so does an
header a client reads (``ETag``, ``Location``, ``Retry-After``, ``X-Request-ID`` …) that the document does not
declare for that answer, or whose value breaks the declared pattern.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import requests
from jsonschema import Draft202012Validator

# the response headers a client reads and acts on: the document must declare each where an answer carries it
CLIENT_HEADERS = (
    "ETag",
    "Location",
    "Retry-After",
    "Preference-Applied",
    "X-Request-ID",
    "Idempotent-Replayed",
    "Content-Language",
)


@dataclass(frozen=True)
class _Operation:
    pattern: re.Pattern[str]
    method: str
    responses: dict[str, Any]


class Contract:
    """The served document, compiled once: path templates as patterns, schemas as validators."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.components = document.get("components", {})
        self.operations = [
            _Operation(_template(path), method.upper(), op.get("responses", {}))
            for path, ops in document["paths"].items()
            for method, op in ops.items()
        ]
        # literal paths before templated ones: /v1/editions/reference beats /v1/editions/{edition_id}
        self.operations.sort(key=lambda o: o.pattern.pattern.count("[^/]+"))
        self._validators: dict[int, Draft202012Validator] = {}

    def check(self, response: requests.Response) -> None:
        """Raise AssertionError when a documented operation's answer carries a header it does not declare, or
        its JSON body does not match its schema."""
        path = requests.utils.urlparse(response.request.path_url).path
        operation = next(
            (o for o in self.operations if o.method == response.request.method and o.pattern.fullmatch(path)), None
        )
        if operation is None:
            return  # undocumented (the dev pages) or a 404/405 for a path no operation has
        described = operation.responses.get(str(response.status_code))
        if described is not None and "$ref" in described:  # a problem answer shared by every operation
            described = self.components["responses"][described["$ref"].rsplit("/", 1)[-1]]
        if described is not None:
            self._check_headers(response, path, described.get("headers", {}))
        media = (response.headers.get("Content-Type") or "").split(";")[0].strip()
        if described is not None and response.content:
            assert media in described.get("content", {}), (
                f"{response.request.method} {path} {response.status_code}: {media} not documented"
            )
        if not media.endswith("json") or not response.content:
            return
        assert described is not None, (
            f"{response.request.method} {path} answered {response.status_code}, which the document does not list"
        )
        content = described.get("content", {})
        schema = (content.get(media) or {}).get("schema")
        assert schema is not None, f"{response.request.method} {path} {response.status_code}: {media} not documented"
        errors = sorted(self._validator(schema).iter_errors(response.json()), key=lambda e: list(e.absolute_path))
        assert not errors, (
            f"{response.request.method} {path} {response.status_code} does not match the document: "
            + "; ".join(f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message[:300]}" for e in errors[:5])
        )

    def _check_headers(self, response: requests.Response, path: str, declared: dict[str, Any]) -> None:
        """Each header a client acts on is declared for this status, and its value matches the declaration."""
        where = f"{response.request.method} {path} {response.status_code}"
        for name in CLIENT_HEADERS:
            value = response.headers.get(name)
            if value is None:
                continue
            assert name in declared, f"{where} carries {name}, which the document does not declare"
            header = declared[name]
            if "$ref" in header:  # #/components/headers/<id>
                header = self.components["headers"][header["$ref"].rsplit("/", 1)[-1]]
            errors = list(self._validator(header["schema"]).iter_errors(value))
            assert not errors, f"{where}: {name}: {value!r} does not match the document: {errors[0].message}"

    def _validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        key = id(schema)
        if key not in self._validators:
            # the schema's $refs (#/components/schemas/…) resolve against a root that carries the components
            self._validators[key] = Draft202012Validator({**schema, "components": self.components})
        return self._validators[key]


def _template(path: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(path)))
