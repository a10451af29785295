"""The integrations service's own settings, from the environment (read once per process)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

# 10 s, 1 min, 10 min, 1 h, 6 h: a receiver down for an afternoon still gets everything
DEFAULT_BACKOFF = "10,60,600,3600,21600"


@dataclass(frozen=True)
class HookSettings:
    backoff: tuple[int, ...]  # seconds before each retry; a delivery is dead after the last
    timeout: float  # seconds one request may take, connecting and answering
    in_flight: int  # requests under way at once to one webhook, per process
    rotation_hours: float  # how long an old secret stays valid after a rotation
    lease_seconds: int  # a delivery a crashed sender held is taken over after this long


def backoff_of(value: str) -> tuple[int, ...]:
    """``10,60,600``: whole seconds, at least one, each positive."""
    try:
        delays = tuple(int(v) for v in value.split(",") if v.strip())
    except ValueError:
        delays = ()
    if not delays or min(delays) < 1:
        raise RuntimeError(f"KETNOI_WEBHOOK_BACKOFF must be positive seconds like 10,60,600, not {value!r}")
    return delays


@cache
def hook_settings() -> HookSettings:
    timeout = float(os.environ.get("KETNOI_WEBHOOK_TIMEOUT", "5"))
    return HookSettings(
        backoff=backoff_of(os.environ.get("KETNOI_WEBHOOK_BACKOFF", DEFAULT_BACKOFF)),
        timeout=timeout,
        in_flight=int(os.environ.get("KETNOI_WEBHOOK_IN_FLIGHT", "4")),
        rotation_hours=float(os.environ.get("KETNOI_WEBHOOK_ROTATION_HOURS", "24")),
        lease_seconds=int(timeout * 2) + 5,
    )


def retry_delay(backoff: tuple[int, ...], attempts: int) -> int | None:
    """Seconds to wait after the ``attempts``-th failed attempt; None when it was the last (dead-letter)."""
    return backoff[attempts - 1] if 1 <= attempts <= len(backoff) else None
