"""``Idempotency-Key`` on POST: a retried request creates nothing twice.

The first request with a key claims it (a unique insert in the gateway's own
database) and stores its successful answer; a retry with the same key and
the same body gets that answer again with ``Idempotent-Replayed: true``.  The
same key with a different body is a client bug (422); a retry while the first
is still running gets 409.  Failed attempts release the key so the client
can try again.  Keys are scoped by caller and endpoint, and kept 24 hours.

A claim names the gateway process that holds it, and every process says it
is alive every :data:`BEAT_SECONDS` (:class:`Heartbeat`).  A
claim whose process has been silent for :data:`SILENCE` was left by a
gateway that was killed mid-request, and the client's retry takes it over;
before, the retry got 409 until the whole :data:`LEASE` ran out (61 s in the
sigkill drill).  The lease stays as the backstop for claims with no owner.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta

import eventlet
from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Response

from gateway.problems import RETRY_AFTER_SECONDS, unreachable_store
from gateway.request import Request
from gateway.store import GatewayStore, gateway_store
from shared.errors import BadRequest, Conflict, InvalidInput, ServiceUnavailable
from shared.ids import new_id
from shared.timestamps import to_text

TTL = timedelta(hours=24)
LEASE = timedelta(seconds=60)  # a claim older than this was left by a crashed gateway, whoever holds it
BEAT_SECONDS = 2
# Five missed beats: a process that is only busy (two cores, a large answer being rendered) is not taken for
# dead, and a killed one's claims are free some seconds after the client's first retry.
SILENCE = timedelta(seconds=10)


def _hash(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\x00")
    return digest.hexdigest()


class IdempotencyStore:
    def __init__(self, store: GatewayStore) -> None:
        self.records = store
        self.instance = new_id("gateway")  # this process, as the owner of its claims
        # since when this process's beats have reached the store without a miss (None: the last one failed)
        self.beating_since: datetime | None = None

    def beat(self) -> None:
        """Say that this process is alive, so that its pending claims are not taken for a dead one's."""
        now = datetime.now(UTC)
        try:
            self.records.beat(self.instance, now)
        except Exception:
            self.beating_since = None
            raise
        if self.beating_since is None:
            self.beating_since = now

    def run(self, key: str, request: Request, call: Callable[[], Response]) -> Response:
        if not 1 <= len(key) <= 200 or not key.isprintable():
            raise BadRequest("Idempotency-Key must be 1 to 200 printable characters.", code="bad_request")
        caller = request.principal.subject if request.principal else "anonymous"
        record_id = _hash(caller, request.method, request.path, key)
        fingerprint = _hash(request.get_data(cache=True))
        now = datetime.now(UTC)
        try:
            claimed = self.records.claim_key(record_id, fingerprint, now, now + TTL, self.instance)
        except Exception:  # a 503; the claim may still land once the store answers: let it be retried then
            eventlet.spawn_n(self._let_retry, record_id, now + timedelta(seconds=RETRY_AFTER_SECONDS))
            raise
        if not claimed:
            replay = self._existing(record_id, fingerprint, now)
            if replay is not None:
                return replay
        try:
            response = call()
        except Exception as exc:
            if isinstance(exc, ServiceUnavailable) or unreachable_store(exc):
                # The answer is a 503 with Retry-After: the caller is told to come back then, and then it may
                # run again.  The first attempt may still have finished or written part of its work: most
                # commands repeat safely (unique keys, version guards, conditional writes, the registration
                # form completed from what its first attempt stored); the README lists those that do not.
                eventlet.spawn_n(self._let_retry, record_id, now + timedelta(seconds=RETRY_AFTER_SECONDS))
            else:
                self.records.release_key(record_id)
            raise
        if response.status_code >= 300:
            self.records.release_key(record_id)
            return response
        self.records.finish_key(
            record_id,
            response.status_code,
            response.get_data(as_text=True),
            {k: v for k, v in response.headers.items() if k in ("ETag", "Location")},
        )
        return response

    def _let_retry(self, record_id: str, at: datetime) -> None:
        """Let the key be taken over from ``at`` on; with the store away too, keep trying until it is back
        (else the caller's retries would get 409 until the whole lease ran out)."""
        while datetime.now(UTC) < at + LEASE:
            try:
                self.records.backdate_claim(record_id, at - LEASE)
                return
            except Exception:
                eventlet.sleep(1)

    def _existing(self, record_id: str, fingerprint: str, now: datetime) -> Response | None:
        """The stored answer, or None when a crashed claim was taken over by this request."""
        record = self.records.key_record(record_id)
        if record is None:
            raise Conflict(
                "The first request with this key just finished failing; retry.", code="idempotency_in_progress"
            )
        if record["fingerprint"] != fingerprint:
            raise InvalidInput("This Idempotency-Key was used with a different body.", code="idempotency_key_reused")
        if record["state"] == "done":
            response = Response(
                record["body"],
                status=record["status"],
                mimetype="application/json",
                headers=record.get("headers") or {},
            )
            response.headers["Idempotent-Replayed"] = "true"
            return response
        stale = record["claimed_at"] < to_text(now - LEASE) or self._orphaned(record, now)
        if stale and self.records.take_over_key(record_id, record.get("claim"), now, self.instance):
            return None
        raise Conflict("A request with this Idempotency-Key is still being processed.", code="idempotency_in_progress")

    def _orphaned(self, record: dict, now: datetime) -> bool:
        """Held by another gateway process that has stopped saying it is alive.  A claim younger than the
        silence is never orphaned: its owner may not have made its first beat yet.  Nor is one judged by a
        process that has not itself beaten for the whole silence: after a store pause every gateway's last
        beat is old, and the owner may still be finishing the request the pause held up."""
        owner = record.get("owner")
        if owner is None or owner == self.instance or record["claimed_at"] >= to_text(now - SILENCE):
            return False
        if self.beating_since is None or self.beating_since > now - SILENCE:
            return False
        seen = self.records.seen_at(owner)
        return seen is None or seen < to_text(now - SILENCE)


class Heartbeat(DependencyProvider):
    """Says every :data:`BEAT_SECONDS` that this gateway process is alive, in a thread of its own: a timer
    entrypoint's worker would wait behind busy request workers, and a busy gateway would look dead."""

    def start(self) -> None:
        self._beating = True
        self.container.spawn_managed_thread(self._beat, identifier="idempotency heartbeat")

    def stop(self) -> None:
        self._beating = False

    def kill(self) -> None:
        self._beating = False

    def _beat(self) -> None:
        while self._beating:
            # with the store away the beat is skipped (readiness reports the store); claims wait for the next
            with suppress(Exception):
                idempotency_store().beat()
            eventlet.sleep(BEAT_SECONDS)


_store: list[IdempotencyStore] = []
_store_lock = threading.Lock()


def idempotency_store() -> IdempotencyStore:
    """One per process, shared by every endpoint, its index created once (the gateway's entrypoints are set
    up concurrently: a plain cache made one per entrypoint)."""
    with _store_lock:
        if not _store:
            _store.append(IdempotencyStore(gateway_store()))
        return _store[0]
