"""nameko entrypoints configured the way every ketnoi service uses them.

Errors of :mod:`shared.errors` are the expected answers of an RPC (a 404, a
409): declaring them ``expected_exceptions`` keeps them out of the error logs
that ops alert on, while real bugs are still logged with their stack.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from nameko.rpc import rpc as nameko_rpc

from shared.errors import KetnoiError

F = TypeVar("F", bound=Callable)


def rpc(fn: F) -> F:
    """``@rpc``, with every :class:`KetnoiError` declared expected.

    (nameko's bare ``@rpc`` form drops keyword arguments, hence the call form here.)
    """
    return nameko_rpc(expected_exceptions=KetnoiError)(fn)
