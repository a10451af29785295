"""A per-process read-through cache for documents that are read on every request and change rarely.

The embedded store answers one query at a time, so a read saved on a hot
path (the edition behind every registration, the contacts behind every
notification) is throughput gained for every other caller.  Only found
documents are kept, so something created a moment ago is never cached away
as missing; the owning process forgets a key when it writes it, and other
processes see the change within ``seconds``.  Where callers choose the keys (a
date in a query string), ``limit`` bounds how many are kept: the oldest kept goes first.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any, overload

Document = dict[str, Any]


class Recent:
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic, limit: int | None = None) -> None:
        self.seconds = seconds
        self.clock = clock
        self.limit = limit
        self._kept: dict[Hashable, tuple[float, Document]] = {}
        self._forgotten: dict[Hashable, int] = {}  # how often each key was forgotten

    @overload
    def get(self, key: Hashable, read: Callable[[Any], Document]) -> Document: ...

    @overload
    def get(self, key: Hashable, read: Callable[[Any], Document | None]) -> Document | None: ...

    def get(self, key: Hashable, read: Callable[[Any], Document | None]) -> Document | None:
        """The document under ``key``, read with ``read(key)`` unless found in the last ``seconds``.

        A read that a :meth:`forget` overtook (the read started before the
        write it announces) is returned but not kept: it may be the old version.
        """
        hit = self._kept.get(key)
        if hit and hit[0] > self.clock():
            return hit[1]
        generation = self._forgotten.get(key, 0)
        found = read(key)
        if found is not None and self._forgotten.get(key, 0) == generation:
            self._kept.pop(key, None)  # re-inserted last: the dict's order is the order kept
            self._kept[key] = (self.clock() + self.seconds, found)
            if self.limit is not None and len(self._kept) > self.limit:
                del self._kept[next(iter(self._kept))]
        return found

    def forget(self, key: Hashable) -> None:
        self._kept.pop(key, None)
        self._forgotten[key] = self._forgotten.get(key, 0) + 1
