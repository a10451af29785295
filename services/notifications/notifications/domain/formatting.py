"""How dates, times and money read in a message, in Vietnamese (the default) and English.

Every moment is shown in Vietnam's time zone and every time carries its zone,
because foreign buyers read these messages on phones set to their own zone and
a bare "14:00" is a missed meeting.  The Vietnamese label is
``(giờ Việt Nam, UTC+7)``: "giờ Việt Nam" is what a Vietnamese reader says,
"UTC+7" is what a visitor can compare with their phone.  English follows the
brief's style, ``Thursday 10 July 2025, 14:00 (UTC+07:00)``.  Weekday and
month names come from tables here, never from the process locale.

Money follows what readers of each language write: ``1.250.000.000 ₫``
(dots between thousands, no decimals: the đồng has no subunit in use) and
``VND 1,250,000,000``; other currencies keep their ISO code,
``12.500 USD`` / ``USD 12,500`` (two decimals only when there are cents).

Inputs are what events and the API carry: ISO-8601 text with an offset or
``Z`` (``2025-07-10T07:00:00.000000Z``), ``YYYY-MM-DD`` for whole days, or
aware ``datetime``/``date`` objects.  A moment without an offset is refused:
its zone is unknown, and guessing is how meetings move by seven hours.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Ho_Chi_Minh"

VI_WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

ROLE_LABELS: dict[str, dict[str, str]] = {
    "exhibitor": {"vi": "đơn vị trưng bày", "en": "exhibitor"},
    "buyer": {"vi": "đơn vị thu mua", "en": "buyer"},
    "visitor": {"vi": "khách tham quan", "en": "visitor"},
    "partner_agency": {"vi": "cơ quan phối hợp", "en": "partner agency"},
}
STAGE_LABELS: dict[str, dict[str, str]] = {
    "preliminary": {"vi": "dự kiến", "en": "preliminary"},
    "final": {"vi": "chính thức", "en": "final"},
}


def parse_moment(value: str | datetime) -> datetime:
    """An aware ``datetime`` from ISO-8601 text with an offset or ``Z`` (or an aware datetime, unchanged)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"not an ISO-8601 date-time: {value!r}") from None
    else:
        raise TypeError(f"expected an ISO-8601 string or a datetime, got {type(value).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"refusing a date-time without an offset, its time zone is unknown: {value!r}")
    return moment


def parse_day(value: str | date | datetime, zone: str = DEFAULT_ZONE) -> date:
    """A calendar day: ``YYYY-MM-DD`` as is; a moment (text or aware datetime) as its day in ``zone``."""
    if isinstance(value, datetime) or (isinstance(value, str) and len(value.strip()) > 10):
        return parse_moment(value).astimezone(ZoneInfo(zone)).date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"not an ISO-8601 date: {value!r}") from None
    raise TypeError(f"expected an ISO-8601 string or a date, got {type(value).__name__}")


def zone_label(moment: datetime, language: str, zone: str = DEFAULT_ZONE) -> str:
    """``giờ Việt Nam, UTC+7`` / ``UTC+07:00`` for a moment already in ``zone`` (without parentheses)."""
    offset = moment.utcoffset()
    assert offset is not None
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    if language == "en":
        return f"UTC{sign}{hours:02d}:{rest:02d}"
    short = f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
    return f"giờ Việt Nam, {short}" if zone == DEFAULT_ZONE else short


def _day_text(day: date, language: str, weekday: bool) -> str:
    if language == "en":
        text = f"{day.day} {EN_MONTHS[day.month - 1]} {day.year}"
        return f"{EN_WEEKDAYS[day.weekday()]} {text}" if weekday else text
    text = f"{day.day:02d}/{day.month:02d}/{day.year}"
    return f"{VI_WEEKDAYS[day.weekday()]} {text}" if weekday else text


def format_date(
    value: str | date | datetime, language: str = "vi", weekday: bool = False, zone: str = DEFAULT_ZONE
) -> str:
    """``10/07/2025`` / ``10 July 2025``; with ``weekday``: ``thứ Năm 10/07/2025`` / ``Thursday 10 July 2025``."""
    return _day_text(parse_day(value, zone), language, weekday)


