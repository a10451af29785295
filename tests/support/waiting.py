"""Waiting for what another process does asynchronously (an event handled, a relay run)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(check: Callable[[], T], timeout: float = 15.0) -> T:
    """The first truthy value of ``check()``; fails the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"condition not met in {timeout:g} s")


def eventually(
    call: Callable[[], T], ok: Callable[[T], bool] = lambda r: r.status_code < 400, timeout: float = 20.0
) -> T:
    """Repeat an HTTP call until ``ok`` (a service that learns from events has caught up); the last response."""
    deadline = time.monotonic() + timeout
    while True:
        response = call()
        if ok(response) or time.monotonic() > deadline:
            return response
        time.sleep(0.2)
