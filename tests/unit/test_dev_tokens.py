"""Minting tokens over HTTP exists only in dev mode; a production gateway answers 404."""

from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory

from gateway.service import GatewayService
from shared import config
from shared.errors import NotFound


@pytest.fixture
def production(monkeypatch):
    monkeypatch.setenv("KETNOI_DEV_MODE", "0")
    monkeypatch.setenv("KETNOI_JWT_SECRET", "a-production-secret-of-enough-length")
    config.settings.cache_clear()
    yield
    config.settings.cache_clear()


def test_no_dev_tokens_outside_dev_mode(production):
    gateway = worker_factory(GatewayService)
    with pytest.raises(NotFound) as refused:
        gateway.dev_token(SimpleNamespace(json_body={"role": "ops"}))
    assert refused.value.code == "dev_mode_off" and refused.value.status == 404
