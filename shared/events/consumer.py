"""``@event_handler``: at-least-once delivery made safe to build on.

nameko's own ``event_handler`` acks and forgets a message whose handler
raised.  This entrypoint instead

1. records every event id it has handled in the service's own ``inbox``
   collection and acks repeats without running the handler again (a claim is
   inserted before the handler runs, so two workers given the same event at
   once run it only once);
2. on failure, republishes the message to the handler's next retry queue
   (delays from ``backoff``) and, once those are used up, to its dead-letter
   queue, each with publisher confirms before the original is acked;
3. dead-letters at once a message that is not a valid event of the types it
   subscribed to (retrying a poison message cannot help).

Handlers should still make their own writes conditional: a crash after the
handler's write but before the inbox records "done" redelivers the event.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial
from typing import Any

from kombu import Connection
from kombu.exceptions import OperationalError
from nameko.amqp.publish import Publisher
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import Consumer
from pymongo.errors import ConnectionFailure

from shared import metrics
from shared.config import settings
from shared.errors import KetnoiError
from shared.events.catalogue import schema_errors
from shared.events.parked import ParkedGauge
from shared.events.serialization import CLOUDEVENTS_SERIALIZER
from shared.events.topology import HandlerQueues, declare_handler, handler_queues
from shared.logs import scoped
from shared.reconnect import QuickQueueConsumer
from shared.store.inbox import Inbox

log = logging.getLogger(__name__)

DEFAULT_BACKOFF = (1, 10, 60)
ATTEMPT_HEADER = "x-ketnoi-attempt"
# A claim left by a worker that could not finish (killed, or cut off from the store) is taken over after
# this long: longer than any handler runs (a handler that may run longer says so with ``lease=``), short
# enough that events settle within seconds of an outage's end.
CLAIM_LEASE = timedelta(seconds=30)


class ParkingQueueConsumer(QuickQueueConsumer):
    """nameko's queue consumer, except that a message it cannot decode is parked, not dropped.

    kombu calls ``on_decode_error`` for a body that is not valid in its
    content type, or a content type the service does not accept; nameko's
    default logs it and acks it, so it was gone without a trace.  Each
    event handler's consumer gets its own callback, which parks the raw
    message in that handler's ``.dead`` queue with the reason.
    """

    def get_consumers(self, consumer_cls, channel):
        consumers = super().get_consumers(consumer_cls, channel)
        for provider, consumer in self._consumers.items():
            park = getattr(provider, "park_undecodable", None)
            if park is not None:
                consumer.on_decode_error = park
        return consumers


class EventHandler(Consumer):
    """Consume events of ``event_types`` with dedupe, retries and a dead-letter queue."""

    queue_consumer = ParkingQueueConsumer()
    parked = ParkedGauge()

    def __init__(
        self,
        *event_types: str,
        backoff: tuple[int, ...] = DEFAULT_BACKOFF,
        dedupe: bool = True,
        lease: timedelta = CLAIM_LEASE,
        **kwargs: Any,
    ) -> None:
        """``dedupe=False`` skips the inbox (two store writes per event) for a handler that is idempotent
        by its own keys, e.g. one that writes a document whose ``_id`` derives from the event id."""
        if not event_types:
            raise ValueError("an event handler needs at least one event type")
        self.event_types = tuple(event_types)
        self.backoff = tuple(backoff)
        self.dedupe = dedupe
        self.lease = lease
        super().__init__(queue=None, requeue_on_error=False, **kwargs)

    def queues_for(self, service: str, handler: str) -> HandlerQueues:
        return handler_queues(service, handler, self.event_types, self.backoff)

    @property
    def handler_name(self) -> str:
        return f"{self.container.service_name}.{self.method_name}"

    def setup(self) -> None:
        self.queues = self.queues_for(self.container.service_name, self.method_name)
        self.queue = self.queues.main
        amqp_uri = settings().amqp_uri
        with Connection(amqp_uri) as connection:
            declare_handler(connection, self.queues)
        self.inbox = Inbox.of(self.container.service_name, self.lease)
        self._owed: dict[str, str] = {}  # inbox key → "release" | "done", owed since the store was away
        self.inbox.ensure_indexes()
        self.publisher = Publisher(amqp_uri, use_confirms=True, serializer=CLOUDEVENTS_SERIALIZER, delivery_mode=2)
        self.parked.watch(self.handler_name, self.queues.dead)
        super().setup()

    # -- receiving ---------------------------------------------------------

    def handle_message(self, body: Any, message) -> None:
        """What is logged before the worker runs (a deferral, a dead letter) carries the event's ids too."""
        event = body if isinstance(body, dict) else {}
        with scoped(
            request_id=event.get("correlationid") or event.get("id"),
            handler=self.handler_name,
            correlation_id=event.get("correlationid"),
        ):
            try:
                self._receive(event, message)
            except Exception:
                # An error escaping here would end the consumer's thread and nameko would stop the whole
                # service.  The message is unsettled: it goes back when the connection goes (the usual cause),
                # and its redelivery meets the inbox or the handler's own guard.
                log.exception("could not take a message from %s; the broker will deliver it again", self.queue.name)

    def _receive(self, event: dict[str, Any], message) -> None:
        event_type = event.get("type", "?")
        problems = self._problems(event)
        if problems:
            log.error("dead-lettering unreadable message on %s: %s", self.queue.name, problems)
            self._forward(message, self.queues.dead.name, {"x-ketnoi-error": "; ".join(problems)[:500]})
            metrics.EVENTS_CONSUMED.labels(self.handler_name, event_type, "dead_lettered").inc()
            return
        if (message.delivery_info or {}).get("redelivered"):
            metrics.EVENTS_REDELIVERED.labels(self.handler_name, event_type).inc()
        try:
            if self._owed:
                self._settle_owed()
            claim = self._claim(event) if self.dedupe else "run"
        except Exception:  # the store is away: look again after the first delay, without using up an attempt
            log.warning("could not claim %s on %s (the store is away); retrying", event["id"], self.handler_name)
            self._forward(message, self.queues.retries[0].name, {"x-ketnoi-error": "store unreachable"})
            metrics.EVENTS_CONSUMED.labels(self.handler_name, event_type, "deferred").inc()
            return
        if claim == "done":
            metrics.EVENTS_CONSUMED.labels(self.handler_name, event_type, "duplicate").inc()
            self._ack(message)
            return
        if claim == "busy":
            # Another worker holds this event right now; look again after the first delay.
            self._forward(message, self.queues.retries[0].name, {})
            return
        context = {"request_id": event.get("correlationid") or event["id"]}
        try:
            self.container.spawn_worker(
                self,
                (event,),
                {},
                context_data=context,
                handle_result=partial(self.handle_result, message),
            )
        except ContainerBeingKilled:
            if self.dedupe:
                self._release(event)
            self._requeue(message)

    def park_undecodable(self, message, exc: Exception) -> None:
        """A body that is no event at all (not JSON, a content type we do not take): parked as it came."""
        reason = f"undecodable: {type(exc).__name__}: {exc}"[:500]
        log.error("parking an undecodable message on %s: %s", self.queue.name, reason)
        try:
            self.publisher.publish(
                message.body,
                exchange="",
                routing_key=self.queues.dead.name,
                headers={**(message.headers or {}), "x-ketnoi-error": reason},
                content_type=message.content_type or "application/octet-stream",
                content_encoding=message.content_encoding or "binary",
                message_id=message.properties.get("message_id"),
            )
        except Exception:
            log.warning("could not park it (the broker is away?); the message goes back")
            self._requeue(message)
            return
        metrics.EVENTS_CONSUMED.labels(self.handler_name, "?", "dead_lettered").inc()
        self._ack(message)

    def _problems(self, event: dict[str, Any]) -> list[str]:
        if not event.get("id") or event.get("type") not in self.event_types:
            return [f"not an event this handler subscribed to: type={event.get('type')!r}"]
        return schema_errors(event["type"], event.get("data"))

    # -- dedupe --------------------------------------------------------------

    def _key(self, event: dict[str, Any]) -> str:
        return f"{self.method_name}:{event['id']}"

    def _claim(self, event: dict[str, Any]) -> str:
        """``run`` when this worker may handle the event, else ``done`` or ``busy``."""
        return self.inbox.claim(self._key(event), event["type"])

    def _release(self, event: dict[str, Any]) -> None:
        """Give the claim back so a retry runs at once; with the store away, as soon as it is back."""
        try:
            self.inbox.release(self._key(event))
        except Exception:
            log.warning("could not release the claim on %s (the store is away); releasing it later", event["id"])
            self._owed[self._key(event)] = "release"

    def _settle_owed(self) -> None:
        """Claims this process could not release or mark done while the store was away (before the next
        claim, so the event's retry finds its claim free rather than waiting out the lease)."""
        for key, action in list(self._owed.items()):
            try:
                (self.inbox.release if action == "release" else self.inbox.done)(key)
            except Exception:
                return  # still away
            del self._owed[key]

    # -- results ---------------------------------------------------------------

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        """Settle the message whatever the broker and the store do now: nothing raised here may escape,
        or nameko would kill the whole service."""
        event = worker_ctx.args[0]
        try:
            self._settle(message, event, exc_info)
        except Exception:
            log.exception("could not settle %s on %s; the broker will deliver it again", event["id"], self.handler_name)
        return result, exc_info

    def _settle(self, message, event: dict[str, Any], exc_info) -> None:
        if exc_info is None:
            if self.dedupe:
                try:
                    self.inbox.done(self._key(event))
                except Exception:  # the effect happened: ack, and record it once the store is back
                    log.warning(
                        "handled %s but could not record it (the store is away); recording it later", event["id"]
                    )
                    self._owed[self._key(event)] = "done"
            metrics.EVENTS_CONSUMED.labels(self.handler_name, event["type"], "ok").inc()
            self._ack(message)
            return
        if self.dedupe:
            self._release(event)
        attempt = int((message.headers or {}).get(ATTEMPT_HEADER, 0))
        error = f"{exc_info[0].__name__}: {exc_info[1]}"[:500]
        if outage(exc_info[1]):  # the store or a peer is away: not the event's fault, no attempt used up
            log.warning(
                "handler %s could not run %s (%s); retrying in %ss",
                self.handler_name,
                event["id"],
                error,
                self.backoff[0],
            )
            self._forward(message, self.queues.retries[0].name, {"x-ketnoi-error": error})
            metrics.EVENTS_CONSUMED.labels(self.handler_name, event["type"], "deferred").inc()
            return
        if attempt < len(self.backoff):
            log.warning(
                "handler %s failed on %s (attempt %s), retrying in %ss: %s",
                self.handler_name,
                event["id"],
                attempt + 1,
                self.backoff[attempt],
                error,
            )
            self._forward(
                message, self.queues.retries[attempt].name, {ATTEMPT_HEADER: attempt + 1, "x-ketnoi-error": error}
            )
            metrics.EVENTS_CONSUMED.labels(self.handler_name, event["type"], "retried").inc()
        else:
            log.error(
                "handler %s gave up on %s after %s attempts: %s", self.handler_name, event["id"], attempt + 1, error
            )
            self._forward(message, self.queues.dead.name, {ATTEMPT_HEADER: attempt + 1, "x-ketnoi-error": error})
            metrics.EVENTS_CONSUMED.labels(self.handler_name, event["type"], "dead_lettered").inc()

    def _forward(self, message, queue_name: str, headers: dict[str, Any]) -> None:
        """Republish to ``queue_name`` (confirmed), then ack; requeue if that fails."""
        try:
            self.publisher.publish(
                message.payload,
                exchange="",
                routing_key=queue_name,
                headers={**(message.headers or {}), **headers},
                message_id=message.properties.get("message_id"),
                correlation_id=message.properties.get("correlation_id"),
            )
        except Exception:
            log.warning("could not forward to %s (the broker is away?); the message goes back", queue_name)
            self._requeue(message)
            return
        self._ack(message)

    # -- settling on a connection that may be gone --------------------------------

    def _ack(self, message) -> None:
        """Ack; if the connection went meanwhile, the broker returns the message and its redelivery is a
        duplicate the inbox (or the handler's guard) absorbs, so a failed ack is logged, never raised."""
        try:
            self.queue_consumer.ack_message(message)
        except Exception as exc:
            log.warning("could not ack on %s (%s); the broker will deliver it again", self.queue.name, exc)

    def _requeue(self, message) -> None:
        """Requeue; with the connection gone the broker requeues it by itself."""
        try:
            self.queue_consumer.requeue_message(message)
        except Exception as exc:
            log.warning("could not requeue on %s (%s); the broker will deliver it again", self.queue.name, exc)


def outage(exc: BaseException) -> bool:
    """Is this failure the store or a peer being away (retry without end) rather than the event's fault?"""
    return isinstance(exc, (ConnectionFailure, OperationalError, ConnectionError, TimeoutError)) or (
        isinstance(exc, KetnoiError) and exc.status == 503
    )


event_handler = EventHandler.decorator
