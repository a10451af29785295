"""The baseline for ``bench.registration_rush``: the cheapest HTTP→RPC round trip nameko can do.

Stock ``@http`` and ``RpcProxy``, no validation, no store, no auth.  What the
gateway achieves relative to this measures ketnoi's own cost, not nameko's or
the machine's.  Run as two ``nameko run`` processes, like the gateway and the
registration service.
"""

from __future__ import annotations

import json

from nameko.rpc import RpcProxy, rpc
from nameko.web.handlers import http
from werkzeug.wrappers import Request


class EchoRpc:
    name = "echo_rpc"

    @rpc
    def echo(self, payload: object) -> object:
        return payload


class EchoHttp:
    name = "echo_http"

    echo_rpc = RpcProxy("echo_rpc")

    @http("POST", "/echo")
    def echo(self, request: Request) -> tuple[int, dict[str, str], str]:
        payload = self.echo_rpc.echo(json.loads(request.get_data()))
        return 200, {"Content-Type": "application/json"}, json.dumps(payload, ensure_ascii=False)
