"""The channels one process sends through, and the count of every message's outcome."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from notifications.domain.channels import Channel, FileOutboxChannel, SmtpChannel
from notifications.domain.policy import TokenBucket
from notifications.metrics import MESSAGES
from notifications.settings import notify_settings


@cache
def channel_set() -> tuple[dict[str, Channel], dict[str, TokenBucket]]:
    """One set of channels per process: the SMTP connection is kept open between messages."""
    cfg = notify_settings()
    channels: dict[str, Channel] = {
        "email": SmtpChannel(
            cfg.smtp_host, cfg.smtp_port, cfg.smtp_sender, cfg.smtp_username, cfg.smtp_password, cfg.smtp_starttls
        )
    }
    for name, path in (("sms", cfg.sms_outbox), ("zalo", cfg.zalo_outbox)):
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            channels[name] = FileOutboxChannel(name, path)
    rates = {"email": cfg.email_per_second, "sms": cfg.sms_per_second, "zalo": cfg.zalo_per_second}
    buckets = {name: TokenBucket(rates[name], max(1, int(rates[name]))) for name in channels}
    return channels, buckets


def record(message: dict[str, Any], outcome: str) -> None:
    MESSAGES.labels(message["channel"], message["template"], message["language"], outcome).inc()
