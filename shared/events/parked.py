"""``ketnoi_events_dead_letters``: what is parked in each handler's dead-letter queue now.

The counter of dead-lettered events only grows, but ops alerts on what is
parked now (and sees it fall after a replay).  One thread and one broker
connection per service process count every handler's ``.dead`` queue every
:data:`CHECK_SECONDS` (a passive declare each: one round trip); a connection
per handler and look cost the broker a login every few seconds per handler.
"""

from __future__ import annotations

import logging
from contextlib import suppress

import eventlet
from kombu import Connection, Queue
from nameko.extensions import SharedExtension

from shared import metrics
from shared.config import settings

log = logging.getLogger(__name__)
CHECK_SECONDS = 15.0


class ParkedGauge(SharedExtension):
    """Shared by every event handler of a container (``parked = ParkedGauge()`` on the handler class)."""

    def setup(self) -> None:
        self.handlers: dict[str, Queue] = {}  # handler name -> its dead-letter queue
        self._thread = None
        self._connection: Connection | None = None

    def watch(self, handler_name: str, dead_queue) -> None:
        self.handlers[handler_name] = dead_queue

    def start(self) -> None:
        self._thread = self.container.spawn_managed_thread(self._run, identifier="dead-letter-gauge")

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.kill()  # ours to end: the container would warn that it had to
            self._thread = None
        self._close()

    def kill(self) -> None:
        self.stop()

    def _close(self) -> None:
        if self._connection is not None:
            with suppress(Exception):  # already broken: nothing to give back
                self._connection.release()
            self._connection = None

    def look(self) -> None:
        """Count every watched queue once (reconnecting if the broker went away meanwhile)."""
        if self._connection is None:
            self._connection = Connection(settings().amqp_uri, connect_timeout=5)
        channel = self._connection.default_channel
        for name, queue in self.handlers.items():
            metrics.DEAD_LETTERS.labels(name).set(queue(channel).queue_declare(passive=True).message_count)

    def _run(self) -> None:
        while True:
            try:
                self.look()
            except Exception:  # broker away: the gauge keeps its last value, the next look may succeed
                log.warning("could not count the dead letters", exc_info=True)
                self._close()
            eventlet.sleep(CHECK_SECONDS)
