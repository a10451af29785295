"""The notifications service's own settings, from the environment (read once per process).

Only this service sends messages, so its channel settings live here, not in
``shared/config.py``.  With no SMS or Zalo provider configured, those channels
write to local outbox files (the embedded default) or are off.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import time
from functools import cache

from shared.config import flag
from shared.config import settings as shared_settings

DEV_UNSUBSCRIBE_SECRET = "dev-only-unsubscribe-secret"
DEFAULT_QUIET_HOURS = "21:00-07:00"
NO_QUIET_HOURS = (time(0, 0), time(0, 0))  # start == end: none


def quiet_hours(value: str) -> tuple[time, time]:
    """``HH:MM-HH:MM`` (Vietnam time; may span midnight), or ``off``: when SMS and Zalo wait for morning."""
    value = value.strip().lower()
    if value in ("off", "none", ""):
        return NO_QUIET_HOURS
    found = re.fullmatch(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})", value)
    try:
        if found is None:
            raise ValueError(value)
        h1, m1, h2, m2 = map(int, found.groups())
        return time(h1, m1), time(h2, m2)
    except ValueError:
        raise RuntimeError(f"KETNOI_QUIET_HOURS must look like 21:00-07:00 or be 'off', not {value!r}") from None


@dataclass(frozen=True)
class NotifySettings:
    smtp_host: str
    smtp_port: int
    smtp_sender: str
    smtp_username: str | None
    smtp_password: str | None
    smtp_starttls: bool
    sms_outbox: str | None
    zalo_outbox: str | None
    public_url: str
    unsubscribe_secret: bytes
    email_per_second: float
    sms_per_second: float
    zalo_per_second: float
    max_attempts: int
    quiet_hours: tuple[time, time]


@cache
def notify_settings() -> NotifySettings:
    secret = os.environ.get("KETNOI_UNSUBSCRIBE_SECRET", "")
    if not secret:
        if not shared_settings().dev_mode:
            raise RuntimeError("KETNOI_UNSUBSCRIBE_SECRET is required unless KETNOI_DEV_MODE=1")
        secret = DEV_UNSUBSCRIBE_SECRET
    return NotifySettings(
        smtp_host=os.environ.get("KETNOI_SMTP_HOST", "127.0.0.1"),
        smtp_port=int(os.environ.get("KETNOI_SMTP_PORT", "8025")),
        smtp_sender=os.environ.get("KETNOI_SMTP_SENDER", "Ban Tổ chức Kết nối <no-reply@ketnoi.vn>"),
        smtp_username=os.environ.get("KETNOI_SMTP_USERNAME") or None,
        smtp_password=os.environ.get("KETNOI_SMTP_PASSWORD") or None,
        smtp_starttls=flag("KETNOI_SMTP_STARTTLS"),
        sms_outbox=os.environ.get("KETNOI_SMS_OUTBOX") or None,
        zalo_outbox=os.environ.get("KETNOI_ZALO_OUTBOX") or None,
        public_url=os.environ.get("KETNOI_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"),
        unsubscribe_secret=secret.encode("utf-8"),
        email_per_second=float(os.environ.get("KETNOI_EMAIL_PER_SECOND", "500")),
        sms_per_second=float(os.environ.get("KETNOI_SMS_PER_SECOND", "10")),
        zalo_per_second=float(os.environ.get("KETNOI_ZALO_PER_SECOND", "10")),
        max_attempts=int(os.environ.get("KETNOI_NOTIFY_MAX_ATTEMPTS", "5")),
        quiet_hours=quiet_hours(os.environ.get("KETNOI_QUIET_HOURS", DEFAULT_QUIET_HOURS)),
    )
