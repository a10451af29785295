"""The gateway's one table from exceptions to problem documents: a store out of reach is a 503 to retry."""

import json

import pytest
from nameko.exceptions import RemoteError
from pymongo.errors import AutoReconnect, ServerSelectionTimeoutError

from gateway.problems import problem_response
from shared.errors import Conflict


@pytest.mark.parametrize(
    "exc",
    [
        RemoteError("ServerSelectionTimeoutError", "127.0.0.1:27017: [Errno 111] Connection refused"),  # a service's
        RemoteError("AutoReconnect", "connection closed"),
        ServerSelectionTimeoutError("no servers"),  # the gateway's own (idempotency keys)
        AutoReconnect("connection reset"),
    ],
)
def test_an_unreachable_store_is_503_with_retry_after(exc):
    response = problem_response(exc, "vi", "/v1/x", "req-1")
    body = json.loads(response.get_data())
    assert (response.status_code, body["code"]) == (503, "store_unavailable")
    assert response.headers["Retry-After"] == "5"
    assert "27017" not in response.get_data(as_text=True)  # nothing about the inside leaks out
    assert body["title"] != "store_unavailable"  # translated


def test_other_remote_errors_stay_500_without_details():
    response = problem_response(RemoteError("KeyError", "'edition_id'"), "en", "/v1/x", "req-2")
    assert response.status_code == 500 and "edition_id" not in response.get_data(as_text=True)


def test_expected_errors_keep_their_status():
    assert problem_response(Conflict("taken", code="booth_taken"), "en", "/v1/x", None).status_code == 409
