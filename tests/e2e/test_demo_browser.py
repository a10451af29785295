"""The demo page (clients/typescript) in Debian's Chromium, through Playwright: the public registration form
shows every wrong field's Vietnamese error at once, takes the fixed form, and the organiser's list shows it.

``make test`` builds the page (``make client``) and installs Chromium (``make chromium``) first; the gateway
of the end-to-end stack serves the page at ``/demo/`` (dev mode).  The browser is driven by
``clients/typescript/e2e/demo-browser.mjs``, which fills in what this test plans and reports what the page
showed; screenshots (and the page's console, on failure) land in this test's tmp directory.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from gateway.messages import field_message
from tests.support.api import registration, tax_code

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "clients" / "typescript"
DRIVER = CLIENT / "e2e" / "demo-browser.mjs"
STEP_MS = 15_000  # each wait in the browser
WHOLE_RUN_S = 120

LEGAL_NAME = "Công ty TNHH Nông sản Sạch Đông Sơn Thanh Hóa"
WRONG = {  # field -> (what is typed, the error code the API answers with)
    "organisation.tax_code": ("0101248142", "tax_code_check_digit"),
    "organisation.delegates.0.email": ("lan.nguyễn(at)example.vn", "invalid_email"),
    "organisation.delegates.0.phone": ("0912 345", "invalid_phone"),
    "products.0.ocop.stars": ("7", "out_of_range"),
}


def run_browser(plan: dict, tmp_path: Path) -> dict:
    chromium, node = shutil.which("chromium"), shutil.which("node")
    built = (CLIENT / "dist" / "index.html").is_file() and (CLIENT / "node_modules" / "playwright-core").is_dir()
    if not (chromium and node and built):
        pytest.fail("needs Chromium, Node.js and the built demo page: `make chromium client` (make test does it)")
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(
        json.dumps(
            {**plan, "chromium": chromium, "screenshots": str(tmp_path), "timeout_ms": STEP_MS}, ensure_ascii=False
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        [node, str(DRIVER), str(plan_file)], cwd=CLIENT, capture_output=True, text=True, timeout=WHOLE_RUN_S
    )
    assert done.returncode == 0, f"the browser run failed (screenshots in {tmp_path}):\n{done.stderr[-3000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_form_shows_all_field_errors_in_vietnamese_then_the_organiser_sees_the_registration(
    stack, api, organiser, new_edition, tmp_path
):
    edition_id = new_edition()["id"]
    neighbour = api.request("POST", f"/v1/editions/{edition_id}/registrations", json=registration("nghe-an"))
    assert neighbour.status_code == 201, neighbour.text
    neighbour_before = neighbour.json()["participation"]
    good = {
        "organisation.kind": "enterprise",
        "organisation.legal_name.vi": LEGAL_NAME,
        "organisation.province": "thanh-hoa",
        "organisation.delegates.0.name": "Nguyễn Thị Lan",
        "products.0.name.vi": "Nem chua Thanh Hóa",
        "products.0.ocop.certificate_no": "TH-2023-17",
        "products.0.ocop.year": "2023",
        "role": "exhibitor",
    }
    fixes = {
        "organisation.tax_code": tax_code(),
        "organisation.delegates.0.email": "lan.nguyen@example.vn",
        "organisation.delegates.0.phone": "0912 345 678",
        "products.0.ocop.stars": "4",
    }

    seen = run_browser(
        {
            "url": f"{stack.config.gateway_url}/demo/?edition={edition_id}",
            "first": {**good, **{name: typed for name, (typed, _) in WRONG.items()}},
            "fixes": fixes,
        },
        tmp_path,
    )

    first = seen["first"]
    assert first["status"] == 422
    shown = {name: text for name, text in first["errors"].items() if text}
    assert shown == {name: field_message({"code": code}, "vi") for name, (_, code) in WRONG.items()}, first
    assert first["other"] == "" and sorted(first["invalid"]) == sorted(WRONG)
    assert seen["second"]["status"] == 201 and not any(seen["second"]["errors"].values()), seen["second"]
    mine = seen["second"]["participationId"]
    assert mine and mine in seen["second"]["outcome"]
    rows = {row["id"]: row["cells"] for row in seen["rows"]}
    assert rows[mine] == [LEGAL_NAME, "thanh-hoa", "exhibitor", "submitted"]
    assert set(rows) == {mine, neighbour_before["id"]}  # the list shows both, and nothing else

    stored = api.request("GET", f"/v1/editions/{edition_id}/participations", organiser).json()["items"]
    assert {p["id"] for p in stored} == {mine, neighbour_before["id"]}  # the wrong form stored nothing
    ours = next(p for p in stored if p["id"] == mine)
    organisation = api.request("GET", f"/v1/organisations/{ours['organisation_id']}", organiser).json()
    assert organisation["legal_name"]["vi"] == LEGAL_NAME and organisation["tax_code"] == fixes["organisation.tax_code"]
    assert organisation["delegates"][0]["name"] == "Nguyễn Thị Lan"
    assert next(p for p in stored if p["id"] != mine) == neighbour_before  # the neighbour is as it was
    assert (tmp_path / "2-organiser-list.png").is_file()
