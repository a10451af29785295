"""Sending deliveries: leased documents, sent by green threads of their own with a deadline each.

The timer only leases and hands over, never waits for an answer, so a receiver
that answers slowly or never holds up nothing but its own deliveries, and
those at most ``in_flight`` at a time per process: the rest wait in the store,
leased by nobody, for a slot.  A lease outlives the longest request, so a
sender that crashed mid-request has its deliveries taken over, sent again
(receivers dedupe by the CloudEvent ``id``, as the guide tells them).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import eventlet
import requests
from eventlet.greenpool import GreenPool

from integrations import metrics
from integrations.settings import HookSettings, retry_delay
from integrations.signing import HEADER, header
from integrations.store import ACTIVE, IntegrationsStore
from shared.timestamps import now_text, to_text

log = logging.getLogger(__name__)
CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"


def valid_secrets(webhook: dict[str, Any], now: str) -> list[str]:
    """The current secret, then the one it replaced while that is still valid."""
    previous = webhook.get("previous_secret")
    if isinstance(previous, str) and (webhook.get("previous_until") or "") > now:
        return [webhook["secret"], previous]
    return [webhook["secret"]]


class Sender:
    """One per process: the green threads that send, and how many requests each webhook has under way."""

    def __init__(self, settings: HookSettings) -> None:
        self.settings = settings
        self.pool = GreenPool(1000)
        self.in_flight: Counter[str] = Counter()
        self.session = requests.Session()

    def dispatch(self, store: IntegrationsStore) -> int:
        """Lease what is due (as far as each webhook has free slots) and start sending it; how many started."""
        now = datetime.now(UTC)
        now_t, until = to_text(now), to_text(now + timedelta(seconds=self.settings.lease_seconds))
        webhooks: dict[str, dict[str, Any] | None] = {}
        started = 0
        for row in store.due(now_t):
            webhook_id = row["webhook_id"]
            if self.in_flight[webhook_id] >= self.settings.in_flight:
                continue
            if webhook_id not in webhooks:
                webhooks[webhook_id] = store.webhook(webhook_id)
            webhook = webhooks[webhook_id]
            if webhook is None or webhook["status"] != ACTIVE:
                continue
            delivery = store.lease(row["_id"], now_t, until)
            if delivery is None:
                continue  # another sender took it
            self.in_flight[webhook_id] += 1
            self.pool.spawn_n(self._send, store, webhook, delivery)
            started += 1
        return started

    def _send(self, store: IntegrationsStore, webhook: dict[str, Any], delivery: dict[str, Any]) -> None:
        try:
            store.finish(delivery, self.attempt(webhook, delivery))
        except Exception:  # the lease runs out and another round sends it again
            log.exception("could not record the outcome of delivery %s", delivery["_id"])
        finally:
            self.in_flight[webhook["_id"]] -= 1

    def attempt(self, webhook: dict[str, Any], delivery: dict[str, Any]) -> dict[str, Any]:
        """POST the CloudEvent (structured mode, signed); the delivery's changes for the outcome."""
        body = delivery["body"].encode()
        headers = {
            "Content-Type": CONTENT_TYPE,
            HEADER: header(valid_secrets(webhook, now_text()), int(time.time()), body),
            "Ketnoi-Delivery": delivery["_id"],
            "User-Agent": "ketnoi-webhooks/1",
        }
        started = time.monotonic()
        code, error = None, None
        try:
            with eventlet.Timeout(self.settings.timeout):  # the whole request, however slowly it trickles
                response = self.session.post(
                    webhook["url"], data=body, headers=headers, timeout=self.settings.timeout, allow_redirects=False
                )
            code = response.status_code
            error = None if 200 <= code < 300 else f"HTTP {code}"
        except eventlet.Timeout:
            error = f"no answer within {self.settings.timeout:g} s"
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
        seconds = time.monotonic() - started
        metrics.DELIVERY_SECONDS.observe(seconds)
        attempts = int(delivery.get("attempts") or 0) + 1
        last = {"at": now_text(), "status_code": code, "error": error, "ms": int(seconds * 1000)}
        if error is None:
            metrics.DELIVERIES.labels("delivered").inc()
            return {"status": "delivered", "attempts": attempts, "delivered_at": last["at"], "last": last}
        delay = retry_delay(self.settings.backoff, attempts)
        if delay is None:
            metrics.DELIVERIES.labels("dead").inc()
            log.warning(
                "webhook %s: delivery %s dead after %s attempts: %s", webhook["_id"], delivery["_id"], attempts, error
            )
            return {"status": "dead", "attempts": attempts, "last": last}
        metrics.DELIVERIES.labels("retry").inc()
        next_at = to_text(datetime.now(UTC) + timedelta(seconds=delay))
        return {"status": "pending", "attempts": attempts, "next_at": next_at, "last": last}
