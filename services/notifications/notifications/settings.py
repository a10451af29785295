"""The notifications service's own settings, from the environment (read once per process).

Only this service sends messages, so its channel settings live here, not in
``shared/config.py``.  With no SMS or Zalo provider configured, those channels
write to local outbox files (the embedded default) or are off.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

from shared.config import flag
from shared.config import settings as shared_settings

DEV_UNSUBSCRIBE_SECRET = "dev-only-unsubscribe-secret"


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
    )