def format_datetime(value: str | datetime, language: str = "vi", zone: str = DEFAULT_ZONE) -> str:
    """``14:00, thứ Năm 10/07/2025 (giờ Việt Nam, UTC+7)`` / ``Thursday 10 July 2025, 14:00 (UTC+07:00)``."""
    local = parse_moment(value).astimezone(ZoneInfo(zone))
    return _on_day(f"{local:%H:%M}", local, language, zone)


def format_timespan(start: str | datetime, end: str | datetime, language: str = "vi", zone: str = DEFAULT_ZONE) -> str:
    """``14:00–14:20, thứ Năm 10/07/2025 (giờ Việt Nam, UTC+7)``; both ends in full if they fall on different days."""
    first = parse_moment(start).astimezone(ZoneInfo(zone))
    last = parse_moment(end).astimezone(ZoneInfo(zone))
    if first.date() != last.date():
        return f"{format_datetime(first, language, zone)} – {format_datetime(last, language, zone)}"
    return _on_day(f"{first:%H:%M}–{last:%H:%M}", first, language, zone)


def _on_day(clock: str, local: datetime, language: str, zone: str) -> str:
    """``clock`` with the day of ``local`` and the zone, in each language's order."""
    day = _day_text(local.date(), language, weekday=True)
    label = zone_label(local, language, zone)
    return f"{day}, {clock} ({label})" if language == "en" else f"{clock}, {day} ({label})"


def _decimal(amount: Any) -> Decimal:
    if isinstance(amount, bool) or amount is None:
        raise TypeError(f"not an amount of money: {amount!r}")
    if isinstance(amount, float):
        amount = repr(amount)  # 0.1 as written, not its binary approximation
    try:
        value = Decimal(amount) if not isinstance(amount, str) else Decimal(amount.strip())
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"not an amount of money: {amount!r}") from None
    if not value.is_finite():
        raise ValueError(f"not an amount of money: {amount!r}")
    return value


def format_money(amount: int | str | Decimal | float, currency: str = "VND", language: str = "vi") -> str:
    """``1.250.000.000 ₫`` / ``VND 1,250,000,000``; ``12.500,50 USD`` / ``USD 12,500.50``."""
    code = currency.strip().upper()
    value = _decimal(amount)
    places = 0 if code == "VND" or value == value.to_integral_value() else 2
    value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    number = f"{value:,.{places}f}"
    if language == "en":
        return f"{code} {number}"
    number = number.translate(str.maketrans(",.", ".,"))
    return f"{number} ₫" if code == "VND" else f"{number} {code}"


def _label(table: dict[str, dict[str, str]], value: str, language: str) -> str:
    """A known code in the reader's language; an unknown one as it is (better than failing a notice)."""
    return table.get(value, {}).get(language, value)


def filters(language: str, zone: str = DEFAULT_ZONE) -> dict[str, Callable[..., str]]:
    """The jinja2 filters for one language: ``datetime``, ``date``, ``timespan``, ``money``, ``role``, ``stage``.

    ``{{ starts_at|timespan(ends_at) }}``, ``{{ starts_on|date(weekday=True) }}``,
    ``{{ price|money }}``, ``{{ amount|money("USD") }}``.
    """
    return {
        "datetime": partial(_datetime_filter, language=language, zone=zone),
        "date": partial(_date_filter, language=language, zone=zone),
        "timespan": partial(_timespan_filter, language=language, zone=zone),
        "money": partial(_money_filter, language=language),
        "role": partial(_label, ROLE_LABELS, language=language),
        "stage": partial(_label, STAGE_LABELS, language=language),
    }


def _datetime_filter(value: str | datetime, *, language: str, zone: str) -> str:
    return format_datetime(value, language, zone)


def _date_filter(value: str | date | datetime, weekday: bool = False, *, language: str, zone: str) -> str:
    return format_date(value, language, weekday, zone)


def _timespan_filter(start: str | datetime, end: str | datetime, *, language: str, zone: str) -> str:
    return format_timespan(start, end, language, zone)


def _money_filter(amount: int | str | Decimal | float, currency: str = "VND", *, language: str) -> str:
    return format_money(amount, currency, language)
