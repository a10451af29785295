"""The gateway's request: werkzeug's, with what the API's entrypoint learns about it before a route runs.

``ApiApp`` and ``ApiHandler`` (gateway/http.py) set these attributes once per request; declaring them
on a subclass (as Flask does with its own ``Request``) lets routes and edge helpers read them with
their types, where werkzeug's class would make each one an unknown attribute.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request as WerkzeugRequest

from shared.auth import Principal


class Request(WerkzeugRequest):
    request_id: str  # the caller's X-Request-ID (printable, at most 100 characters) or a fresh one
    path_values: dict[str, Any]  # the route's URL variables
    language: str  # the answer's language, from Accept-Language
    principal: Principal | None  # from the bearer token; None where the route lets anonymous callers in
    json_body: Any  # the parsed JSON body; None for a method that carries none
    body: Any  # json_body once checked against the route's declared schema; None where it declares none
