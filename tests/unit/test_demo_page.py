"""The gateway serves the built demo page in dev mode only, and nothing but its files."""

from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory

from gateway import demo_page
from gateway.service import GatewayService
from shared import config
from shared.errors import NotFound


@pytest.fixture
def built(tmp_path, monkeypatch):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>demo</title>", encoding="utf-8")
    (tmp_path / "assets" / "index-1.js").write_text("console.log(1)", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("not for the web", encoding="utf-8")
    monkeypatch.setattr(demo_page, "BUILT", tmp_path)
    return tmp_path


@pytest.fixture
def dev_mode(monkeypatch):
    def set_to(on: bool) -> None:
        monkeypatch.setenv("KETNOI_DEV_MODE", "1" if on else "0")
        monkeypatch.setenv("KETNOI_JWT_SECRET", "a-production-secret-of-enough-length")
        config.settings.cache_clear()

    yield set_to
    config.settings.cache_clear()


def test_the_page_and_its_assets_in_dev_mode(built, dev_mode):
    dev_mode(True)
    gateway = worker_factory(GatewayService)
    page = gateway.demo_page(SimpleNamespace())
    asset = gateway.demo_asset(SimpleNamespace(), "index-1.js")
    assert (page.mimetype, page.get_data(as_text=True)) == ("text/html", "<!doctype html><title>demo</title>")
    assert (asset.mimetype, asset.get_data(as_text=True)) == ("application/javascript", "console.log(1)")


@pytest.mark.parametrize("name", ["../index.html", "..", "missing.js", "../secret.txt"])
def test_nothing_else(built, dev_mode, name):
    dev_mode(True)
    with pytest.raises(NotFound):
        worker_factory(GatewayService).demo_asset(SimpleNamespace(), name)


def test_not_outside_dev_mode(built, dev_mode):
    dev_mode(False)
    with pytest.raises(NotFound) as refused:
        worker_factory(GatewayService).demo_page(SimpleNamespace())
    assert refused.value.code == "dev_mode_off"
