"""When a periodic look at the whole database (gauges, reconcilers, sweeps) has anything new to see.

A recount that reads every booth or every participation every 15 seconds is
most of what an idle system costs on the embedded store.  Such a look can
only find something new after a write: this process's writes are counted by
its door, and a process that wrote moves the database's activity revision
(one small document) before it looks, so every other replica sees the
revision move and looks too, at most one period later.  A look is also due
every ``backstop`` seconds, for what a crashed process left behind without
moving anything.  Idle, a recount costs one ``find_one`` by ``_id``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from shared.store.door import Door


class Recount:
    """One per periodic job and process (a module-level object: nameko makes a service instance per worker)."""

    def __init__(self, backstop: float = 600.0) -> None:
        self.backstop = backstop
        self._writes = -1
        self._revision = -1
        self._last = float("-inf")

    def run(self, door: Door, look: Callable[[], None]) -> bool:
        """``look()`` if it is due; True when it looked.  A look that fails is due again next time."""
        if not self.due(door):
            return False
        try:
            look()
        except BaseException:
            self._writes = -1
            raise
        return True

    def due(self, door: Door) -> bool:
        now = time.monotonic()
        if door.writes != self._writes:
            self._writes = door.writes
            self._revision = door.move_revision()
        else:
            revision = door.revision()
            if revision == self._revision and now - self._last < self.backstop:
                return False
            self._revision = revision
        self._last = now
        return True
