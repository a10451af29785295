"""The gateway serves the event contract beside the OpenAPI: ``GET /v1/asyncapi.json``, anonymous, cacheable."""

from __future__ import annotations

import json

from shared.events.asyncapi import document

PATH = "/v1/asyncapi.json"


def test_the_asyncapi_document_is_served_to_anyone_and_cacheable(api, ops):
    first = api.request("GET", PATH)
    assert first.status_code == 200 and first.headers["Content-Type"] == "application/json"
    assert first.json() == json.loads(json.dumps(document()))  # what the committed file and the tests hold
    etag = first.headers["ETag"]
    assert etag.startswith('"') and first.headers["Cache-Control"] == "public, max-age=3600"
    again = api.request("GET", PATH, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == etag
    signed_in = api.request("GET", PATH, ops)  # the same for everyone: one cache entry serves all
    assert signed_in.content == first.content and signed_in.headers["ETag"] == etag


def test_the_openapi_document_lists_it_beside_itself(api):
    paths = api.request("GET", "/v1/openapi.json").json()["paths"]
    operation = paths[PATH]["get"]
    assert operation["tags"] == paths["/v1/openapi.json"]["get"]["tags"] == ["docs"]
    assert "security" not in operation and "ETag" in operation["responses"]["200"]["headers"]
