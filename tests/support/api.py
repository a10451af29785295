"""A thin HTTP client for end-to-end tests, and makers of valid test data."""

from __future__ import annotations

import itertools
import random
from datetime import date, timedelta
from typing import Any

import requests

from registration.domain.taxcode import check_digit
from tests.support.contract import Contract

_serial = itertools.count(1)


class Client:
    """Requests to the gateway; every answer is checked against the document it serves (tests/support/contract.py)."""

    def __init__(self, base: str, checked: bool = True) -> None:
        self.base = base
        self.http = requests.Session()
        self.checked = checked
        self._contract: Contract | None = None

    @property
    def contract(self) -> Contract:
        if self._contract is None:
            self._contract = Contract(self.http.get(self.base + "/v1/openapi.json", timeout=30).json())
        return self._contract

    def request(
        self,
        method: str,
        path: str,
        token: str | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
        params: dict[str, str] | None = None,
    ) -> requests.Response:
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        response = self.http.request(
            method, self.base + path, json=json, data=data, headers=all_headers, params=params, timeout=30
        )
        if self.checked:
            self.contract.check(response)
        return response

    def every(self, path: str, token: str | None = None, params: dict[str, str] | None = None) -> list[dict]:
        """Every item of a list, page after page at the largest page size."""
        items: list[dict] = []
        cursor = None
        while True:
            page = self.request(
                "GET", path, token, params={**(params or {}), "limit": "200", **({"cursor": cursor} if cursor else {})}
            )
            assert page.status_code == 200, page.text
            items += page.json()["items"]
            cursor = page.json()["next_cursor"]
            if cursor is None:
                return items

    def token(self, role: str, **scope: str) -> str:
        response = self.request("POST", "/v1/dev/tokens", json={"role": role, **scope})
        assert response.status_code == 201, response.text
        return response.json()["token"]


def tax_code(rng: random.Random | None = None) -> str:
    """A 10-digit tax code with a correct check digit, unique within the run."""
    rng = rng or random.Random()
    while True:
        first_nine = f"{rng.randrange(10**8, 10**9):09d}"
        digit = check_digit(first_nine)
        if digit is not None:
            return f"{first_nine}{digit}"


def organisation(province: str, name: str | None = None, kind: str = "enterprise", **extra: Any) -> dict[str, Any]:
    n = next(_serial)
    return {
        "kind": kind,
        "legal_name": {"vi": name or f"Công ty TNHH Thử nghiệm {n}"},
        "tax_code": tax_code(),
        "province": province,
        "sectors": ["processed_food"],
        "delegates": [
            {
                "name": f"Nguyễn Văn {n}",
                "position": "Giám đốc",
                "email": f"delegate{n}@example.vn",
                "phone": "0912 345 678",
                "preferred_language": "vi",
            }
        ],
        **extra,
    }


def registration(province: str, role: str = "exhibitor", **org: Any) -> dict[str, Any]:
    return {
        "organisation": organisation(province, **org),
        "role": role,
        "products": [
            {
                "name": {"vi": "Nem chua", "en": "Fermented pork roll"},
                "category": "processed_food",
                "ocop": {"stars": 4, "certificate_no": "TH-2023-1", "year": 2023},
            }
        ],
        "wants": {"booths": 1, "b2b": True, "site_visits": [], "livestream": False},
    }


def edition_body(
    series_id: str, starts_on: date, host: str, partners: list[str], capacity: dict[str, int] | None = None
) -> dict[str, Any]:
    """An edition whose registration window is open now, whatever its date."""
    today = date.today()
    return {
        "series_id": series_id,
        "title": {"vi": "Hội nghị kết nối cung cầu", "en": "Supply–demand connection conference"},
        "host_province": host,
        "partner_provinces": partners,
        "venue": {"name": "Trung tâm Hội nghị", "address": "Đại lộ Lê Lợi"},
        "starts_on": starts_on.isoformat(),
        "ends_on": (starts_on + timedelta(days=2)).isoformat(),
        "plan_reference": "103/KH-UBND",
        "registration_opens_at": f"{today - timedelta(days=1)}T08:00:00+07:00",
        "registration_closes_at": f"{today + timedelta(days=30)}T17:00:00+07:00",
        "capacity": capacity or {},
        "programme": [
            {
                "key": "main",
                "kind": "main_session",
                "title": {"vi": "Phiên chính"},
                "starts_at": f"{starts_on}T08:00:00+07:00",
                "ends_at": f"{starts_on}T11:30:00+07:00",
            },
            {
                "key": "visit",
                "kind": "site_visit",
                "title": {"vi": "Tham quan nhà máy"},
                "capacity": 40,
                "starts_at": f"{starts_on}T13:30:00+07:00",
                "ends_at": f"{starts_on}T16:00:00+07:00",
            },
        ],
    }
