"""A benchmark's scratch space: its own directory and its own RabbitMQ vhost, removed afterwards.

A vhost of its own because nameko's RPC queue names are fixed: a stack sharing
one with ``make up`` or the tests would answer their calls.  The directory (data,
logs) is kept when the run failed or asked to keep it, and its path printed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from scripts.stack import drop_vhost, private_vhost

DEFAULT_AMQP = "amqp://guest:guest@127.0.0.1:5672/"


@dataclass
class Workspace:
    dir: Path
    amqp: str
    vhost: str | None  # None where rabbitmqctl is not available: the base URI is shared then
    keep: bool = False


@contextmanager
def workspace(prefix: str, keep: bool = False) -> Iterator[Workspace]:
    """Set ``work.keep`` to keep the directory after a run that went wrong without raising."""
    amqp, vhost = private_vhost(os.environ.get("KETNOI_TEST_AMQP_URI", DEFAULT_AMQP))
    work = Workspace(Path(tempfile.mkdtemp(prefix=prefix)), amqp, vhost, keep)
    try:
        yield work
    except BaseException:
        work.keep = True
        raise
    finally:
        if vhost:
            drop_vhost(vhost)
        if work.keep:
            print(f"data and logs kept in {work.dir}")
        else:
            shutil.rmtree(work.dir, ignore_errors=True)
