"""nameko entrypoints configured the way every ketnoi service uses them.

Errors of :mod:`shared.errors` are the expected answers of an RPC (a 404, a
409): declaring them ``expected_exceptions`` keeps them out of the error logs
that ops alert on, while real bugs are still logged with their stack.
"""

from __future__ import annotations

from functools import partial

from nameko.rpc import rpc as nameko_rpc

from shared.errors import KetnoiError

rpc = partial(nameko_rpc, expected_exceptions=KetnoiError)
