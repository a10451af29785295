"""End-to-end fixtures: the system runs as processes; tests speak HTTP to the gateway only."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from tests.support.api import Client, edition_body


@pytest.fixture(scope="session")
def api(stack) -> Client:
    return Client(stack.config.gateway_url)


@pytest.fixture(scope="session")
def ops(api: Client) -> str:
    return api.token("ops")


@pytest.fixture(scope="session")
def series_id(api: Client, ops: str) -> str:
    key = f"e2e-{uuid.uuid4().hex[:8]}"
    response = api.request("POST", "/v1/series", ops, json={"key": key, "name": {"vi": "Kết nối cung cầu"}})
    assert response.status_code == 201, response.text
    return key


@pytest.fixture(scope="session")
def organiser(api: Client, series_id: str) -> str:
    return api.token("organiser", series=series_id)


@pytest.fixture
def new_edition(api: Client, organiser: str, series_id: str):
    """Create an edition and open it; returns its JSON."""

    def make(
        starts_on: date = date(2024, 8, 16),
        host: str = "thanh-hoa",
        partners: tuple[str, ...] = ("ha-noi", "nghe-an"),
        capacity: dict[str, int] | None = None,
        open_it: bool = True,
    ) -> dict:
        created = api.request(
            "POST", "/v1/editions", organiser, json=edition_body(series_id, starts_on, host, list(partners), capacity)
        )
        assert created.status_code == 201, created.text
        edition = created.json()
        if open_it:
            opened = api.request(
                "POST",
                f"/v1/editions/{edition['id']}/status",
                organiser,
                json={"status": "open"},
                headers={"If-Match": created.headers["ETag"]},
            )
            assert opened.status_code == 200, opened.text
            edition = opened.json()
        return edition

    return make
