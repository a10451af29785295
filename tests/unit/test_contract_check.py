"""The end-to-end contract check itself (tests/support/contract.py): it must fail on each kind of drift it
exists to catch, or every e2e answer it passes proves nothing."""

from __future__ import annotations

import json

import pytest
import requests
from requests.structures import CaseInsensitiveDict

from tests.support.contract import Contract

DOCUMENT = {
    "paths": {
        "/v1/things/{thing_id}": {
            "get": {
                "responses": {
                    "200": {
                        "description": "OK",
                        "headers": {"ETag": {"schema": {"type": "string", "pattern": '^"v[0-9]+"$'}}},
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}},
                    }
                }
            }
        }
    },
    "components": {
        "schemas": {
            "Thing": {
                "type": "object",
                "properties": {"id": {"type": "string"}},
                "required": ["id"],
                "additionalProperties": False,
            }
        }
    },
}


def answer(status: int, body: object, media: str = "application/json", **headers: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers = CaseInsensitiveDict({"Content-Type": f"{media}; charset=utf-8", **headers})
    response._content = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    response.request = requests.Request("GET", "http://127.0.0.1/v1/things/t1").prepare()
    return response


def test_an_answer_as_documented_passes():
    Contract(DOCUMENT).check(answer(200, {"id": "t1"}, ETag='"v3"'))


@pytest.mark.parametrize(
    ("response", "complaint"),
    [
        (answer(200, {"id": "t1", "extra": 1}), "does not match the document"),
        (answer(200, {}), "does not match the document"),
        (answer(201, {"id": "t1"}), "which the document does not list"),
        (answer(200, {"id": "t1"}, Location="/v1/things/t1"), "carries Location, which the document does not declare"),
        (answer(200, {"id": "t1"}, ETag="abc"), "ETag: 'abc' does not match the document"),
        (answer(200, "id\nt1\n", "text/csv"), "text/csv not documented"),
    ],
    ids=["undocumented field", "missing field", "undocumented status", "undeclared header", "header value", "media"],
)
def test_each_kind_of_drift_fails(response, complaint):
    with pytest.raises(AssertionError, match=complaint):
        Contract(DOCUMENT).check(response)
