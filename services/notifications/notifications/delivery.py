"""Sending one message once: lease it, wait for the channel's rate, send, record the outcome with its event.

A transient failure (a 4xx from the relay, a dropped connection) is retried
with backoff; after the last attempt, or at once for a permanent failure
(a 5xx refusing the recipient), the message is dead-lettered, visible to
organisers, who can resend it.  Plain Python over the store and channels.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from notifications import events as ev
from notifications.domain.channels import (
    Attachment,
    Channel,
    OutgoingMessage,
    PermanentFailure,
    TransientFailure,
)
from notifications.domain.policy import TokenBucket, retry_delays
from notifications.store import NotificationsStore
from shared.logs import current_scope, scoped
from shared.timestamps import now_text, to_text

log = logging.getLogger(__name__)
LEASE = timedelta(seconds=60)  # a sender that crashed mid-way gives its messages back after this
LEASE_MARGIN = timedelta(seconds=20)  # longer than one attempt can take (the SMTP timeout is 10 s)
Outcome = Callable[[dict[str, Any], str], None]
# Outcomes sent but not yet recorded because the store was away: (message, changes, event).  Recorded
# again before anything else is sent, while the lease is still ours, so a store outage sends nothing twice
# (only a sender that dies with outcomes here still does, after the lease).
UNRECORDED: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]] = []


def outgoing(message: Mapping[str, Any]) -> OutgoingMessage:
    attachment = message.get("attachment")
    attachments = (
        (Attachment(attachment["filename"], attachment["mime"], attachment["content"].encode("utf-8")),)
        if attachment
        else ()
    )
    return OutgoingMessage(
        message_id=message["_id"],
        to_address=message["address"],
        subject=message["subject"],
        text=message["text"],
        html=message["html"],
        short=message["short"],
        attachments=attachments,
        unsubscribe_url=message.get("unsubscribe_url"),
    )


class Dispatcher:
    def __init__(
        self,
        store: NotificationsStore,
        channels: Mapping[str, Channel],
        buckets: Mapping[str, TokenBucket],
        max_attempts: int,
        sleep: Callable[[float], None],
        on_outcome: Outcome | None = None,
    ) -> None:
        self.store = store
        self.channels = channels
        self.buckets = buckets
        self.delays = retry_delays(max(1, max_attempts - 1))
        self.max_attempts = max_attempts
        self.sleep = sleep
        self.on_outcome = on_outcome or (lambda *_: None)

    def record_pending(self) -> int:
        """Write the outcomes a store outage kept us from recording; how many are still waiting."""
        waiting, UNRECORDED[:] = list(UNRECORDED), []
        for message, changes, event in waiting:
            self._finish(message, changes, event)
        return len(UNRECORDED)

    def _finish(self, message: dict[str, Any], changes: dict[str, Any], event: dict[str, Any] | None) -> None:
        try:
            self.store.finish(message, changes, event)
        except Exception:  # the store is away: keep it, and never send this message again meanwhile
            log.warning("could not record the outcome of %s (the store is away); recording it later", message["_id"])
            UNRECORDED.append((message, changes, event))

    def deliver(self, message_id: str) -> str | None:
        """Send a due message if nobody else is; the outcome (sent, written, retry, dead) or None."""
        now = datetime.now(UTC)
        message = self.store.lease(message_id, to_text(now), to_text(now + LEASE))
        return None if message is None else self.send(message)

    def send(self, message: dict[str, Any]) -> str:
        """Send a message this worker holds the lease of (leased by :meth:`deliver`, or stored leased).

        Under the request id of the request that caused it, also when a timer sends it later (a retry, the
        end of quiet hours): its line, and the event its outcome publishes, carry that id.
        """
        with scoped(request_id=message.get("request_id") or current_scope().request_id):
            outcome = self._attempt(message)
            log.info(
                "message %s %s",
                message["_id"],
                outcome,
                extra={
                    "status": outcome,
                    "channel": message["channel"],
                    "template": message["template"],
                    "event_id": message.get("event_id"),
                    "attempt": int(message.get("attempts") or 0) + 1,
                },
            )
        return outcome

    def _attempt(self, message: dict[str, Any]) -> str:
        channel = self.channels.get(message["channel"])
        attempts = int(message.get("attempts") or 0) + 1
        if channel is None:
            return self._dead(message, attempts, f"channel {message['channel']} is not configured")
        wait = self.buckets[message["channel"]].take()
        if wait > 0:
            self.sleep(wait)
        if message["lease_until"] < to_text(datetime.now(UTC) + LEASE_MARGIN):
            # the lease is about to run out (a long burst, a slow relay): renew it, or another sender has it
            now = datetime.now(UTC)
            renewed = self.store.renew(message, to_text(now + LEASE))
            if renewed is None:
                return "skipped"
            message = renewed
        try:
            receipt = channel.send(outgoing(message))
        except PermanentFailure as exc:
            return self._dead(message, attempts, str(exc))
        except TransientFailure as exc:
            if attempts >= self.max_attempts:
                return self._dead(message, attempts, str(exc))
            after = {**message, "attempts": attempts}
            next_at = to_text(datetime.now(UTC) + timedelta(seconds=self.delays[attempts - 1]))
            self._finish(
                message,
                {"status": "pending", "attempts": attempts, "next_at": next_at, "last_error": str(exc)},
                ev.message_event("failed", after, str(exc)),
            )
            self.on_outcome(message, "retry")
            return "retry"
        status = "sent" if receipt.delivered else "written"
        after = {**message, "attempts": attempts, "status": status}
        self._finish(
            message,
            {
                "status": status,
                "attempts": attempts,
                "sent_at": now_text(),
                "last_error": None,
                "receipt": {
                    "delivered": "yes" if receipt.delivered else "no",
                    "written_to": receipt.written_to,
                    "provider_id": receipt.provider_id,
                },
            },
            ev.message_event("sent", after),
        )
        self.on_outcome(message, status)
        return status

    def _dead(self, message: dict[str, Any], attempts: int, error: str) -> str:
        after = {**message, "attempts": attempts, "status": "dead"}
        self._finish(
            message,
            {"status": "dead", "attempts": attempts, "last_error": error, "dead_at": now_text()},
            ev.message_event("dead_lettered", after, error),
        )
        log.warning("message %s dead-lettered after %s attempt(s): %s", message["_id"], attempts, error)
        self.on_outcome(message, "dead")
        return "dead"
