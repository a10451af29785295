"""The demo page of the TypeScript client (mixed into the gateway service), in dev mode only.

``make client`` builds ``clients/typescript`` (a registration form and an organiser's list on the
client generated from this API's OpenAPI document) into ``clients/typescript/dist``; the gateway
serves it at ``/demo/`` so that the page calls the API from the same origin, under ``make up`` and in
the browser test (tests/e2e/test_demo_browser.py), on whatever port the gateway has.
"""

from __future__ import annotations

from pathlib import Path

from werkzeug.wrappers import Request, Response

from gateway.http import api
from shared.config import settings
from shared.errors import NotFound

BUILT = Path(__file__).resolve().parents[3] / "clients" / "typescript" / "dist"
TYPES = {".html": "text/html", ".js": "application/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


def _built_file(path: Path) -> Response:
    if not settings().dev_mode:
        raise NotFound("Not available.", code="dev_mode_off")
    if path.parent not in (BUILT, BUILT / "assets") or path.suffix not in TYPES or not path.is_file():
        raise NotFound("No such file (`make client` builds the demo page).")
    return Response(path.read_bytes(), mimetype=TYPES[path.suffix], headers={"Cache-Control": "no-cache"})


class DemoPage:
    @api("GET", "/demo/", auth="none", documented=False)
    def demo_page(self, request: Request):
        return _built_file(BUILT / "index.html")

    @api("GET", "/demo/assets/<name>", auth="none", documented=False)
    def demo_asset(self, request: Request, name: str):
        return _built_file(BUILT / "assets" / name)
