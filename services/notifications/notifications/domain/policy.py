"""When, how often and by which channels a notification goes out; unsubscribe tokens; the exactly-once key.

Decisions (the service applies them, these functions only compute):

- Quiet hours: SMS and Zalo ring a phone, so nothing goes by them between
  21:00 and 07:00 Vietnam time (stricter than the 22:00–07:00 Decree 91/2020
  sets for advertising); a message due then waits until 07:00.  E-mail never
  waits: it does not wake anyone.
- Non-essential messages (reminders, agendas: ``rendering.ESSENTIAL``) go
  nowhere once the person unsubscribed from them.
- Essential messages honour the person's channel choices, but always reach
  them somehow: when none of their enabled channels can be used, they go by
  e-mail (or, without an address, by whatever channel we can use), because a
  decision on a registration or a cancelled meeting nobody hears of costs more
  than one unwanted e-mail.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import random
import time as _time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from notifications.domain.rendering import TEMPLATES

CHANNELS = ("email", "sms", "zalo")  # the order channels_for lists them in
QUIET_CHANNELS = frozenset({"sms", "zalo"})


def quiet_hours_release(
    at: datetime,
    channel: str,
    start: time = time(21, 0),
    end: time = time(7, 0),
    tz: str = "Asia/Ho_Chi_Minh",
) -> datetime:
    """When a message due ``at`` may go out by ``channel``: ``at`` itself, or the end of the quiet hours it falls in.

    Quiet hours run from ``start`` (inclusive) to ``end`` (exclusive) in ``tz``
    and may span midnight (21:00–07:00) or not (12:00–13:30); ``start == end``
    means none.  Only ``QUIET_CHANNELS`` wait.  The answer is in ``at``'s zone.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("refusing a naive datetime: its time zone is unknown")
    if channel not in QUIET_CHANNELS or start == end:
        return at
    zone = ZoneInfo(tz)
    local = at.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    quiet = (start <= clock or clock < end) if start > end else (start <= clock < end)
    if not quiet:
        return at
    release = datetime.combine(local.date(), end, tzinfo=zone)
    if release <= local:
        release = datetime.combine(local.date() + timedelta(days=1), end, tzinfo=zone)
    return release.astimezone(at.tzinfo)


class TokenBucket:
    """Rate limit for a provider (e.g. an SMS gateway allowing 30 messages/s): ``rate_per_second``, bursts of ``burst``.

    ``take()`` always takes a token and answers how long to wait before using it
    (0.0 when one was there): the caller sleeps that long and sends, with no
    second call.  Tokens taken ahead make the bucket owe, so concurrent callers
    queue up in the order they asked instead of racing.  The clock is injected
    so tests need not sleep; the bucket starts full.
    """

    def __init__(self, rate_per_second: float, burst: int, clock: Callable[[], float] = _time.monotonic) -> None:
        if rate_per_second <= 0:
            raise ValueError("rate_per_second must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.rate = float(rate_per_second)
        self.burst = float(burst)
        self._clock = clock
        self._tokens = self.burst
        self._updated = clock()

    def take(self) -> float:
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._updated = now
        self._tokens = min(self.burst, self._tokens + elapsed * self.rate)
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate


@dataclass(frozen=True)
class Preferences:
    """What a recipient chose: the channels they accept and whether they opted out of non-essential messages."""

    email: bool = True
    sms: bool = True
    zalo: bool = True
    unsubscribed_non_essential: bool = False

    def enabled(self, channel: str) -> bool:
        return bool(getattr(self, channel)) if channel in CHANNELS else False


def channels_for(preferences: Preferences, template_key: str, available: set[str] | frozenset[str]) -> list[str]:
    """The channels a message goes out by, in ``CHANNELS`` order.

    ``available``: the channels this recipient can be reached by (we hold an
    address or phone number, and the deployment has the channel).  Non-essential
    messages: the enabled available channels, none after an unsubscribe.
    Essential messages: the same, or when that is empty, e-mail if available,
    else the first available channel; empty only if nothing is available.
    """
    essential = TEMPLATES[template_key].essential
    if not essential and preferences.unsubscribed_non_essential:
        return []
    chosen = [channel for channel in CHANNELS if channel in available and preferences.enabled(channel)]
    if chosen or not essential:
        return chosen
    return [next(channel for channel in CHANNELS if channel in available)] if available & set(CHANNELS) else []


_UNSUBSCRIBE_PURPOSE = b"ketnoi.unsubscribe.v1\x00"


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _unsubscribe_mac(secret: bytes, recipient: bytes) -> bytes:
    if not secret:
        raise ValueError("an empty secret would make every unsubscribe link forgeable")
    return hmac.new(secret, _UNSUBSCRIBE_PURPOSE + recipient, hashlib.sha256).digest()


def unsubscribe_token(secret: bytes, recipient_id: str) -> str:
    """``base64url(recipient_id) "." base64url(HMAC-SHA256)``, unpadded: safe in a URL path or query.

    No expiry: an unsubscribe link in a months-old e-mail must still work.  The
    purpose prefix keeps a token from verifying as any other HMAC made with the
    same secret.
    """
    recipient = recipient_id.encode("utf-8")
    return f"{_b64encode(recipient)}.{_b64encode(_unsubscribe_mac(secret, recipient))}"


def read_unsubscribe_token(secret: bytes, token: str) -> str | None:
    """The recipient id a token was made for; None if it is malformed, tampered with or made with another secret."""
    if not isinstance(token, str) or token.count(".") != 1:
        return None
    recipient_part, mac_part = token.split(".")
    try:
        recipient = _b64decode(recipient_part)
        mac = _b64decode(mac_part)
        recipient_id = recipient.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    if not recipient_id or not hmac.compare_digest(mac, _unsubscribe_mac(secret, recipient)):
        return None
    return recipient_id


def retry_delays(
    attempts: int = 5, base: float = 2.0, cap: float = 300.0, rng: random.Random | None = None
) -> list[float]:
    """Seconds to wait before each retry: ``base``, doubling, at most ``cap`` (2, 4, 8, 16, 32 by default).

    Deterministic by default, so the delays can be the TTLs of fixed retry
    queues (one queue per delay, see ``shared.events.topology``).  With ``rng``
    each delay is drawn uniformly from [d/2, d] ("equal jitter"), spreading a
    burst of retries after a provider outage without ever retrying at once.
    """
    if attempts < 0 or base <= 0 or cap <= 0:
        raise ValueError("attempts must be >= 0, base and cap positive")
    delays = [min(cap, base * 2**attempt) for attempt in range(attempts)]
    if rng is not None:
        delays = [rng.uniform(delay / 2, delay) for delay in delays]
    return delays


def message_key(event_id: str, recipient_id: str, channel: str) -> str:
    """``<event>.<recipient>.<channel>``: the key that makes a notification exactly-once per person and channel.

    Stored with a unique index before sending, it turns a redelivered event into
    a no-op; it is also the e-mail's Message-ID.  Each part is percent-encoded
    (dots too), so distinct triples never give the same key, and ordinary ids
    (uuids, ``del_0193…``) stay readable and need no escaping in a Message-ID.
    """
    parts = (event_id, recipient_id, channel)
    if not all(isinstance(part, str) and part for part in parts):
        raise ValueError("event_id, recipient_id and channel must be non-empty strings")
    return ".".join(quote(part, safe="").replace(".", "%2E") for part in parts)
