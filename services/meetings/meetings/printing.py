"""Printable pages: a participant's agenda and the organisers' table sheets.

Many participants bring paper on the day, and the hall staff work from one
sheet per table, so both are plain HTML that prints on A4 without scripts.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
)
LABELS = {
    "vi": {
        "agenda": "Lịch gặp gỡ B2B",
        "time": "Giờ",
        "table": "Bàn",
        "counterpart": "Đối tác",
        "interpreter": "Phiên dịch",
        "none": "Chưa có cuộc gặp nào được xếp lịch.",
        "zone": "Giờ Việt Nam",
        "stage": {"preliminary": "Dự kiến", "final": "Chính thức", None: "Chưa công bố"},
        "cancelled": "Đã huỷ",
        "waiting": "Đã nhận lời, chờ xếp lịch",
        "sheet": "Bàn",
        "break": "Nghỉ",
        "supplier": "Nhà cung cấp",
        "buyer": "Nhà mua hàng",
    },
    "en": {
        "agenda": "B2B meeting agenda",
        "time": "Time",
        "table": "Table",
        "counterpart": "Counterpart",
        "interpreter": "Interpreter",
        "none": "No meeting scheduled yet.",
        "zone": "Vietnam time",
        "stage": {"preliminary": "Preliminary", "final": "Final", None: "Not yet published"},
        "cancelled": "Cancelled",
        "waiting": "Accepted, not yet scheduled",
        "sheet": "Table",
        "break": "Break",
        "supplier": "Supplier",
        "buyer": "Buyer",
    },
}


def _clock(iso: str | None) -> str:
    return datetime.fromisoformat(iso).strftime("%H:%M") if iso else ""


def _offset(iso: str) -> str:
    offset = datetime.fromisoformat(iso).strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}"


def _name(party: dict[str, Any] | None, language: str) -> str:
    name = (party or {}).get("name") or {}
    return name.get(language) or name.get("vi") or name.get("en") or "—"


_ENV.filters.update(clock=_clock, offset=_offset, name=_name)


def agenda_page(view: dict[str, Any], language: str = "vi") -> str:
    language = language if language in LABELS else "vi"
    return _ENV.get_template("agenda.html").render(view=view, lang=language, t=LABELS[language])


def table_sheets_page(session: dict[str, Any], sheets: list[dict[str, Any]], language: str = "vi") -> str:
    language = language if language in LABELS else "vi"
    return _ENV.get_template("tables.html").render(session=session, sheets=sheets, lang=language, t=LABELS[language])
