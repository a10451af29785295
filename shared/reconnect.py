"""How quickly a service finds the broker again after an outage.

kombu's consumers retry a lost connection at 2, 4, 6, 8 … up to 30 seconds
apart, so a service came back up to 8 s after a 10-second broker restart
(measured in the fault drills) and up to 30 s after a longer one.  Every
queue consumer here (event handlers, RPC entrypoints, the RPC reply
listener) retries every half second at first and at most every 2 s; a
retry is one TCP connect to the broker, which costs it nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from kombu import Connection
from nameko.messaging import QueueConsumer
from nameko.rpc import ReplyListener

RECONNECT = {"interval_start": 0.5, "interval_step": 0.5, "interval_max": 2.0}


class QuickQueueConsumer(QueueConsumer):
    """nameko's queue consumer, reconnecting at the pace above."""

    @contextmanager
    def establish_connection(self) -> Iterator[Connection]:
        with self.create_connection() as connection:
            connection.ensure_connection(self.on_connection_error, self.connect_max_retries, **RECONNECT)
            yield connection


class QuickReplyListener(ReplyListener):
    """The RPC reply listener of a caller (the gateway, a consumer calling a peer), on a quick consumer."""

    queue_consumer = QuickQueueConsumer()
